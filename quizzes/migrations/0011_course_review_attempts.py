"""A course-wide review is an attempt of its course with no lesson (it was kept under the lesson of its
first question, which counted its answers in that lesson).

Existing review attempts whose questions span lessons were course-wide reviews: they become attempts
of their lesson's course. One whose due questions all came from one lesson cannot be told from that
lesson's own review, and asked exactly what it would have: it stays as it is.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def course_reviews_out_of_their_first_lesson(apps, schema_editor):
    Attempt = apps.get_model("quizzes", "Attempt")
    Question = apps.get_model("quizzes", "Question")
    for attempt in Attempt.objects.filter(mode="review").select_related("lesson"):
        lessons = set(Question.objects.filter(id__in=attempt.question_ids).values_list("lesson_id", flat=True))
        if len(lessons) > 1:
            Attempt.objects.filter(pk=attempt.pk).update(lesson=None, course=attempt.lesson.course_id)


def back_under_their_first_question(apps, schema_editor):
    Attempt = apps.get_model("quizzes", "Attempt")
    Question = apps.get_model("quizzes", "Question")
    for attempt in Attempt.objects.filter(lesson__isnull=True):
        first = Question.objects.get(pk=attempt.question_ids[0])
        Attempt.objects.filter(pk=attempt.pk).update(lesson=first.lesson_id, course=None)


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0003_class_codes"),
        ("quizzes", "0010_exam_one_open_attempts_allowed"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="attempt",
            name="course",
            field=models.ForeignKey(
                blank=True,
                help_text="A course-wide review: the course whose due questions it asks (no lesson).",
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="quiz_attempts",
                to="courses.course",
            ),
        ),
        migrations.AlterField(
            model_name="attempt",
            name="lesson",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="quiz_attempts",
                to="courses.lesson",
            ),
        ),
        migrations.RunPython(course_reviews_out_of_their_first_lesson, back_under_their_first_question),
    ]

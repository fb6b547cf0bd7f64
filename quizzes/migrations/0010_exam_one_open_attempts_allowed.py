"""Attempts allowed for the exam, and one open exam per student and lesson enforced by the database.

Before the constraints, any second open exam of one owner in one lesson (opened by concurrent
starts) is finished as attempt_score does: its answered marks over its questions.
"""
from decimal import Decimal

import django.core.validators
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone


def finish_extra_open_exams(apps, schema_editor):
    Attempt = apps.get_model("quizzes", "Attempt")
    Response = apps.get_model("quizzes", "Response")
    kept = set()
    for attempt in Attempt.objects.filter(mode="exam", finished_at__isnull=True).order_by("-started_at", "-id"):
        owner = (attempt.user_id, attempt.anon_id if attempt.user_id is None else "", attempt.lesson_id)
        if owner not in kept:
            kept.add(owner)  # the newest open exam stays open
            continue
        marks = sum(
            (r.marks for r in Response.objects.filter(attempt=attempt, answered_at__isnull=False)), Decimal("0")
        )
        count = len(attempt.question_ids)
        attempt.score = (marks / count).quantize(Decimal("0.00001")) if count else Decimal("0")
        now = timezone.now()
        attempt.finished_at = min(attempt.deadline, now) if attempt.deadline else now
        attempt.save(update_fields=["score", "finished_at"])


class Migration(migrations.Migration):

    dependencies = [
        ('courses', '0002_lesson_unpublished_by_default'),
        ('quizzes', '0009_question_versions'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(finish_extra_open_exams, migrations.RunPython.noop),
        migrations.AddField(
            model_name='lessonexamsettings',
            name='attempts',
            field=models.PositiveSmallIntegerField(blank=True, help_text="Exams one student may start in this lesson (Moodle's attempts allowed); empty: unlimited.", null=True, validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(100)]),
        ),
        migrations.AddConstraint(
            model_name='attempt',
            constraint=models.UniqueConstraint(condition=models.Q(('finished_at__isnull', True), ('mode', 'exam'), ('user__isnull', False)), fields=('user', 'lesson'), name='one_open_exam_per_user'),
        ),
        migrations.AddConstraint(
            model_name='attempt',
            constraint=models.UniqueConstraint(condition=models.Q(('finished_at__isnull', True), ('mode', 'exam'), ('user__isnull', True)), fields=('anon_id', 'lesson'), name='one_open_exam_per_anon'),
        ),
    ]

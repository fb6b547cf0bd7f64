"""An attempt is of one lesson, or a course-wide review of one course: never both, never neither.

Apart from 0011, whose data migration updates attempts first: PostgreSQL refuses to alter a table
with updates pending in the same transaction.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("quizzes", "0011_course_review_attempts")]

    operations = [
        migrations.AddConstraint(
            model_name="attempt",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("course__isnull", True), ("lesson__isnull", False)),
                    models.Q(("course__isnull", False), ("lesson__isnull", True), ("mode", "review")),
                    _connector="OR",
                ),
                name="attempt_of_a_lesson_or_a_course_review",
            ),
        ),
    ]

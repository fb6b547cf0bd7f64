"""Review items are scheduled by FSRS alone: drop the SM-2 fields 0003 converted."""
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [("quizzes", "0004_review_items_from_sm2_to_fsrs")]

    operations = [
        migrations.RemoveField(
            model_name='reviewitem',
            name='easiness',
        ),
        migrations.RemoveField(
            model_name='reviewitem',
            name='interval_days',
        ),
        migrations.RemoveField(
            model_name='reviewitem',
            name='repetitions',
        ),
    ]

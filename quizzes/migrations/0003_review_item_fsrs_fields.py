"""FSRS fields beside the SM-2 ones on review items (0003 fills them, 0004 drops SM-2's)."""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [("quizzes", "0002_timed_exam_and_mistake_drill")]

    operations = [
        migrations.AddField(
            model_name='reviewitem',
            name='difficulty',
            field=models.FloatField(blank=True, help_text='FSRS difficulty, 1 (easy) to 10 (hard).', null=True),
        ),
        migrations.AddField(
            model_name='reviewitem',
            name='stability',
            field=models.FloatField(blank=True, help_text='Days until the chance of recall falls to 90%.', null=True),
        ),
        migrations.AddField(
            model_name='reviewitem',
            name='state',
            field=models.PositiveSmallIntegerField(choices=[(1, 'Learning'), (2, 'Review'), (3, 'Relearning')], default=1),
        ),
        migrations.AddField(
            model_name='reviewitem',
            name='step',
            field=models.PositiveSmallIntegerField(blank=True, default=0, help_text='Learning or relearning step; empty in Review.', null=True),
        ),
    ]

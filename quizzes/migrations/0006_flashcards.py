"""Flashcards of a lesson and each student's FSRS schedule of them."""
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("courses", "0001_initial"),
        ("quizzes", "0005_remove_review_item_sm2_fields"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Flashcard',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.SlugField(help_text='Stable name used by the content loader.', max_length=80)),
                ('position', models.PositiveIntegerField(default=0)),
                ('front', models.TextField(help_text='Markdown: what the student sees and recalls from.')),
                ('back', models.TextField(help_text='Markdown: shown when the card is turned over.')),
                ('active', models.BooleanField(default=True, help_text="Inactive cards keep students' schedules but are not shown.")),
                ('lesson', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='flashcards', to='courses.lesson')),
            ],
            options={
                'ordering': ['lesson', 'position', 'id'],
            },
        ),
        migrations.CreateModel(
            name='FlashcardSchedule',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('state', models.PositiveSmallIntegerField(choices=[(1, 'Learning'), (2, 'Review'), (3, 'Relearning')], default=1)),
                ('step', models.PositiveSmallIntegerField(blank=True, default=0, help_text='Learning or relearning step; empty in Review.', null=True)),
                ('stability', models.FloatField(blank=True, help_text='Days until the chance of recall falls to 90%.', null=True)),
                ('difficulty', models.FloatField(blank=True, help_text='FSRS difficulty, 1 (easy) to 10 (hard).', null=True)),
                ('due_at', models.DateTimeField()),
                ('last_reviewed_at', models.DateTimeField(blank=True, null=True)),
                ('anon_id', models.CharField(blank=True, db_index=True, max_length=40)),
                ('introduced_at', models.DateTimeField(help_text="First rated: the card counts against that day's new cards.")),
                ('reviews', models.PositiveIntegerField(default=0, help_text='Ratings so far.')),
                ('card', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='schedules', to='quizzes.flashcard')),
                ('user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='flashcard_schedules', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['due_at', 'id'],
            },
        ),
        migrations.AddConstraint(
            model_name='flashcard',
            constraint=models.UniqueConstraint(fields=('lesson', 'key'), name='unique_flashcard_key_per_lesson'),
        ),
        migrations.AddConstraint(
            model_name='flashcardschedule',
            constraint=models.CheckConstraint(condition=models.Q(('user__isnull', False), models.Q(('anon_id', ''), _negated=True), _connector='OR'), name='flashcard_schedule_has_owner'),
        ),
        migrations.AddConstraint(
            model_name='flashcardschedule',
            constraint=models.UniqueConstraint(condition=models.Q(('user__isnull', False)), fields=('user', 'card'), name='one_flashcard_schedule_per_user'),
        ),
        migrations.AddConstraint(
            model_name='flashcardschedule',
            constraint=models.UniqueConstraint(condition=models.Q(('user__isnull', True)), fields=('anon_id', 'card'), name='one_flashcard_schedule_per_anon'),
        ),
    ]

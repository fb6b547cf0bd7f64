"""A flashcard can be listed on the lesson's summary sheet, under its numbers and formulas."""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('quizzes', '0006_flashcards'),
    ]

    operations = [
        migrations.AddField(
            model_name='flashcard',
            name='on_sheet',
            field=models.BooleanField(default=False, help_text="Listed under the summary sheet's numbers and formulas."),
        ),
    ]

"""The question bank: questions, their parts (choices, steps, hints, mistakes) and a lesson's test blueprint.

Choice letters are never stored: a letter is derived from the order a student was shown,
so no text in the bank can name the wrong one.

A question is versioned as Moodle 4 does: the rows of one lesson and key are its versions, one
of them `current`. A version is never changed in what a student sees or how it is marked; an
edit of that makes a new row (quizzes/authoring/questions.py). Past attempts name the rows
they showed, so they keep showing them. Only the current version is asked (`active` implies
`current`), and only it may be edited.
"""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from courses.models import Lesson
from quizzes.blueprint import DEFAULT_BLUEPRINT
from quizzes.vocabulary import DIFFICULTIES, KINDS

# Choices built from the vocabulary: Difficulty.EASY == "easy" (label "Easy"), Kind.SINGLE, ...
Difficulty = models.TextChoices("Difficulty", [(d.upper(), d) for d in DIFFICULTIES])
_KIND_LABELS = {
    "single": "Single answer",
    "multiple": "Multiple answers",
    "truefalse": "True / false",
    "numeric": "Numeric answer",
    "short": "Short answer",
}
Kind = models.TextChoices("Kind", [(k.upper(), (k, _KIND_LABELS[k])) for k in KINDS])


class Role(models.TextChoices):
    QUIZ = "quiz", "Model quiz"
    PRACTICE = "practice", "Practice bank"


class LessonQuizSettings(models.Model):
    """How many questions of each difficulty "Test this pattern" draws for a lesson."""

    lesson = models.OneToOneField(Lesson, on_delete=models.CASCADE, related_name="quiz_settings")
    easy = models.PositiveSmallIntegerField(default=DEFAULT_BLUEPRINT["easy"])
    medium = models.PositiveSmallIntegerField(default=DEFAULT_BLUEPRINT["medium"])
    hard = models.PositiveSmallIntegerField(default=DEFAULT_BLUEPRINT["hard"])

    class Meta:
        verbose_name = "lesson test blueprint"

    def __str__(self):
        return f"{self.lesson}: {self.easy}/{self.medium}/{self.hard}"

    def blueprint(self) -> dict[str, int]:
        return {d: getattr(self, d) for d in DIFFICULTIES}


class Source(models.TextChoices):
    """Who owns a question: the lesson loader owns only FILE questions (of its lesson)."""

    FILE = "file", "Lesson file"
    ADMIN = "admin", "Admin"
    IMPORT = "import", "Import (GIFT / Aiken)"


class Question(models.Model):
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="questions")
    key = models.SlugField(max_length=80, help_text="Stable name used by the content loader.")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.PRACTICE)
    position = models.PositiveIntegerField(default=0)
    stem = models.TextField(help_text="Markdown; code blocks are highlighted.")
    difficulty = models.CharField(max_length=6, choices=Difficulty.choices, default=Difficulty.MEDIUM)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.SINGLE)
    quick_check = models.TextField(blank=True, help_text="Markdown. Refer to the answer by its content, never by letter.")
    active = models.BooleanField(default=True, help_text="Inactive questions keep their history but are not asked.")
    version = models.PositiveIntegerField(default=1, editable=False)
    current = models.BooleanField(
        default=True, editable=False, help_text="The version asked and edited; older ones are kept as they were."
    )
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.ADMIN, editable=False)
    source_file = models.CharField(max_length=300, blank=True, editable=False, help_text="The lesson file of a file question.")
    created_at = models.DateTimeField(auto_now_add=True, null=True)

    class Meta:
        ordering = ["lesson", "role", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["lesson", "key"], condition=Q(current=True), name="unique_question_key_per_lesson"),
            models.UniqueConstraint(fields=["lesson", "key", "version"], name="unique_question_version"),
            models.CheckConstraint(condition=Q(current=True) | Q(active=False), name="only_current_question_active"),
        ]

    def __str__(self):
        return f"{self.lesson.slug}/{self.key}" + ("" if self.current else f" v{self.version}")


class QuestionPart(models.Model):
    """A part of a question numbered in the order it is shown: a choice, a step, a hint, a mistake."""

    position = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True
        ordering = ["position", "id"]


class Mistake(QuestionPart):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="mistakes")
    text = models.CharField(max_length=300)

    def __str__(self):
        return self.text


class Choice(QuestionPart):
    """A choice to pick, or for a typed kind an answer to match (never shown before answering):
    numeric - ``text`` is the number and ``tolerance`` the accepted error either side;
    short - ``text`` is an accepted answer (a shape may be written in any of the usual forms)."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    text = models.TextField(help_text="Markdown, shown inline. Numeric questions: the number.")
    fraction = models.DecimalField(
        "weight",
        max_digits=8,
        decimal_places=7,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("-1")), MaxValueValidator(Decimal("1"))],
        help_text="Share of the marks, from -1 (-100%) to 1 (100%). Correct choices are those above 0.",
    )
    feedback = models.TextField(blank=True, help_text="Markdown: why this choice is right or wrong.")
    mistake = models.ForeignKey(Mistake, null=True, blank=True, on_delete=models.SET_NULL, related_name="choices")
    tolerance = models.FloatField(
        default=0,
        validators=[MinValueValidator(0)],
        help_text="Numeric questions: an answer within this distance of the number matches.",
    )
    # The first choice this one was copied from in earlier versions (empty: this one is the first).
    # Regrade finds a learner's answer in the latest version by it, then by text.
    lineage = models.PositiveBigIntegerField(null=True, blank=True, editable=False)

    class Meta(QuestionPart.Meta):
        constraints = [models.CheckConstraint(condition=Q(fraction__gte=-1, fraction__lte=1), name="choice_fraction_range")]

    def __str__(self):
        return self.text[:60]

    @property
    def is_correct(self) -> bool:
        return self.fraction > 0

    @property
    def lineage_id(self) -> int:
        return self.lineage or self.id


class SolutionStep(QuestionPart):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="steps")
    title = models.CharField(max_length=200)
    body = models.TextField(help_text="Markdown.")

    def __str__(self):
        return self.title


class Hint(QuestionPart):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="hints")
    text = models.TextField(help_text="Markdown.")

    def __str__(self):
        return self.text[:60]

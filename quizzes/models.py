"""Question bank, attempts, responses, flashcards and their FSRS schedules.

Choice letters are never stored: a letter is derived from the order a student was shown,
so no text in the bank can name the wrong one.
"""
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from courses.models import Lesson
from quizzes import scheduler
from quizzes.blueprint import DEFAULT_BLUEPRINT
from quizzes.vocabulary import DIFFICULTIES, KINDS

# Choices built from the vocabulary: Difficulty.EASY == "easy" (label "Easy"), Kind.SINGLE, ...
Difficulty = models.TextChoices("Difficulty", [(d.upper(), d) for d in DIFFICULTIES])
_KIND_LABELS = {"single": "Single answer", "multiple": "Multiple answers", "truefalse": "True / false"}
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

    class Meta:
        ordering = ["lesson", "role", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["lesson", "key"], name="unique_question_key_per_lesson")]

    def __str__(self):
        return f"{self.lesson.slug}/{self.key}"


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
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    text = models.TextField(help_text="Markdown, shown inline.")
    fraction = models.DecimalField(
        "weight", max_digits=8, decimal_places=7, default=Decimal("0"),
        validators=[MinValueValidator(Decimal("-1")), MaxValueValidator(Decimal("1"))],
        help_text="Share of the marks, from -1 (-100%) to 1 (100%). Correct choices are those above 0.",
    )
    feedback = models.TextField(blank=True, help_text="Markdown: why this choice is right or wrong.")
    mistake = models.ForeignKey(Mistake, null=True, blank=True, on_delete=models.SET_NULL, related_name="choices")

    class Meta(QuestionPart.Meta):
        constraints = [
            models.CheckConstraint(condition=Q(fraction__gte=-1, fraction__lte=1), name="choice_fraction_range"),
        ]

    def __str__(self):
        return self.text[:60]

    @property
    def is_correct(self) -> bool:
        return self.fraction > 0


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


class Mode(models.TextChoices):
    QUIZ = "quiz", "Model quiz"
    PRACTICE = "practice", "Practice"
    TEST = "test", "Test this pattern"
    REVIEW = "review", "Review"
    EXAM = "exam", "Timed exam"
    DRILL = "drill", "Mistake drill"


_OWNER = Q(user__isnull=False) | ~Q(anon_id="")


def _one_per_owner(name: str, field: str) -> list:
    """Constraints of a student's row: owned by a user or an anonymous id, one per owner and `field`."""
    return [
        models.CheckConstraint(condition=_OWNER, name=f"{name}_has_owner"),
        models.UniqueConstraint(fields=["user", field], condition=Q(user__isnull=False), name=f"one_{name}_per_user"),
        models.UniqueConstraint(fields=["anon_id", field], condition=Q(user__isnull=True), name=f"one_{name}_per_anon"),
    ]


class Attempt(models.Model):
    """One sitting in one mode. The questions and each question's choice order are fixed at
    the start, so a reload shows the same page; a finished attempt never changes."""

    mode = models.CharField(max_length=10, choices=Mode.choices)
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="quiz_attempts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="quiz_attempts")
    anon_id = models.CharField(max_length=40, blank=True, db_index=True, help_text="Anonymous student's id, kept in the session.")
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    seed = models.BigIntegerField(default=0, help_text="Seed of the question draw.")
    question_ids = models.JSONField(default=list, help_text="Questions in the order asked.")
    choice_orders = models.JSONField(default=dict, help_text="Question id -> choice ids in the order shown.")
    score = models.DecimalField(max_digits=6, decimal_places=5, null=True, blank=True, help_text="0..1 once finished.")
    deadline = models.DateTimeField(null=True, blank=True, help_text="Timed exam: the start plus the student's time limit.")

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [models.CheckConstraint(condition=_OWNER, name="attempt_has_owner")]
        indexes = [models.Index(fields=["user", "lesson", "mode"]), models.Index(fields=["anon_id", "lesson", "mode"])]

    def __str__(self):
        return f"{self.get_mode_display()} #{self.pk}"

    @property
    def finished(self) -> bool:
        return self.finished_at is not None

    @property
    def score_percent(self):
        return None if self.score is None else round(float(self.score) * 100)

    @property
    def feedback_at_end(self) -> bool:
        """Tests and exams say nothing about correctness until finished, and offer no hints."""
        return self.mode in (Mode.TEST, Mode.EXAM)

    @property
    def offers_hints(self) -> bool:
        # A drill asks the student to show they have overcome a mistake on their own.
        return not self.feedback_at_end and self.mode != Mode.DRILL

    @property
    def time_limit(self):
        return None if self.deadline is None else self.deadline - self.started_at

    @property
    def time_used(self):
        """Start to finish, at most the time limit (an exam closed after its deadline used all of it)."""
        if not self.finished:
            return None
        end = min(self.finished_at, self.deadline) if self.deadline else self.finished_at
        return end - self.started_at


class Response(models.Model):
    """A student's answer to one question of an attempt. Created early when a hint is asked
    for (answered_at stays empty until the answer arrives)."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="responses")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="responses")
    shown_choice_ids = models.JSONField(default=list, help_text="Choice ids in the order shown.")
    chosen_choice_ids = models.JSONField(default=list)
    correct = models.BooleanField(default=False)
    marks = models.DecimalField(max_digits=6, decimal_places=5, default=Decimal("0"))
    hints_used = models.PositiveSmallIntegerField(default=0)
    time_taken = models.DurationField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["attempt", "question"], name="one_response_per_question")]

    def __str__(self):
        return f"{self.attempt} / {self.question.key}"

    @property
    def answered(self) -> bool:
        return self.answered_at is not None


class Scheduled(models.Model):
    """FSRS's memory of one thing one student learns: the fields of scheduler.Memory."""

    class State(models.IntegerChoices):
        LEARNING = scheduler.LEARNING, "Learning"
        REVIEW = scheduler.REVIEW, "Review"
        RELEARNING = scheduler.RELEARNING, "Relearning"

    state = models.PositiveSmallIntegerField(choices=State.choices, default=State.LEARNING)
    step = models.PositiveSmallIntegerField(null=True, blank=True, default=0, help_text="Learning or relearning step; empty in Review.")
    stability = models.FloatField(null=True, blank=True, help_text="Days until the chance of recall falls to 90%.")
    difficulty = models.FloatField(null=True, blank=True, help_text="FSRS difficulty, 1 (easy) to 10 (hard).")
    due_at = models.DateTimeField()
    last_reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    def memory(self) -> scheduler.Memory:
        return scheduler.Memory(self.state, self.step, self.stability, self.difficulty, self.due_at, self.last_reviewed_at)

    def remember(self, memory: scheduler.Memory) -> None:
        """Take the memory's fields (the caller saves)."""
        self.state, self.step, self.stability, self.difficulty = memory.state, memory.step, memory.stability, memory.difficulty
        self.due_at, self.last_reviewed_at = memory.due, memory.last_review


class ReviewItem(Scheduled):
    """A question a student missed or needed hints for, scheduled by FSRS (see scheduler.py)."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="review_items")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="review_items")
    anon_id = models.CharField(max_length=40, blank=True, db_index=True)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = _one_per_owner("review_item", "question")

    def __str__(self):
        return f"{self.question} due {self.due_at:%Y-%m-%d}"


EXAM_DEFAULT_MINUTES = 15
# Error codes of the exam models' validation (the admin shows them on the form).
PARTIAL_EXAM_BLUEPRINT = "partial_exam_blueprint"
EMPTY_EXTENSION = "empty_extension"


class LessonExamSettings(models.Model):
    """The lesson's timed exam: its time limit, and what it draws (empty counts: the test's blueprint)."""

    lesson = models.OneToOneField(Lesson, on_delete=models.CASCADE, related_name="exam_settings")
    minutes = models.PositiveSmallIntegerField(default=EXAM_DEFAULT_MINUTES, validators=[MinValueValidator(1), MaxValueValidator(600)])
    easy = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Empty (all three): as the test.")
    medium = models.PositiveSmallIntegerField(null=True, blank=True)
    hard = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = "lesson exam"

    def __str__(self):
        return f"{self.lesson}: {self.minutes} min"

    def clean(self):
        if len({v is None for v in (self.easy, self.medium, self.hard)}) > 1:
            raise ValidationError("Give all three counts, or none to draw as the test does.", code=PARTIAL_EXAM_BLUEPRINT)

    def blueprint(self) -> dict[str, int] | None:
        if self.easy is None:
            return None
        return {"easy": self.easy, "medium": self.medium or 0, "hard": self.hard or 0}


class ExamExtension(models.Model):
    """An accommodation (Moodle's user override): one student's time limit for one lesson's exam.
    It applies to exams started after it is saved; a running exam keeps its deadline."""

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="exam_extensions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exam_extensions")
    minutes = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(600)],
        help_text="A different time limit for this student; empty: the lesson's.",
    )
    extra_minutes = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(600)], help_text="Added to the limit.")
    reason = models.CharField(max_length=200, blank=True, help_text="For staff, e.g. the accommodation it grants.")

    class Meta:
        verbose_name = "exam time extension"
        constraints = [models.UniqueConstraint(fields=["lesson", "user"], name="one_exam_extension_per_student")]

    def __str__(self):
        return f"{self.user} / {self.lesson}"

    def clean(self):
        if self.minutes is None and not self.extra_minutes:
            raise ValidationError("Set extra minutes, a different limit, or both.", code=EMPTY_EXTENSION)
class Flashcard(models.Model):
    """A key term or fact of a lesson: a front to recall from, a back to check against."""

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="flashcards")
    key = models.SlugField(max_length=80, help_text="Stable name used by the content loader.")
    position = models.PositiveIntegerField(default=0)
    front = models.TextField(help_text="Markdown: what the student sees and recalls from.")
    back = models.TextField(help_text="Markdown: shown when the card is turned over.")
    active = models.BooleanField(default=True, help_text="Inactive cards keep students' schedules but are not shown.")
    on_sheet = models.BooleanField(default=False, help_text="Listed under the summary sheet's numbers and formulas.")

    class Meta:
        ordering = ["lesson", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["lesson", "key"], name="unique_flashcard_key_per_lesson")]

    def __str__(self):
        return f"{self.lesson.slug}/{self.key}"


class FlashcardSchedule(Scheduled):
    """One student's FSRS schedule of one flashcard, from their first rating of it on."""

    card = models.ForeignKey(Flashcard, on_delete=models.CASCADE, related_name="schedules")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="flashcard_schedules")
    anon_id = models.CharField(max_length=40, blank=True, db_index=True)
    introduced_at = models.DateTimeField(help_text="First rated: the card counts against that day's new cards.")
    reviews = models.PositiveIntegerField(default=0, help_text="Ratings so far.")

    class Meta:
        ordering = ["due_at", "id"]
        constraints = _one_per_owner("flashcard_schedule", "card")

    def __str__(self):
        return f"{self.card} due {self.due_at:%Y-%m-%d %H:%M}"

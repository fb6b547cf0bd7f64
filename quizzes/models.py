"""Question bank, attempts, responses, flashcards and their FSRS schedules.

Choice letters are never stored: a letter is derived from the order a student was shown,
so no text in the bank can name the wrong one.
"""
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from courses.models import Lesson
from quizzes import scheduler

DIFFICULTIES = ("easy", "medium", "hard")


class Difficulty(models.TextChoices):
    EASY = "easy", "Easy"
    MEDIUM = "medium", "Medium"
    HARD = "hard", "Hard"


class Kind(models.TextChoices):
    SINGLE = "single", "Single answer"
    MULTIPLE = "multiple", "Multiple answers"
    TRUEFALSE = "truefalse", "True / false"


class Role(models.TextChoices):
    QUIZ = "quiz", "Model quiz"
    PRACTICE = "practice", "Practice bank"


class LessonQuizSettings(models.Model):
    """How many questions of each difficulty "Test this pattern" draws for a lesson."""

    lesson = models.OneToOneField(Lesson, on_delete=models.CASCADE, related_name="quiz_settings")
    easy = models.PositiveSmallIntegerField(default=3)
    medium = models.PositiveSmallIntegerField(default=4)
    hard = models.PositiveSmallIntegerField(default=3)

    class Meta:
        verbose_name = "lesson test blueprint"

    def __str__(self):
        return f"{self.lesson}: {self.easy}/{self.medium}/{self.hard}"

    def blueprint(self) -> dict[str, int]:
        return {"easy": self.easy, "medium": self.medium, "hard": self.hard}


DEFAULT_BLUEPRINT = {"easy": 3, "medium": 4, "hard": 3}


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


class Mistake(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="mistakes")
    position = models.PositiveIntegerField(default=0)
    text = models.CharField(max_length=300)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self):
        return self.text


class Choice(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    position = models.PositiveIntegerField(default=0)
    text = models.TextField(help_text="Markdown, shown inline.")
    fraction = models.DecimalField(
        "weight", max_digits=8, decimal_places=7, default=Decimal("0"),
        validators=[MinValueValidator(Decimal("-1")), MaxValueValidator(Decimal("1"))],
        help_text="Share of the marks, from -1 (-100%) to 1 (100%). Correct choices are those above 0.",
    )
    feedback = models.TextField(blank=True, help_text="Markdown: why this choice is right or wrong.")
    mistake = models.ForeignKey(Mistake, null=True, blank=True, on_delete=models.SET_NULL, related_name="choices")

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(fraction__gte=-1, fraction__lte=1), name="choice_fraction_range"),
        ]

    def __str__(self):
        return self.text[:60]

    @property
    def is_correct(self) -> bool:
        return self.fraction > 0


class SolutionStep(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField(default=0)
    title = models.CharField(max_length=200)
    body = models.TextField(help_text="Markdown.")

    class Meta:
        ordering = ["position", "id"]

    def __str__(self):
        return self.title


class Hint(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="hints")
    position = models.PositiveIntegerField(default=0)
    text = models.TextField(help_text="Markdown.")

    class Meta:
        ordering = ["position", "id"]

    def __str__(self):
        return self.text[:60]


class Mode(models.TextChoices):
    QUIZ = "quiz", "Model quiz"
    PRACTICE = "practice", "Practice"
    TEST = "test", "Test this pattern"
    REVIEW = "review", "Review"


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


class Flashcard(models.Model):
    """A key term or fact of a lesson: a front to recall from, a back to check against."""

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="flashcards")
    key = models.SlugField(max_length=80, help_text="Stable name used by the content loader.")
    position = models.PositiveIntegerField(default=0)
    front = models.TextField(help_text="Markdown: what the student sees and recalls from.")
    back = models.TextField(help_text="Markdown: shown when the card is turned over.")
    active = models.BooleanField(default=True, help_text="Inactive cards keep students' schedules but are not shown.")

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

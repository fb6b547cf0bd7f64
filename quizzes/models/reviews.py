"""What FSRS schedules for a student: missed questions (the review deck) and a lesson's flashcards."""

from django.conf import settings
from django.db import models

from courses.models import Lesson
from quizzes import scheduler
from quizzes.models.bank import Question
from quizzes.models.owner import one_per_owner


class Scheduled(models.Model):
    """FSRS's memory of one thing one student learns: the fields of scheduler.Memory."""

    class State(models.IntegerChoices):
        LEARNING = scheduler.LEARNING, "Learning"
        REVIEW = scheduler.REVIEW, "Review"
        RELEARNING = scheduler.RELEARNING, "Relearning"

    state = models.PositiveSmallIntegerField(choices=State.choices, default=State.LEARNING)
    step = models.PositiveSmallIntegerField(
        null=True, blank=True, default=0, help_text="Learning or relearning step; empty in Review."
    )
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
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="review_items"
    )
    anon_id = models.CharField(max_length=40, blank=True, db_index=True)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = one_per_owner("review_item", "question")

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
    on_sheet = models.BooleanField(default=False, help_text="Listed under the summary sheet's numbers and formulas.")

    class Meta:
        ordering = ["lesson", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["lesson", "key"], name="unique_flashcard_key_per_lesson")]

    def __str__(self):
        return f"{self.lesson.slug}/{self.key}"


class FlashcardSchedule(Scheduled):
    """One student's FSRS schedule of one flashcard, from their first rating of it on."""

    card = models.ForeignKey(Flashcard, on_delete=models.CASCADE, related_name="schedules")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="flashcard_schedules"
    )
    anon_id = models.CharField(max_length=40, blank=True, db_index=True)
    introduced_at = models.DateTimeField(help_text="First rated: the card counts against that day's new cards.")
    reviews = models.PositiveIntegerField(default=0, help_text="Ratings so far.")

    class Meta:
        ordering = ["due_at", "id"]
        constraints = one_per_owner("flashcard_schedule", "card")

    def __str__(self):
        return f"{self.card} due {self.due_at:%Y-%m-%d %H:%M}"

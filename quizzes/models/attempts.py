"""A student's sittings (attempts, one mode each) and their answers (responses)."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from courses.models import Course, Lesson
from quizzes.models.bank import Question
from quizzes.models.owner import OWNER
from quizzes.typed import MAX_TYPED_LENGTH


class Mode(models.TextChoices):
    QUIZ = "quiz", "Model quiz"
    PRACTICE = "practice", "Practice"
    TEST = "test", "Test this pattern"
    REVIEW = "review", "Review"
    EXAM = "exam", "Timed exam"
    DRILL = "drill", "Mistake drill"


#: Modes that say nothing about correctness until the attempt is finished (and offer no hints).
FEEDBACK_AT_END_MODES = (Mode.TEST, Mode.EXAM)


class Attempt(models.Model):
    """One sitting in one mode. The questions and each question's choice order are fixed at
    the start, so a reload shows the same page; a finished attempt never changes."""

    mode = models.CharField(max_length=10, choices=Mode.choices)
    # Where its questions come from: one lesson, or for a course-wide review the course and no
    # lesson (its questions span lessons; each answer counts in its question's own lesson).
    lesson = models.ForeignKey(Lesson, null=True, blank=True, on_delete=models.CASCADE, related_name="quiz_attempts")
    course = models.ForeignKey(
        Course,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="quiz_attempts",
        help_text="A course-wide review: the course whose due questions it asks (no lesson).",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="quiz_attempts"
    )
    anon_id = models.CharField(max_length=40, blank=True, db_index=True, help_text="Anonymous student's id, kept in the session.")
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    seed = models.BigIntegerField(default=0, help_text="Seed of the question draw.")
    question_ids = models.JSONField(default=list, help_text="Questions in the order asked.")
    choice_orders = models.JSONField(default=dict, help_text="Question id -> choice ids in the order shown.")
    score = models.DecimalField(max_digits=6, decimal_places=5, null=True, blank=True, help_text="0..1 once finished.")
    deadline = models.DateTimeField(null=True, blank=True, help_text="Timed exam: the start plus the student's time limit.")
    regraded_at = models.DateTimeField(
        null=True, blank=True, help_text="When its answers were last re-marked against corrected questions."
    )
    score_before_regrade = models.DecimalField(max_digits=6, decimal_places=5, null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=OWNER, name="attempt_has_owner"),
            models.CheckConstraint(
                condition=Q(lesson__isnull=False, course__isnull=True)
                | Q(lesson__isnull=True, course__isnull=False, mode="review"),
                name="attempt_of_a_lesson_or_a_course_review",
            ),
            # One open exam per student and lesson (the start service catches the violation and
            # returns the open one): concurrent starts cannot open a second.
            models.UniqueConstraint(
                fields=["user", "lesson"],
                condition=Q(mode="exam", finished_at__isnull=True, user__isnull=False),
                name="one_open_exam_per_user",
            ),
            models.UniqueConstraint(
                fields=["anon_id", "lesson"],
                condition=Q(mode="exam", finished_at__isnull=True, user__isnull=True),
                name="one_open_exam_per_anon",
            ),
        ]
        indexes = [models.Index(fields=["user", "lesson", "mode"]), models.Index(fields=["anon_id", "lesson", "mode"])]

    def __str__(self):
        return f"{self.get_mode_display()} #{self.pk}"

    @property
    def scope(self):
        """The lesson it asks from, or the course of a course-wide review: what its pages link back to."""
        return self.lesson or self.course

    @property
    def finished(self) -> bool:
        return self.finished_at is not None

    @property
    def score_percent(self):
        return None if self.score is None else round(float(self.score) * 100)

    @property
    def feedback_at_end(self) -> bool:
        """Tests and exams say nothing about correctness until finished, and offer no hints."""
        return self.mode in FEEDBACK_AT_END_MODES

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
    chosen_choice_ids = models.JSONField(default=list, help_text="Typed kinds: the answer it matched, if any.")
    typed_answer = models.CharField(max_length=MAX_TYPED_LENGTH, blank=True, help_text="Typed kinds: what the student typed.")
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

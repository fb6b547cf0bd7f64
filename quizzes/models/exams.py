"""The timed exam's settings per lesson and per-student time extensions (accommodations)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from courses.models import Lesson

EXAM_DEFAULT_MINUTES = 15
# Error codes of the exam models' validation (the admin shows them on the form).
PARTIAL_EXAM_BLUEPRINT = "partial_exam_blueprint"
EMPTY_EXTENSION = "empty_extension"


class LessonExamSettings(models.Model):
    """The lesson's timed exam: its time limit, the attempts allowed, and what it draws (empty counts: the test's blueprint)."""

    lesson = models.OneToOneField(Lesson, on_delete=models.CASCADE, related_name="exam_settings")
    minutes = models.PositiveSmallIntegerField(
        default=EXAM_DEFAULT_MINUTES, validators=[MinValueValidator(1), MaxValueValidator(600)]
    )
    easy = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Empty (all three): as the test.")
    medium = models.PositiveSmallIntegerField(null=True, blank=True)
    hard = models.PositiveSmallIntegerField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Exams one student may start in this lesson (Moodle's attempts allowed); empty: unlimited.",
    )

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
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(600)],
        help_text="A different time limit for this student; empty: the lesson's.",
    )
    extra_minutes = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(600)], help_text="Added to the limit."
    )
    reason = models.CharField(max_length=200, blank=True, help_text="For staff, e.g. the accommodation it grants.")

    class Meta:
        verbose_name = "exam time extension"
        constraints = [models.UniqueConstraint(fields=["lesson", "user"], name="one_exam_extension_per_student")]

    def __str__(self):
        return f"{self.user} / {self.lesson}"

    def clean(self):
        if self.minutes is None and not self.extra_minutes:
            raise ValidationError("Set extra minutes, a different limit, or both.", code=EMPTY_EXTENSION)

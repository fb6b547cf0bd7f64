"""Courses, lessons and the sections a lesson page shows, in order."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse


class Course(models.Model):
    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
    track = models.SlugField(help_text='Short track code shown on cards, e.g. "ml".')
    description = models.TextField(blank=True, help_text="Markdown.")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "title"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("courses:course", args=[self.slug])


class Lesson(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="lessons")
    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
    subtitle = models.CharField(max_length=200, blank=True)
    minutes = models.PositiveIntegerField(default=10, help_text="Estimated reading time.")
    position = models.PositiveIntegerField(default=0)
    published = models.BooleanField(default=False, help_text="Students see the lesson only once this is ticked.")
    pipeline_title = models.CharField(max_length=200, blank=True)
    pipeline_summary = models.TextField(blank=True, help_text="Markdown.")
    training_note = models.TextField(blank=True, help_text="Markdown shown under the training trace.")
    key_insight = models.TextField(blank=True, help_text="Markdown.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["course", "position", "title"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("courses:lesson", args=[self.slug])


class LessonPart(models.Model):
    """A named part of a lesson page, numbered in the order it is shown (a stage, a layer)."""

    position = models.PositiveIntegerField()
    name = models.CharField(max_length=200)

    class Meta:
        abstract = True
        ordering = ["position"]


class PipelineStage(LessonPart):
    """One stage of the lesson's data flow: what goes in, what is done, what comes out."""

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="stages")
    input_shape = models.CharField(max_length=200)
    operation = models.TextField(help_text="Markdown.")
    output_shape = models.CharField(max_length=200)
    example = models.TextField(blank=True, help_text="Markdown.")

    class Meta(LessonPart.Meta):
        constraints = [models.UniqueConstraint(fields=["lesson", "position"], name="unique_stage_position")]

    def __str__(self):
        return f"{self.position}. {self.name}"


class TrainingEpoch(models.Model):
    """One row of the lesson's illustrative training trace."""

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="epochs")
    epoch = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    loss = models.FloatField(validators=[MinValueValidator(0)])
    accuracy = models.FloatField(validators=[MinValueValidator(0), MaxValueValidator(1)])
    observation = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["epoch"]
        constraints = [
            models.UniqueConstraint(fields=["lesson", "epoch"], name="unique_lesson_epoch"),
            models.CheckConstraint(condition=models.Q(accuracy__gte=0, accuracy__lte=1), name="epoch_accuracy_0_1"),
            models.CheckConstraint(condition=models.Q(loss__gte=0), name="epoch_loss_non_negative"),
        ]

    def __str__(self):
        return f"Epoch {self.epoch}"


class PredictionLayer(LessonPart):
    """One layer of the lesson's prediction trace, from input image to prediction."""

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="prediction_layers")
    description = models.TextField(blank=True, help_text="Markdown.")

    class Meta(LessonPart.Meta):
        constraints = [models.UniqueConstraint(fields=["lesson", "position"], name="unique_layer_position")]

    def __str__(self):
        return f"Layer {self.position}: {self.name}"


# No 0/O, 1/I/L: a code is read aloud and copied from a board.
CLASS_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CLASS_CODE_LENGTH = 8


def new_class_code() -> str:
    import secrets

    return "".join(secrets.choice(CLASS_CODE_ALPHABET) for _ in range(CLASS_CODE_LENGTH))


class ClassCode(models.Model):
    """A teacher's code for a class to sign up with: sign-ups that give it count against its seats,
    not against the per-address sign-up limit (a classroom sits behind one address)."""

    code = models.CharField(max_length=16, unique=True, default=new_class_code, editable=False)
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="class_codes")
    name = models.CharField(max_length=120, help_text='What the class is called, e.g. "Year 11, Tuesday group".')
    seats = models.PositiveIntegerField(validators=[MinValueValidator(1)], help_text="How many learners may sign up with it.")
    expires_at = models.DateTimeField(help_text="After this, the code no longer signs anyone up.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="class_codes_created",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.code})"


class ClassMember(models.Model):
    """A learner who signed up with a class code: one seat of it."""

    class_code = models.ForeignKey(ClassCode, on_delete=models.CASCADE, related_name="members")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="class_membership")
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["joined_at", "pk"]

    def __str__(self):
        return f"{self.user} in {self.class_code}"

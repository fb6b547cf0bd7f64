"""Admin of courses and lessons: sections inline in order (and the inlines other apps register), a student preview
and links to the question pages."""
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from courses.models import Course, Lesson, PipelineStage, PredictionLayer, TrainingEpoch


class PipelineStageInline(admin.StackedInline):
    model = PipelineStage
    extra = 0
    ordering = ["position"]


class TrainingEpochInline(admin.TabularInline):
    model = TrainingEpoch
    extra = 0
    ordering = ["epoch"]


class PredictionLayerInline(admin.TabularInline):
    model = PredictionLayer
    extra = 0
    ordering = ["position"]


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "track", "position"]
    prepopulated_fields = {"slug": ["title"]}


@admin.register(Lesson)
class LessonAdmin(admin.ModelAdmin):
    list_display = ["title", "course", "minutes", "published", "preview_link", "questions_links"]
    list_filter = ["course", "published"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [PipelineStageInline, TrainingEpochInline, PredictionLayerInline]
    fieldsets = [
        (None, {"fields": ["course", "title", "subtitle", "slug", "minutes", "position", "published"]}),
        ("Pipeline", {"fields": ["pipeline_title", "pipeline_summary"]}),
        ("Training trace", {"fields": ["training_note"]}),
        ("Key insight", {"fields": ["key_insight"]}),
    ]

    @admin.display(description="Preview")
    def preview_link(self, obj):
        return format_html('<a href="{}">Preview as a student</a>', reverse("courses:lesson_preview", args=[obj.slug]))

    @admin.display(description="Questions")
    def questions_links(self, obj):
        return format_html(
            '<a href="{}">Question statistics</a> · <a href="{}">Import questions</a>',
            reverse("admin:quizzes_lesson_statistics", args=[obj.pk]), reverse("admin:quizzes_lesson_import", args=[obj.pk]),
        )

    def view_on_site(self, obj):
        return reverse("courses:lesson_preview", args=[obj.slug])


def register_lesson_inline(inline: type[admin.options.InlineModelAdmin]) -> None:
    """Show another app's inline on the lesson's admin page, after the lesson's own sections (the
    quiz app's flashcards, from QuizzesConfig.ready); registering one twice adds it once."""
    if inline not in LessonAdmin.inlines:
        LessonAdmin.inlines = [*LessonAdmin.inlines, inline]

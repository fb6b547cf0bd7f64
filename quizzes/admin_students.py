"""Admin of what students did, read-only (attempts with their responses, review items), and of each lesson's test and exam settings."""

from django.contrib import admin

from quizzes.models import Attempt, ExamExtension, LessonExamSettings, LessonQuizSettings, Response, ReviewItem


@admin.register(LessonQuizSettings)
class LessonQuizSettingsAdmin(admin.ModelAdmin):
    list_display = ["lesson", "easy", "medium", "hard"]


@admin.register(LessonExamSettings)
class LessonExamSettingsAdmin(admin.ModelAdmin):
    list_display = ["lesson", "minutes", "attempts", "easy", "medium", "hard"]


@admin.register(ExamExtension)
class ExamExtensionAdmin(admin.ModelAdmin):
    """Per-student time limits (accommodations); they apply to exams started after they are saved."""

    list_display = ["user", "lesson", "minutes", "extra_minutes", "reason"]
    list_filter = ["lesson"]
    search_fields = ["user__username", "reason"]
    autocomplete_fields = ["user", "lesson"]
    list_select_related = ["user", "lesson"]


class ResponseInline(admin.TabularInline):
    model = Response
    extra = 0
    can_delete = False
    readonly_fields = [
        "question",
        "shown_choice_ids",
        "chosen_choice_ids",
        "correct",
        "marks",
        "hints_used",
        "time_taken",
        "answered_at",
    ]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Attempt)
class AttemptAdmin(admin.ModelAdmin):
    """Attempts are records of what students did: read-only here."""

    list_display = ["id", "mode", "lesson", "course", "user", "anon_id", "started_at", "finished_at", "score"]
    list_filter = ["mode", "lesson"]
    # Not the seed: it keys the attempt's choice shuffle, and no page shows it (a staff member
    # taking a test is a student too).
    readonly_fields = [f.name for f in Attempt._meta.fields if f.name != "seed"]
    exclude = ["seed"]
    inlines = [ResponseInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ReviewItem)
class ReviewItemAdmin(admin.ModelAdmin):
    list_display = ["question", "user", "anon_id", "due_at", "state", "stability", "difficulty"]
    list_filter = ["question__lesson"]
    list_select_related = ["question", "user"]

"""Admin of courses and lessons: sections inline in order (and the inlines other apps register), a student preview
and links to the question pages; teachers' class codes with who joined each."""

from django.contrib import admin
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html

from courses.models import ClassCode, ClassMember, Course, Lesson, PipelineStage, PredictionLayer, TrainingEpoch


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
            reverse("admin:quizzes_lesson_statistics", args=[obj.pk]),
            reverse("admin:quizzes_lesson_import", args=[obj.pk]),
        )

    def view_on_site(self, obj):
        return reverse("courses:lesson_preview", args=[obj.slug])


def register_lesson_inline(inline: type[admin.options.InlineModelAdmin]) -> None:
    """Show another app's inline on the lesson's admin page, after the lesson's own sections (the
    quiz app's flashcards, from QuizzesConfig.ready); registering one twice adds it once."""
    if inline not in LessonAdmin.inlines:
        LessonAdmin.inlines = [*LessonAdmin.inlines, inline]


class ClassMemberInline(admin.TabularInline):
    """Who signed up with the code, in the order they joined: read-only (a seat is taken by signing up)."""

    model = ClassMember
    extra = 0
    can_delete = False
    fields = ["user", "joined_at"]
    readonly_fields = ["user", "joined_at"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        # Whoever may see the code sees who joined it: no permission on the members' table is needed.
        return request.user.has_perm("courses.view_classcode") or request.user.has_perm("courses.change_classcode")


@admin.register(ClassCode)
class ClassCodeAdmin(admin.ModelAdmin):
    """A teacher's class codes: staff with the class code permissions create them and see who joined;
    each teacher sees the codes they created (a superuser sees all)."""

    list_display = ["code", "name", "course", "seats_taken", "expires_at", "created_by"]
    list_filter = ["course"]
    search_fields = ["code", "name", "members__user__username"]
    readonly_fields = ["code", "signup_link", "seats_taken", "created_by", "created_at"]
    fields = ["name", "course", "seats", "expires_at", *readonly_fields]
    inlines = [ClassMemberInline]

    def get_queryset(self, request):
        codes = super().get_queryset(request).select_related("course", "created_by").annotate(taken=Count("members"))
        return codes if request.user.is_superuser else codes.filter(created_by=request.user)

    @admin.display(description="Seats taken", ordering="taken")
    def seats_taken(self, obj):
        return f"{getattr(obj, 'taken', obj.members.count())} of {obj.seats}" if obj.pk else "-"

    @admin.display(description="Sign-up link")
    def signup_link(self, obj):
        if not obj.pk:
            return "shown once the code is saved"
        return f"{reverse('quizzes:signup')}?class={obj.code}"

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

"""Admin of questions (choices, steps, hints and mistakes inline, checked like the loader); attempts and reviews are in admin_students.py.

The question list is the bank (quizzes/admin_bank.py: stem, usage and lint columns, duplicate
and bulk edit); the question form's weights are in percent and its choices name mistakes by
number (quizzes/admin_forms.py).

A question is saved through quizzes.authoring.questions like every other source: an edit of what
students see makes a new version (listed on the page with what changed and how many answers each
has). Only the current version of an admin-authored or imported question can be edited: a
lesson file's question is edited in its file (the page says which), an older version never.
"""

from django.contrib import admin, messages
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from quizzes import admin_students  # noqa: F401  (registers the admin of attempts, reviews and exam settings)
from quizzes.admin_bank import bulk_edit_action, duplicate_action, short_stem, with_usage
from quizzes.admin_forms import ChoiceForm, ChoiceFormSet, HintForm, QuestionForm, StepForm, admin_content, percent_text
from quizzes.admin_views import admin_urls, export_as_aiken, export_as_gift, regrade_action
from quizzes.authoring.bank import position_after_last
from quizzes.authoring.questions import QuestionPlace, question_retire, question_save
from quizzes.authoring.versions import question_versions, responses_to_any_version
from quizzes.lint_sources import lint_question
from quizzes.models import Choice, Flashcard, Hint, Mistake, Question, SolutionStep, Source


class FollowsQuestion:
    """An inline that can be changed only where its question can (the current version of an author's question)."""

    def _editable(self, obj) -> bool:
        return obj is None or (obj.current and obj.source != Source.FILE)

    def has_add_permission(self, request, obj=None):
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj) and super().has_delete_permission(request, obj)


class ChoiceInline(FollowsQuestion, admin.StackedInline):
    model = Choice
    form = ChoiceForm
    formset = ChoiceFormSet
    extra = 0
    min_num = 1  # a typed question may have one answer; choice kinds need two (validate_choices says so)
    fields = [("position", "fraction", "tolerance", "mistake_number"), "text", "feedback"]

    def get_fields(self, request, obj=None):
        # Read-only (a file's question, an older version): the same columns, shown as the form shows them.
        return self.fields if self._editable(obj) else [("position", "weight", "tolerance", "mistake_number"), "text", "feedback"]

    def get_readonly_fields(self, request, obj=None):
        return super().get_readonly_fields(request, obj) if self._editable(obj) else ["weight", "mistake_number"]

    @admin.display(description="Weight %")
    def weight(self, choice):
        return percent_text(choice.fraction)

    @admin.display(description="Mistake #")
    def mistake_number(self, choice):
        order = [m.pk for m in choice.question.mistakes.all()]
        return order.index(choice.mistake_id) + 1 if choice.mistake_id in order else "-"


class StepInline(FollowsQuestion, admin.StackedInline):
    model = SolutionStep
    form = StepForm
    extra = 0


class HintInline(FollowsQuestion, admin.TabularInline):
    model = Hint
    form = HintForm
    extra = 0


class MistakeInline(FollowsQuestion, admin.TabularInline):
    model = Mistake
    extra = 0


class FlashcardInline(admin.StackedInline):
    """A lesson's flashcards, edited on the lesson's admin page (courses/admin.py)."""

    model = Flashcard
    extra = 0
    ordering = ["position"]
    fields = [("key", "position", "active", "on_sheet"), "front", "back"]


class VersionFilter(admin.SimpleListFilter):
    title = "version"
    parameter_name = "versions"

    def lookups(self, request, model_admin):
        return [("all", "All versions")]

    def queryset(self, request, queryset):
        return queryset if self.value() == "all" else queryset.filter(current=True)


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    form = QuestionForm
    # Fits a 1280 px window beside the filters: the stem cut short, the usage and lint counts of the page's rows only.
    list_display = [
        "key",
        "stem_text",
        "lesson",
        "kind",
        "difficulty",
        "place",
        "active",
        "version_number",
        "used_in",
        "lint_count",
        "preview_link",
    ]
    list_filter = [VersionFilter, "lesson", "source", "difficulty", "role", "kind", "active"]
    search_fields = ["key", "stem"]
    list_select_related = ["lesson"]
    list_per_page = 50
    fields = [
        "lesson",
        "key",
        "role",
        "position",
        "difficulty",
        "kind",
        "stem",
        "quick_check",
        "active",
        "source_label",
        "lint_findings",
        "versions",
    ]
    readonly_fields = ["source_label", "lint_findings", "versions"]
    # Mistakes come before choices: a choice names one by its number in this inline (quizzes/admin_forms.py).
    inlines = [MistakeInline, ChoiceInline, StepInline, HintInline]
    actions = [duplicate_action, bulk_edit_action, export_as_gift, export_as_aiken, regrade_action]

    class Media:
        css = {"all": ["css/admin_questions.css"]}

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.resolver_match and request.resolver_match.url_name == "quizzes_question_changelist":
            # Evaluated as the page's slice: the prefetch and the usage subquery cover only its rows.
            queryset = with_usage(queryset).prefetch_related("choices", "hints", "mistakes")
        return queryset

    @admin.display(description="Stem")
    def stem_text(self, obj):
        return format_html('<span class="question-stem">{}</span>', short_stem(obj.stem))

    @admin.display(description="#", ordering="position")
    def place(self, obj):
        return obj.position

    @admin.display(description="v", ordering="version")
    def version_number(self, obj):
        return obj.version

    @admin.display(description="Used in", ordering="used_in")
    def used_in(self, obj):
        n = getattr(obj, "used_in", 0)
        return f"{n} attempt{'' if n == 1 else 's'}"

    @admin.display(description="Lint")
    def lint_count(self, obj):
        """How many findings the question linter has for this row (its change page lists them)."""
        return len(lint_question(obj, answered=getattr(obj, "answered", None)))

    def _create_formsets(self, request, obj, change):
        # A choice's "mistake #" names a row of the same page's mistakes inline: the choices' check needs it.
        formsets, inline_instances = super()._create_formsets(request, obj, change)
        by_model = {formset.model: formset for formset in formsets}
        if Choice in by_model and Mistake in by_model:
            by_model[Choice].mistakes_formset = by_model[Mistake]
        return formsets, inline_instances

    def get_urls(self):
        # Per-lesson statistics, CSV, import and export pages (quizzes/admin_views.py).
        return admin_urls(self.admin_site) + super().get_urls()

    def get_readonly_fields(self, request, obj=None):
        # The lesson and key name the question across its versions: fixed once it exists.
        return self.readonly_fields + (["lesson", "key"] if obj else [])

    _editable = FollowsQuestion._editable

    def has_change_permission(self, request, obj=None):
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj) and super().has_delete_permission(request, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is not None and request.method == "GET":
            if obj.source == Source.FILE:
                messages.info(
                    request,
                    f"This question comes from the lesson file {obj.source_file or 'of its lesson'}: "
                    "edit it there; loadcontent (run by make run) loads the change as a new version.",
                )
            elif not obj.current:
                messages.info(
                    request, f"This is version {obj.version}, kept as learners saw it: only the current version can be edited."
                )
            answered = responses_to_any_version(obj)
            if answered and self._editable(obj):
                messages.warning(
                    request,
                    f"Learners have answered this question {answered} time(s). Saving a change to what they "
                    f"see or how it is marked makes version {obj.version + 1}; their attempts keep the version "
                    "they saw until you regrade them.",
                )
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description="Source")
    def source_label(self, obj):
        if obj is None or obj.pk is None:
            return "Admin"
        return obj.get_source_display() + (f" ({obj.source_file})" if obj.source_file else "")

    @admin.display(description="Versions")
    def versions(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        rows = question_versions(obj)
        return format_html(
            '<table class="question-versions"><thead><tr><th>Version</th><th>Saved</th><th>Answers</th><th>What changed</th>'
            "</tr></thead><tbody>{}</tbody></table>",
            format_html_join(
                "",
                '<tr id="version-{}"><td><a href="{}">{}{}</a></td><td>{}</td><td>{}</td><td><pre>{}</pre></td></tr>',
                (
                    (
                        r.question.version,
                        reverse("quizzes:question_preview", args=[r.question.pk]),
                        r.question.version,
                        " (current)" if r.question.current else "",
                        f"{r.question.created_at:%Y-%m-%d %H:%M}" if r.question.created_at else "",
                        r.responses,
                        "\n".join(r.changes) or "first version",
                    )
                    for r in rows
                ),
            ),
        )

    def save_model(self, request, obj, form, change):
        pass  # written by save_related, once the inlines are known, through question_save

    def save_related(self, request, form, formsets, change):
        data = form.cleaned_data
        obj = form.instance
        saved = question_save(
            lesson=obj.lesson,
            key=obj.key,
            content=admin_content(form, formsets),
            source=obj.source if change else Source.ADMIN,
            place=QuestionPlace(
                role=data["role"],
                difficulty=data["difficulty"],
                active=data["active"],
                position=position_after_last(obj.lesson) if data.get("position") is None else data["position"],
            ),
        )
        obj.pk, obj.version, obj.current = saved.question.pk, saved.question.version, True
        request._question_saved = saved

    def get_deleted_objects(self, objs, request):
        # Answers protect a question from deletion; here an answered one is retired instead (delete_model).
        deleted, counts, perms_needed, _protected = super().get_deleted_objects(objs, request)
        return deleted, counts, perms_needed, []

    def delete_model(self, request, obj):
        question_retire(obj)  # answered: made inactive with its history; else gone with every version

    def delete_queryset(self, request, queryset):
        for question in queryset:
            question_retire(question)

    def construct_change_message(self, request, form, formsets, add=False):
        saved = getattr(request, "_question_saved", None)
        return "" if saved is None else f"Saved: {saved.outcome.replace('_', ' ')} (version {saved.question.version})."

    @admin.display(description="Preview")
    def preview_link(self, obj):
        return format_html('<a href="{}">As students see it</a>', reverse("quizzes:question_preview", args=[obj.pk]))

    @admin.display(description="Linter")
    def lint_findings(self, obj):
        """The question linter's findings for the saved question (docs/quizzes.md, "The question linter")."""
        if obj is None or obj.pk is None:
            return "-"
        return render_to_string("quizzes/_lint_findings.html", {"findings": lint_question(obj)})

    def view_on_site(self, obj):
        return reverse("quizzes:question_preview", args=[obj.pk])

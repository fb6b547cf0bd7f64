"""Admin of questions (choices, steps, hints and mistakes inline, checked like the loader), attempts and reviews.

A question is saved through quizzes.authoring.questions like every other source: an edit of what
students see makes a new version (listed on the page with what changed and how many answers each
has). Only the current version of an admin-authored or imported question can be edited: a
lesson file's question is edited in its file (the page says which), an older version never.
"""
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from quizzes.admin_views import admin_urls, export_as_aiken, export_as_gift, regrade_action
from quizzes.authoring.questions import ChoiceContent, QuestionContent, QuestionPlace, question_retire, question_save
from quizzes.authoring.versions import question_versions, responses_to_any_version
from quizzes.grading import validate_choices, validate_no_letter_reference
from quizzes.lint_sources import lint_question
from quizzes.typed import tolerance_decimal, validate_answers
from quizzes.vocabulary import TYPED_KINDS
from quizzes.models import (
    Attempt, Choice, ExamExtension, Flashcard, Hint, LessonExamSettings, LessonQuizSettings, Mistake, Question, Response,
    ReviewItem, SolutionStep, Source,
)

# Error code: a choice links a common mistake of another question.
FOREIGN_MISTAKE = "foreign_mistake"


class ChoiceFormSet(forms.BaseInlineFormSet):
    """The same rules as the content loader: quizzes.grading.validate_choices, or for a typed
    question (its choices are the answers typed text is matched against) quizzes.typed.validate_answers."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        rows = [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get("text")
        ]
        if self.instance.kind in TYPED_KINDS:
            validate_answers(self.instance.kind, [
                (row["text"], row["fraction"], tolerance_decimal(row.get("tolerance") or 0)) for row in rows
            ])
        else:
            validate_choices(self.instance.kind, [row["fraction"] for row in rows])
        for form in self.forms:
            mistake = form.cleaned_data.get("mistake") if form.cleaned_data else None
            if mistake is not None and self.instance.pk and mistake.question_id != self.instance.pk:
                raise ValidationError("A choice can only link a mistake of its own question.", code=FOREIGN_MISTAKE)


class LetterFreeForm(forms.ModelForm):
    """Text that explains an answer must name choices by content, never by letter."""

    letter_free_fields: tuple[str, ...] = ()

    def clean(self):
        data = super().clean()
        for name in self.letter_free_fields:
            try:
                validate_no_letter_reference(data.get(name, ""))
            except ValidationError as exc:
                self.add_error(name, exc)
        return data


class ChoiceForm(LetterFreeForm):
    letter_free_fields = ("feedback",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tolerance"].required = False  # only numeric answers have one; empty is 0

    def clean_tolerance(self):
        return self.cleaned_data.get("tolerance") or 0


class StepForm(LetterFreeForm):
    letter_free_fields = ("title", "body")


class HintForm(LetterFreeForm):
    letter_free_fields = ("text",)


class QuestionForm(LetterFreeForm):
    letter_free_fields = ("quick_check",)


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
    fields = [("position", "fraction", "tolerance"), "text", "feedback", "mistake"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "mistake":
            question_id = request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
            kwargs["queryset"] = Mistake.objects.filter(question_id=question_id) if question_id else Mistake.objects.none()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


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


def _kept(formset) -> list:
    """The formset's rows that stay, in the order of their position field."""
    forms_ = [f for f in formset.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
    return sorted(forms_, key=lambda f: (f.cleaned_data.get("position") or 0, formset.forms.index(f)))


def admin_content(form, formsets) -> QuestionContent:
    """The question form and its inlines as the content question_save compares and writes."""
    by_model = {fs.model: fs for fs in formsets}
    mistakes = [f for f in _kept(by_model[Mistake]) if f.cleaned_data.get("text")]
    number = {f.instance.pk: i for i, f in enumerate(mistakes, start=1) if f.instance.pk}
    choices = []
    for f in _kept(by_model[Choice]):
        row = f.cleaned_data
        if not row.get("text"):
            continue
        mistake = row.get("mistake")
        choices.append(ChoiceContent(
            text=row["text"], fraction=row["fraction"], feedback=row.get("feedback") or "", tolerance=row.get("tolerance") or 0,
            mistake=number.get(mistake.pk) if mistake else None, lineage=row["id"].lineage_id if row.get("id") else None,
        ))
    data = form.cleaned_data
    return QuestionContent(
        kind=data["kind"], stem=data["stem"], quick_check=data.get("quick_check") or "", choices=tuple(choices),
        steps=tuple((f.cleaned_data["title"], f.cleaned_data["body"]) for f in _kept(by_model[SolutionStep])),
        hints=tuple(f.cleaned_data["text"] for f in _kept(by_model[Hint])),
        mistakes=tuple(f.cleaned_data["text"] for f in mistakes),
    )


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    form = QuestionForm
    list_display = ["key", "lesson", "role", "difficulty", "kind", "position", "active", "version", "source", "preview_link"]
    list_filter = [VersionFilter, "lesson", "source", "difficulty", "role", "kind", "active"]
    search_fields = ["key", "stem"]
    list_select_related = ["lesson"]
    fields = ["lesson", "key", "role", "position", "difficulty", "kind", "stem", "quick_check", "active", "source_label", "lint_findings", "versions"]
    readonly_fields = ["source_label", "lint_findings", "versions"]
    # Mistakes come before choices so that a new one can be saved, then linked.
    inlines = [MistakeInline, ChoiceInline, StepInline, HintInline]
    actions = [export_as_gift, export_as_aiken, regrade_action]

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
                messages.info(request, f"This question comes from the lesson file {obj.source_file or 'of its lesson'}: "
                                       "edit it there; loadcontent (run by make run) loads the change as a new version.")
            elif not obj.current:
                messages.info(request, f"This is version {obj.version}, kept as learners saw it: only the current version can be edited.")
            answered = responses_to_any_version(obj)
            if answered and self._editable(obj):
                messages.warning(request, f"Learners have answered this question {answered} time(s). Saving a change to what they "
                                          f"see or how it is marked makes version {obj.version + 1}; their attempts keep the version "
                                          "they saw until you regrade them.")
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
            format_html_join("", '<tr id="version-{}"><td><a href="{}">{}{}</a></td><td>{}</td><td>{}</td><td><pre>{}</pre></td></tr>', (
                (r.question.version, reverse("quizzes:question_preview", args=[r.question.pk]), r.question.version,
                 " (current)" if r.question.current else "", f"{r.question.created_at:%Y-%m-%d %H:%M}" if r.question.created_at else "",
                 r.responses, "\n".join(r.changes) or "first version")
                for r in rows
            )),
        )

    def save_model(self, request, obj, form, change):
        pass  # written by save_related, once the inlines are known, through question_save

    def save_related(self, request, form, formsets, change):
        data = form.cleaned_data
        obj = form.instance
        saved = question_save(
            lesson=obj.lesson, key=obj.key, content=admin_content(form, formsets), source=obj.source if change else Source.ADMIN,
            place=QuestionPlace(role=data["role"], position=data["position"], difficulty=data["difficulty"], active=data["active"]),
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
    readonly_fields = ["question", "shown_choice_ids", "chosen_choice_ids", "correct", "marks", "hints_used", "time_taken", "answered_at"]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Attempt)
class AttemptAdmin(admin.ModelAdmin):
    """Attempts are records of what students did: read-only here."""

    list_display = ["id", "mode", "lesson", "user", "anon_id", "started_at", "finished_at", "score"]
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

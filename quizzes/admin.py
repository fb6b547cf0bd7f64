"""Admin of questions (choices, steps, hints and mistakes inline, checked like the loader), attempts and reviews."""
from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html

from quizzes.admin_views import admin_urls, export_as_aiken, export_as_gift
from quizzes.grading import validate_choices, validate_no_letter_reference
from quizzes.lint_sources import lint_question
from quizzes.typed import tolerance_decimal, validate_answers
from quizzes.vocabulary import TYPED_KINDS
from quizzes.models import (
    Attempt, Choice, ExamExtension, Flashcard, Hint, LessonExamSettings, LessonQuizSettings, Mistake, Question, Response,
    ReviewItem, SolutionStep,
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


class ChoiceInline(admin.StackedInline):
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


class StepInline(admin.StackedInline):
    model = SolutionStep
    form = StepForm
    extra = 0


class HintInline(admin.TabularInline):
    model = Hint
    form = HintForm
    extra = 0


class MistakeInline(admin.TabularInline):
    model = Mistake
    extra = 0


class FlashcardInline(admin.StackedInline):
    """A lesson's flashcards, edited on the lesson's admin page (courses/admin.py)."""

    model = Flashcard
    extra = 0
    ordering = ["position"]
    fields = [("key", "position", "active", "on_sheet"), "front", "back"]


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    form = QuestionForm
    list_display = ["key", "lesson", "role", "difficulty", "kind", "position", "active", "preview_link"]
    list_filter = ["lesson", "difficulty", "role", "kind", "active"]
    search_fields = ["key", "stem"]
    list_select_related = ["lesson"]
    fields = ["lesson", "key", "role", "position", "difficulty", "kind", "stem", "quick_check", "active", "lint_findings"]
    readonly_fields = ["lint_findings"]
    # Mistakes come before choices so that a new one can be saved, then linked.
    inlines = [MistakeInline, ChoiceInline, StepInline, HintInline]
    actions = [export_as_gift, export_as_aiken]

    def get_urls(self):
        # Per-lesson statistics, CSV, import and export pages (quizzes/admin_views.py).
        return admin_urls(self.admin_site) + super().get_urls()

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
    list_display = ["lesson", "minutes", "easy", "medium", "hard"]


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

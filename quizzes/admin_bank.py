"""The question list's bank: its columns (stem, usage, lint count) and its actions, duplicate and bulk edit.

Both actions go through quizzes.authoring.bank (and so question_save). Bulk edit first shows a
form for the selected questions (as Django's delete confirmation does); its post with
`apply=yes` changes each question and reports each one refused, naming a lesson file's file.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.text import Truncator

from courses.models import Lesson
from quizzes.authoring.bank import question_bulk_edit, question_duplicate
from quizzes.models import Difficulty, Response

STEM_CHARS = 90  # the stem's first characters shown in the list


def with_usage(queryset):
    """Each question annotated `used_in`: the attempts that answered any version of its lesson and key, and
    `answered`: this version's answers (what the linter's statistics rules need), each one subquery of the list's query."""
    used = (
        Response.objects.filter(question__lesson_id=OuterRef("lesson_id"), question__key=OuterRef("key"))
        .order_by()
        .values("question__lesson_id")
        .annotate(n=Count("attempt_id", distinct=True))
        .values("n")
    )
    answered = (
        Response.objects.filter(question_id=OuterRef("pk"), answered_at__isnull=False)
        .order_by()
        .values("question_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return queryset.annotate(
        used_in=Coalesce(Subquery(used, output_field=IntegerField()), 0),
        answered=Coalesce(Subquery(answered, output_field=IntegerField()), 0),
    )


def short_stem(stem: str) -> str:
    """The stem's Markdown text on one line, cut at STEM_CHARS."""
    return Truncator(" ".join(stem.split())).chars(STEM_CHARS)


@admin.action(description="Duplicate selected (save as new, inactive)", permissions=["add"])
def duplicate_action(modeladmin, request, queryset):
    copies = [question_duplicate(question).question for question in queryset.select_related("lesson")]
    for copy in copies:
        modeladmin.message_user(
            request, f"Saved {copy.key} as a new question (inactive until you tick Active).", messages.SUCCESS
        )
    if len(copies) == 1:
        return HttpResponseRedirect(reverse("admin:quizzes_question_change", args=[copies[0].pk]))
    return None


class BulkEditForm(forms.Form):
    """What to change on every selected question; a field left empty is left as it is."""

    difficulty = forms.ChoiceField(choices=[("", "(leave as it is)")] + list(Difficulty.choices), required=False)
    active = forms.ChoiceField(choices=[("", "(leave as it is)"), ("yes", "Active (asked)"), ("no", "Inactive")], required=False)
    lesson = forms.ModelChoiceField(
        Lesson.objects.order_by("course__position", "position"),
        required=False,
        empty_label="(leave as it is)",
        help_text="Moves every version of the question; only a question nobody has answered can move.",
    )


@admin.action(description="Edit difficulty, active or lesson of selected", permissions=["change"])
def bulk_edit_action(modeladmin, request, queryset):
    questions = list(queryset.select_related("lesson"))
    form = BulkEditForm(request.POST if request.POST.get("apply") == "yes" else None)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        changes = {
            "difficulty": data["difficulty"] or None,
            "active": {"yes": True, "no": False}.get(data["active"]),
            "lesson": data["lesson"],
        }
        changed = 0
        for question in questions:
            try:
                question_bulk_edit(question, **changes)
            except ValidationError as exc:
                modeladmin.message_user(request, exc.messages[0], messages.ERROR)
            else:
                changed += 1
        modeladmin.message_user(
            request,
            f"Changed {changed} of {len(questions)} question(s).",
            messages.SUCCESS if changed == len(questions) else messages.WARNING,
        )
        return None
    return TemplateResponse(
        request,
        "admin/quizzes/bulk_edit.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": "Edit selected questions",
            "form": form,
            "questions": questions,
            "opts": modeladmin.model._meta,
        },
    )

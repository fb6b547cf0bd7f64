"""Admin pages for a lesson's questions: item statistics (page and CSV), import and export.

Every view is wrapped in `admin_site.admin_view` (staff only; others go to the admin login),
and `admin_urls` checks the model permission it needs before it looks the lesson up. `admin_urls()` gives the URL patterns a
ModelAdmin's `get_urls` adds; `export_as_gift` / `export_as_aiken` / `regrade_action` are changelist actions.
"""

from __future__ import annotations

from collections import defaultdict

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path

from courses.models import Lesson
from quizzes.interchange import FORMATS, upload_error_text
from quizzes.authoring.regrade import regrade
from quizzes.authoring.importing import EXISTING_CHOICES, NEW, questions_import
from quizzes.interchange_services import questions_export
from quizzes.stats_report import COLUMNS, SORT_COLUMNS, TOO_FEW_TEXT, rows_sorted, statistics_csv
from quizzes.stats_selectors import lesson_item_statistics

MAX_UPLOAD_BYTES = 5 * 1024 * 1024

# Error code: an uploaded question file over MAX_UPLOAD_BYTES.
TOO_LARGE = "too_large"
_EXTENSION = {"gift": "gift.txt", "aiken": "aiken.txt"}


class ImportForm(forms.Form):
    file = forms.FileField(help_text="A GIFT or Aiken text file (UTF-8).")
    format = forms.ChoiceField(
        choices=[("", "Guess from the content")] + [(f, f.upper() if f == "gift" else f.capitalize()) for f in FORMATS],
        required=False,
    )
    existing = forms.ChoiceField(
        label="A question whose name the lesson already has",
        choices=EXISTING_CHOICES,
        initial=NEW,
        widget=forms.RadioSelect,
        required=False,
        help_text="The name is GIFT's ::title::, which becomes the question's key.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("The file is larger than 5 MB.", code=TOO_LARGE)
        return upload


def _require(request, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


def _context(admin_site, request, lesson: Lesson, title: str, **extra) -> dict:
    return {**admin_site.each_context(request), "title": title, "lesson": lesson, "opts": _question_opts(), **extra}


def _question_opts():
    from quizzes.models import Question

    return Question._meta


def lesson_statistics(request, lesson: Lesson, *, admin_site):
    all_attempts = request.GET.get("all") == "1"
    stats = lesson_item_statistics(lesson=lesson, all_attempts=all_attempts)
    order = request.GET.get("o", "position")
    if order.lstrip("-") not in SORT_COLUMNS:
        order = "position"
    headers = []
    for column in COLUMNS:
        current = order.lstrip("-") == column.key
        next_order = column.key if (not current or order.startswith("-")) else f"-{column.key}"
        headers.append(
            {
                "key": column.key,
                "heading": column.heading,
                "order": next_order,
                "current": current,
                "descending": current and order.startswith("-"),
            }
        )
    return TemplateResponse(
        request,
        "admin/quizzes/lesson_statistics.html",
        _context(
            admin_site,
            request,
            lesson,
            f"Question statistics: {lesson.title}",
            stats=stats,
            rows=rows_sorted(stats.rows, order),
            headers=headers,
            order=order,
            all_attempts=all_attempts,
            too_few_text=TOO_FEW_TEXT,
        ),
    )


def lesson_statistics_csv(request, lesson: Lesson, *, admin_site):
    stats = lesson_item_statistics(lesson=lesson, all_attempts=request.GET.get("all") == "1")
    response = HttpResponse(statistics_csv(stats), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{lesson.slug}-question-statistics.csv"'
    return response


def lesson_import(request, lesson: Lesson, *, admin_site):
    report = error = None
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                report = questions_import(
                    lesson=lesson,
                    data=upload.read(),
                    fmt=form.cleaned_data["format"] or None,
                    existing=form.cleaned_data["existing"] or NEW,
                )
            except ValidationError as exc:
                error = upload_error_text(upload.name, exc)
            else:
                level = messages.SUCCESS if report.ok else messages.WARNING
                messages.add_message(request, level, report.lines()[0])
                form = ImportForm()
    else:
        form = ImportForm()
    # What each format's export of the lesson leaves out, shown beside its download link.
    exports = [questions_export(lesson=lesson, fmt=fmt) for fmt in FORMATS]
    return TemplateResponse(
        request,
        "admin/quizzes/lesson_import.html",
        _context(
            admin_site,
            request,
            lesson,
            f"Import questions: {lesson.title}",
            form=form,
            report=report,
            error=error,
            exports=exports,
        ),
    )


def _download(result, name: str) -> HttpResponse:
    response = HttpResponse(result.text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.{_EXTENSION[result.format]}"'
    if result.skipped:
        response["X-Skipped-Questions"] = ",".join(q.key for q in result.skipped)
    return response


def lesson_export(request, lesson: Lesson, *, admin_site):
    fmt = request.GET.get("format", "gift")
    if fmt not in FORMATS:
        fmt = "gift"
    return _download(questions_export(lesson=lesson, fmt=fmt), f"{lesson.slug}-questions")


def admin_urls(admin_site) -> list:
    """URL patterns for a ModelAdmin's get_urls (names: admin:quizzes_lesson_<page>)."""

    def page(view, name: str, perm: str):
        def bound(request, lesson_id):
            # The permission first: without it, the page says nothing of whether the lesson exists.
            _require(request, perm)
            return view(request, get_object_or_404(Lesson, pk=lesson_id), admin_site=admin_site)

        return path(
            f"lesson/<int:lesson_id>/{name.replace('_', '-')}/", admin_site.admin_view(bound), name=f"quizzes_lesson_{name}"
        )

    return [
        page(lesson_statistics, "statistics", "quizzes.view_question"),
        page(lesson_statistics_csv, "statistics_csv", "quizzes.view_question"),
        page(lesson_import, "import", "quizzes.add_question"),
        page(lesson_export, "export", "quizzes.view_question"),
    ]


def _export_action(fmt: str):
    def action(modeladmin, request, queryset):
        result = questions_export(questions=queryset, fmt=fmt)
        if result.skipped or result.losses:
            modeladmin.message_user(
                request, f"{'GIFT' if fmt == 'gift' else 'Aiken'} export: " + "; ".join(result.notes()), messages.WARNING
            )
        return _download(result, "questions")

    action.__name__ = f"export_as_{fmt}"
    return admin.action(description=f"Export selected as {'GIFT' if fmt == 'gift' else 'Aiken'}")(action)


export_as_gift = _export_action("gift")
export_as_aiken = _export_action("aiken")


@admin.action(description="Regrade answers against the latest version (dry run first)", permissions=["change"])
def regrade_action(modeladmin, request, queryset):
    """First a page with the dry run's lines and a button; the button's post regrades and reports."""
    keys = defaultdict(set)
    for question in queryset.select_related("lesson"):
        keys[question.lesson].add(question.key)
    apply = request.POST.get("apply") == "yes"
    reports = [(lesson, regrade(lesson=lesson, keys=sorted(k), dry_run=not apply)) for lesson, k in keys.items()]
    if apply:
        for lesson, report in reports:
            for line in report.lines():
                modeladmin.message_user(request, f"{lesson.slug}: {line}")
        return None
    return TemplateResponse(
        request,
        "admin/quizzes/regrade_confirm.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": "Regrade answers",
            "reports": reports,
            "selected": list(queryset.values_list("pk", flat=True)),
            "opts": modeladmin.model._meta,
        },
    )

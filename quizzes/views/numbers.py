"""The Numbers & shapes page: a practice round of the lesson's questions answered by typing a number or a
shape (the kinds in vocabulary.TYPED_KINDS); its picker line and the condition that offers it."""

from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from quizzes.identity import student_for
from quizzes.models import Mode
from quizzes.selectors.bank import lesson_get, practice_bank, practice_bank_counts
from quizzes.selectors.responses import responses_revealed
from quizzes.views.attempts import start
from quizzes.vocabulary import TYPED_KINDS

# What the picker and the page say while a lesson has no such question.
NUMBERS_COMING = "Coming with the next content update"


def numbers_unavailable(lesson) -> str:
    """The picker's condition: "" when the lesson has a typed-answer question, else NUMBERS_COMING."""
    return "" if practice_bank(lesson=lesson, kinds=TYPED_KINDS).exists() else NUMBERS_COMING


@require_http_methods(["GET", "POST"])
def numbers(request, slug):
    """GET: how many typed-answer questions the lesson has. POST: start a practice round of
    every one of them (a lesson with none gets a message and this page again)."""
    lesson = lesson_get(slug=slug)
    if request.method == "POST":
        ids = list(practice_bank(lesson=lesson, kinds=TYPED_KINDS).values_list("id", flat=True))
        return start(request, lesson, Mode.PRACTICE, ids)
    counts = practice_bank_counts(lesson=lesson, kinds=TYPED_KINDS)
    return render(
        request,
        "quizzes/numbers.html",
        {"lesson": lesson, "counts": counts, "total": sum(counts.values()), "coming": NUMBERS_COMING},
    )


def numbers_state(lesson, request) -> str:
    """How many of the lesson's typed-answer questions the student has answered right, in any mode."""
    student = student_for(request)
    if not student.known:
        return ""
    bank = practice_bank(lesson=lesson, kinds=TYPED_KINDS)
    answered = responses_revealed(student=student, lesson=lesson).filter(question__in=bank)
    if not answered.exists():
        return ""
    right = answered.filter(correct=True).values("question_id").distinct().count()
    return f"{right} of {bank.count()} answered right"

"""One attempt in any mode: where it continues, a question, an answer, a hint, finishing and the result.

An exam whose time is over is closed once per request, before the page reads it (`_attempt`):
the question and result pages close it from the deadline on, the others after the grace period.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from quizzes.exam import exam_clock
from quizzes.forms import answer_letters, answer_typed
from quizzes.identity import student_for
from quizzes.selectors import attempts
from quizzes.selectors.drill import drill_question_progress
from quizzes.selectors.responses import response_recorded, response_same_answer
from quizzes.services.attempts import attempt_start
from quizzes.services.exams import exam_close
from quizzes.services.responses import ATTEMPT_FINISHED, EXAM_TIME_UP, response_submit, response_use_hint
from quizzes.services.scores import attempt_finish


# A second, different answer to an answered question: the service keeps the first (answers are final).
ANSWER_STANDS = "Question %(number)s already had your answer (%(answer)s). That first answer stands: an answer, once saved, is final, so this one was not saved."


def question_url(attempt, number, anchor="question"):
    return reverse("quizzes:question", args=[attempt.pk, number]) + f"#{anchor}"


def error_message(request, exc: ValidationError):
    messages.error(request, " ".join(exc.messages))


def start(request, lesson, mode, question_ids=None, course=None):
    """Start an attempt of `mode` for the student and go to its first question (or back, with the reason)."""
    try:
        attempt = attempt_start(
            student=student_for(request, create=True), lesson=lesson, mode=mode, question_ids=question_ids, course=course
        )
    except ValidationError as exc:
        error_message(request, exc)
        return redirect(request.path)
    return redirect(question_url(attempt, 1))


def attempt_for(request, pk, *, at_deadline: bool = False):
    """The student's own attempt (or 404), an exam whose time is over closed first: the request's one
    call to the closing service. at_deadline: for a page that shows the exam (see exam_close)."""
    attempt = attempts.attempt_get(pk=pk, student=student_for(request))
    return exam_close(attempt=attempt, at_deadline=at_deadline)


def attempt_detail(request, pk):
    """Where an attempt continues: its first unanswered question, or its result."""
    attempt = attempt_for(request, pk)
    number = None if attempt.finished else attempts.attempt_next_number(attempt=attempt)
    if number is None:
        return redirect("quizzes:result", attempt.pk)
    return redirect(question_url(attempt, number))


def attempt_question(request, pk, number):
    attempt = attempt_for(request, pk, at_deadline=True)
    shown = attempts.attempt_question(attempt=attempt, number=number)
    if attempt.feedback_at_end and attempt.finished:
        return redirect(reverse("quizzes:result", args=[attempt.pk]) + f"#q-{number}")
    return render(
        request,
        "quizzes/question.html",
        {
            "attempt": attempt,
            "lesson": attempt.lesson,
            "shown": shown,
            "total": len(attempt.question_ids),
            "answered_count": attempts.attempt_answered_count(attempt=attempt),
            # in a test nothing about correctness shows until the attempt is finished
            "reveal": shown.answered and not attempt.feedback_at_end,
            "clock": exam_clock(attempt),
            "drill": drill_question_progress(attempt=attempt, question=shown.question),
        },
    )


@require_POST
def answer(request, pk, number):
    attempt = attempt_for(request, pk)
    if not 1 <= number <= len(attempt.question_ids):
        return redirect("quizzes:attempt", attempt.pk)
    letters, typed = answer_letters(request.POST), answer_typed(request.POST)
    try:
        response, created = response_submit(
            attempt=attempt, question_id=attempt.question_ids[number - 1], letters=letters, typed=typed
        )
    except ValidationError as exc:
        error_message(request, exc)
        if getattr(exc, "code", "") in (ATTEMPT_FINISHED, EXAM_TIME_UP):
            return redirect("quizzes:result", attempt.pk)
        return redirect(question_url(attempt, number))
    if not created and not response_same_answer(response, letters=letters, typed=typed):
        messages.warning(request, ANSWER_STANDS % {"number": number, "answer": response_recorded(response)})
    if attempt.feedback_at_end:
        attempt.refresh_from_db()
        if attempt.finished:
            return redirect("quizzes:result", attempt.pk)
        following = attempts.attempt_next_number(attempt=attempt)
        return redirect(question_url(attempt, following or number))
    return redirect(question_url(attempt, number, "feedback"))


@require_POST
def hint(request, pk, number):
    attempt = attempt_for(request, pk)
    if 1 <= number <= len(attempt.question_ids):
        try:
            response_use_hint(attempt=attempt, question_id=attempt.question_ids[number - 1])
        except ValidationError as exc:
            error_message(request, exc)
    return redirect(question_url(attempt, number, "hints"))


@require_POST
def finish(request, pk):
    attempt = attempt_for(request, pk)
    attempt_finish(attempt=attempt)
    return redirect("quizzes:result", attempt.pk)


def result(request, pk):
    attempt = attempt_for(request, pk, at_deadline=True)
    if not attempt.finished:
        if attempt.feedback_at_end:
            messages.info(request, "Finish the test to see your score and the solutions.")
        return redirect("quizzes:attempt", attempt.pk)
    shown = attempts.attempt_questions(attempt=attempt)
    return render(
        request,
        "quizzes/result.html",
        {
            "attempt": attempt,
            "lesson": attempt.lesson,
            "shown": shown,
            "breakdown": attempts.breakdown(shown),
            "verdict": attempts.verdict(attempt.score),
            "missed": [s for s in shown if not (s.response and s.response.correct)],
        },
    )

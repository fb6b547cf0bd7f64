"""Quiz pages: parse the request, call one service or selector, render. Every answer is a
plain form POST followed by a redirect, so the pages work without JavaScript."""
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth import login
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from config.ratelimit import per_client, rate_limit
from quizzes import exam, selectors, services
from quizzes.drill_selectors import drill_question_progress
from quizzes.forms import SignupForm, answer_letters, answer_typed
from quizzes.identity import student_for
from quizzes.models import Mode


def _question_url(attempt, number, anchor="question"):
    return reverse("quizzes:question", args=[attempt.pk, number]) + f"#{anchor}"


def _error(request, exc: ValidationError):
    messages.error(request, " ".join(exc.messages))


# --- the model quiz, inline on the lesson page -------------------------------------------

@require_POST
def quiz_answer(request, slug):
    lesson = selectors.lesson_get(slug=slug)
    student = student_for(request, create=True)
    lesson_url = lesson.get_absolute_url()
    try:
        question_id = int(request.POST.get("question", ""))
    except ValueError:
        return redirect(lesson_url + "#model-quiz")
    try:
        services.quiz_response_submit(
            student=student, lesson=lesson, question_id=question_id, letters=answer_letters(request.POST),
            typed=answer_typed(request.POST),
        )
    except ValidationError as exc:
        _error(request, exc)
    return redirect(f"{lesson_url}#quiz-q-{question_id}")


@require_POST
def quiz_restart(request, slug):
    lesson = selectors.lesson_get(slug=slug)
    student = student_for(request, create=True)
    try:
        services.attempt_start(student=student, lesson=lesson, mode=Mode.QUIZ)
    except ValidationError as exc:
        _error(request, exc)
    return redirect(lesson.get_absolute_url() + "#model-quiz")


# --- starting practice, a test, a review ----------------------------------------------

def _mode_page(request, lesson, student, mode, counts: dict[str, int]):
    """The start page of practice or a test: questions per difficulty, and the last attempt."""
    return render(request, "quizzes/mode_start.html", {
        "lesson": lesson, "mode": mode, "counts": counts, "total": sum(counts.values()),
        "unfinished": selectors.attempt_unfinished(student=student, lesson=lesson, mode=mode),
        "last": selectors.attempt_latest(student=student, lesson=lesson, mode=mode),
    })


def _start(request, lesson, mode, question_ids=None):
    try:
        attempt = services.attempt_start(
            student=student_for(request, create=True), lesson=lesson, mode=mode, question_ids=question_ids
        )
    except ValidationError as exc:
        _error(request, exc)
        return redirect(request.path)
    return redirect(_question_url(attempt, 1))


@require_http_methods(["GET", "POST"])
def practice(request, slug):
    lesson = selectors.lesson_get(slug=slug)
    student = student_for(request)
    if request.method == "POST":
        retry_ids = None
        try:
            if request.POST.get("retry"):
                previous = selectors.attempt_get(pk=int(request.POST["retry"]), student=student)
                retry_ids = selectors.missed_question_ids(attempt=previous)
            elif request.POST.get("question"):  # one question, e.g. one skipped in a test
                retry_ids = [int(request.POST["question"])]
        except ValueError:
            return redirect(request.path)
        return _start(request, lesson, Mode.PRACTICE, retry_ids)
    return _mode_page(request, lesson, student, Mode.PRACTICE, selectors.practice_bank_counts(lesson=lesson))


@require_http_methods(["GET", "POST"])
def test_start(request, slug):
    lesson = selectors.lesson_get(slug=slug)
    student = student_for(request)
    if request.method == "POST":
        unfinished = selectors.attempt_unfinished(student=student, lesson=lesson, mode=Mode.TEST)
        if unfinished and not request.POST.get("new"):
            return redirect("quizzes:attempt", unfinished.pk)
        return _start(request, lesson, Mode.TEST)
    return _mode_page(request, lesson, student, Mode.TEST, selectors.lesson_test_plan(lesson=lesson))


@require_http_methods(["GET", "POST"])
def review(request, slug):
    lesson = selectors.lesson_get(slug=slug)
    student = student_for(request)
    due = list(selectors.review_due(student=student, lesson=lesson))
    if request.method == "POST":
        if not due:
            messages.info(request, "Nothing is due for review right now.")
            return redirect(request.path)
        return _start(request, lesson, Mode.REVIEW, [item.question_id for item in due])
    return render(request, "quizzes/mode_start.html", {
        "lesson": lesson, "mode": Mode.REVIEW, "due": due, "total": len(due),
        "next_due": None if due else selectors.review_next_due(student=student, lesson=lesson),
        "unfinished": selectors.attempt_unfinished(student=student, lesson=lesson, mode=Mode.REVIEW),
    })


# --- one attempt ----------------------------------------------------------------------

def attempt_detail(request, pk):
    """Where an attempt continues: its first unanswered question, or its result."""
    attempt = selectors.attempt_get(pk=pk, student=student_for(request))
    number = None if attempt.finished else selectors.attempt_next_number(attempt=attempt)
    if number is None:
        return redirect("quizzes:result", attempt.pk)
    return redirect(_question_url(attempt, number))


def attempt_question(request, pk, number):
    attempt = selectors.attempt_get(pk=pk, student=student_for(request))
    shown = selectors.attempt_question(attempt=attempt, number=number)
    if attempt.feedback_at_end and exam.exam_close(attempt=attempt, at_deadline=True).finished:
        return redirect(reverse("quizzes:result", args=[attempt.pk]) + f"#q-{number}")
    return render(request, "quizzes/question.html", {
        "attempt": attempt, "lesson": attempt.lesson, "shown": shown,
        "total": len(attempt.question_ids),
        "answered_count": selectors.attempt_answered_count(attempt=attempt),
        # in a test nothing about correctness shows until the attempt is finished
        "reveal": shown.answered and not attempt.feedback_at_end,
        "clock": exam.exam_clock(attempt),
        "drill": drill_question_progress(attempt=attempt, question=shown.question),
    })


@require_POST
def answer(request, pk, number):
    attempt = selectors.attempt_get(pk=pk, student=student_for(request))
    if not 1 <= number <= len(attempt.question_ids):
        return redirect("quizzes:attempt", attempt.pk)
    try:
        response, created = services.response_submit(
            attempt=attempt, question_id=attempt.question_ids[number - 1], letters=answer_letters(request.POST),
            typed=answer_typed(request.POST),
        )
    except ValidationError as exc:
        _error(request, exc)
        if getattr(exc, "code", "") in (services.ATTEMPT_FINISHED, services.EXAM_TIME_UP):
            return redirect("quizzes:result", attempt.pk)
        return redirect(_question_url(attempt, number))
    if attempt.feedback_at_end:
        attempt.refresh_from_db()
        if attempt.finished:
            return redirect("quizzes:result", attempt.pk)
        following = selectors.attempt_next_number(attempt=attempt)
        return redirect(_question_url(attempt, following or number))
    return redirect(_question_url(attempt, number, "feedback"))


@require_POST
def hint(request, pk, number):
    attempt = selectors.attempt_get(pk=pk, student=student_for(request))
    if 1 <= number <= len(attempt.question_ids):
        try:
            services.response_use_hint(attempt=attempt, question_id=attempt.question_ids[number - 1])
        except ValidationError as exc:
            _error(request, exc)
    return redirect(_question_url(attempt, number, "hints"))


@require_POST
def finish(request, pk):
    attempt = selectors.attempt_get(pk=pk, student=student_for(request))
    services.attempt_finish(attempt=attempt)
    return redirect("quizzes:result", attempt.pk)


def result(request, pk):
    attempt = selectors.attempt_get(pk=pk, student=student_for(request))
    exam.exam_close(attempt=attempt, at_deadline=True)
    if not attempt.finished:
        if attempt.feedback_at_end:
            messages.info(request, "Finish the test to see your score and the solutions.")
        return redirect("quizzes:attempt", attempt.pk)
    shown = selectors.attempt_questions(attempt=attempt)
    return render(request, "quizzes/result.html", {
        "attempt": attempt, "lesson": attempt.lesson, "shown": shown,
        "breakdown": selectors.breakdown(shown), "verdict": selectors.verdict(attempt.score),
        "missed": [s for s in shown if not (s.response and s.response.correct)],
    })


# --- the student's progress and the staff preview --------------------------------------

def progress(request):
    student = student_for(request)
    return render(request, "quizzes/progress.html", {"rows": selectors.progress(student=student)})


@staff_member_required
@permission_required("quizzes.view_question", raise_exception=True)
def question_preview(request, pk):
    before, after = selectors.question_preview(pk=pk)
    return render(request, "quizzes/preview.html", {"shown": before, "answered": after})


# --- accounts -------------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
@rate_limit("signup", per=per_client)
def signup(request):
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        next_url = ""
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        # login() fires user_logged_in, which carries the anonymous attempts over.
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, "Welcome! Your progress so far is saved to your account.")
        return HttpResponseRedirect(next_url or reverse("quizzes:progress"))
    return render(request, "registration/signup.html", {"form": form, "next": next_url})

"""The model quiz, inline on the lesson page: an answer posted from the lesson, and starting the quiz again."""

from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from quizzes.forms import answer_letters, answer_typed
from quizzes.identity import student_for
from quizzes.models import Mode
from quizzes.selectors.bank import lesson_get
from quizzes.services.attempts import attempt_start
from quizzes.services.responses import quiz_response_submit
from quizzes.views.attempts import error_message


@require_POST
def quiz_answer(request, slug):
    lesson = lesson_get(slug=slug)
    student = student_for(request, create=True)
    lesson_url = lesson.get_absolute_url()
    try:
        question_id = int(request.POST.get("question", ""))
    except ValueError:
        return redirect(lesson_url + "#model-quiz")
    try:
        quiz_response_submit(
            student=student,
            lesson=lesson,
            question_id=question_id,
            letters=answer_letters(request.POST),
            typed=answer_typed(request.POST),
        )
    except ValidationError as exc:
        error_message(request, exc)
    return redirect(f"{lesson_url}#quiz-q-{question_id}")


@require_POST
def quiz_restart(request, slug):
    lesson = lesson_get(slug=slug)
    student = student_for(request, create=True)
    try:
        attempt_start(student=student, lesson=lesson, mode=Mode.QUIZ)
    except ValidationError as exc:
        error_message(request, exc)
    return redirect(lesson.get_absolute_url() + "#model-quiz")

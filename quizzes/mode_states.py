"""The lines the lesson page's mode picker shows about the current student: one function per mode,
registered with courses.modes.register_mode_state in QuizzesConfig.ready."""
from django.template.defaultfilters import pluralize

from quizzes import exam, selectors
from quizzes.drill_selectors import drill_progress
from quizzes.identity import student_for
from quizzes.models import Mode


def exam_state(lesson, request) -> str:
    """'Last exam: 80%', or the minutes left of the one running; '' before the first."""
    student = student_for(request)
    if not student.known:
        return ""
    exam.exams_close(student=student, lesson=lesson)
    last = selectors.attempt_latest(student=student, lesson=lesson, mode=Mode.EXAM)
    if last is None:
        return ""
    if not last.finished:
        return f"In progress: {exam.exam_clock(last).minutes_left} min left"
    return f"Last exam: {last.score_percent}%"


def drill_state(lesson, request) -> str:
    """How many of the mistakes the student has shown are left to fix; '' before any is shown."""
    progress = drill_progress(student=student_for(request), lesson=lesson)
    if not progress:
        return ""
    left = sum(1 for p in progress if not p.done)
    return f"{left} mistake{pluralize(left)} left" if left else "Every mistake fixed"

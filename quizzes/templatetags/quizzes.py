"""Template tags of the lesson page's quiz parts (the model quiz, the practice bank), the course page's study lines, and score filters."""

from django import template

from quizzes.selectors.attempts import model_quiz
from quizzes.selectors import bank
from quizzes.selectors.bank import practice_bank_counts
from quizzes.identity import Student, student_for
from quizzes.typed import display_number, tolerance_decimal

register = template.Library()


@register.simple_tag(takes_context=True)
def lesson_model_quiz(context, lesson):
    """The lesson's model quiz as the current student left it: {attempt, questions, done}."""
    request = context.get("request")
    student = student_for(request) if request else Student(None)
    attempt, shown = model_quiz(student=student, lesson=lesson)
    answered = sum(1 for s in shown if s.answered)
    return {
        "attempt": attempt,
        "questions": shown,
        "answered": answered,
        "done": bool(shown) and answered == len(shown),
        "right": sum(1 for s in shown if s.answered and s.response.correct),
    }


@register.simple_tag(takes_context=True)
def course_study(context, course):
    """The course page's course-wide flashcards and review lines for the current student."""
    from quizzes.views.course import course_study as study

    return study(course, context["request"])


@register.simple_tag
def lesson_practice_bank(lesson):
    """Counts of the lesson's active practice questions by difficulty."""
    counts = practice_bank_counts(lesson=lesson)
    return {"total": sum(counts.values()), "counts": [(d, n) for d, n in counts.items() if n]}


@register.simple_tag
def lesson_test_plan(lesson):
    """What "Test this pattern" really draws from the lesson's bank: {total, counts} (difficulties drawn)."""
    plan = bank.lesson_test_plan(lesson=lesson)
    return {"total": sum(plan.values()), "counts": [(d, n) for d, n in plan.items() if n]}


@register.filter
def all_typed(shown) -> bool:
    """Whether every question shown asks for a typed answer: a practice round of them is Numbers & shapes."""
    return bool(shown) and all(s.typed for s in shown)


@register.filter
def percent(value):
    """A 0..1 score as a whole percentage."""
    if value is None or value == "":
        return ""
    return f"{round(float(value) * 100)}%"


@register.filter
def seconds(duration):
    if duration is None:
        return ""
    total = int(duration.total_seconds())
    return f"{total // 60} min {total % 60} s" if total >= 60 else f"{total} s"


@register.filter
def typed_answer(answer, kind):
    """A typed question's answer as the solution shows it: 1,539, or 11.7 ± 0.05 with a tolerance; a short answer as written."""
    if kind != "numeric":
        return answer.text
    tolerance = tolerance_decimal(answer.tolerance)
    return f"{display_number(answer.text)} ± {tolerance}" if tolerance else display_number(answer.text)

"""Fixtures for the quiz app: a bare lesson, question factories, a client both anonymous and signed in, and a clock
the test controls."""

from datetime import timedelta
from decimal import Decimal

import pytest

from courses.models import Course, Lesson
from quizzes.models import Choice, Hint, Mistake, Question, SolutionStep


@pytest.fixture
def lesson(db):
    course = Course.objects.create(slug="c", title="Course", track="ml")
    return Lesson.objects.create(course=course, slug="l", title="Lesson", published=True)


@pytest.fixture
def make_question(lesson):
    counter = {"n": 0}

    def make(
        *,
        role="practice",
        difficulty="easy",
        kind="single",
        choices=4,
        correct=(0,),
        steps=2,
        hints=2,
        mistakes=1,
        lesson=lesson,
        key=None,
    ):
        counter["n"] += 1
        q = Question.objects.create(
            lesson=lesson,
            key=key or f"q{counter['n']}",
            role=role,
            position=counter["n"],
            difficulty=difficulty,
            kind=kind,
            stem=f"Stem {counter['n']}?",
            quick_check="Check it.",
        )
        ms = [Mistake.objects.create(question=q, position=i, text=f"Mistake {i}") for i in range(mistakes)]
        share = Decimal(1) / len(correct)
        for i in range(choices):
            Choice.objects.create(
                question=q,
                position=i,
                text=f"Choice text {i}",
                fraction=share if i in correct else (Decimal(-1) / len(correct) if kind == "multiple" else 0),
                feedback=f"Feedback {i}: " + ("RIGHT-EXPLAINED" if i in correct else "wrong-explained"),
                mistake=ms[0] if ms and i not in correct else None,
            )
        for i in range(steps):
            SolutionStep.objects.create(question=q, position=i, title=f"Step title {i}", body=f"Step body {i}")
        for i in range(hints):
            Hint.objects.create(question=q, position=i, text=f"Hint text {i}")
        return q

    return make


class Clock:
    """What django.utils.timezone.now returns while the `clock` fixture is active."""

    def __init__(self, now):
        self.now = now

    def advance(self, delta: timedelta | None = None, **parts) -> None:
        """Move the clock on by `delta` or by timedelta keywords (`minutes=16`)."""
        self.now += (delta or timedelta(0)) + timedelta(**parts)


@pytest.fixture
def clock(monkeypatch):
    """Time under the test's control, starting now: code that asks `timezone.now()` (auto_now
    fields included) sees `clock.now`; `clock.advance(minutes=16)` moves it."""
    from django.utils import timezone

    current = Clock(timezone.now())
    monkeypatch.setattr(timezone, "now", lambda: current.now)
    return current


@pytest.fixture(params=["anonymous", "signed-in"])
def client_as(request, client, django_user_model):
    """The test client, once anonymous and once signed in: each test using it runs both ways."""
    if request.param == "signed-in":
        client.force_login(django_user_model.objects.create_user("sam", password="pw-123456789"))
    return client


@pytest.fixture
def make_typed(lesson):
    """A factory of typed-answer questions (numeric by default: nn.Linear(512, 3)'s parameters) with a mistake, a step and a hint."""

    def make(*, kind="numeric", key="head-params", role="practice", difficulty="hard", answers=None):
        q = Question.objects.create(
            lesson=lesson,
            key=key,
            role=role,
            kind=kind,
            difficulty=difficulty,
            position=1,
            stem="How many parameters does `nn.Linear(512, 3)` have?",
            quick_check="Weights plus biases.",
        )
        mistake = Mistake.objects.create(question=q, position=1, text="Forgetting the bias terms")
        rows = answers or [
            ("1539", 1, "512 x 3 weights plus 3 biases.", None),
            ("1536", 0, "That forgets the biases.", mistake),
            ("1540", Decimal("0.5"), "Close: check the count.", None),
        ]
        for i, (text, fraction, feedback, linked) in enumerate(rows, start=1):
            Choice.objects.create(question=q, position=i, text=text, fraction=fraction, feedback=feedback, mistake=linked)
        SolutionStep.objects.create(question=q, position=1, title="Count the weights", body="512 x 3 = 1,536.")
        Hint.objects.create(question=q, position=1, text="Each output has a bias.")
        return q

    return make

"""The mode picker's line about the student under Practice, Test this pattern, Review and Lab
(Flashcards, Timed exam, Mistake drill and Numbers & shapes have theirs tested with their modes)."""

import re
import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from modellab.models import Dataset, Experiment
from quizzes.models import Attempt, Mode, ReviewItem
from tests.quizzes.test_views import answer

pytestmark = pytest.mark.django_db


def state(client, lesson, key) -> str | None:
    page = client.get(lesson.get_absolute_url()).content.decode()
    entry = re.search(rf'<li class="mode mode-{key}[^"]*">(.*?)</li>', page, re.S).group(1)
    found = re.search(r'<span class="mode-state">(.*?)</span>', entry)
    return found and found.group(1)


def practise(client, lesson, *right: bool) -> Attempt:
    """A practice round with its first questions answered, right or wrong."""
    client.post(reverse("quizzes:practice", args=[lesson.slug]))
    attempt = Attempt.objects.get(mode=Mode.PRACTICE)
    for number, correct in enumerate(right, start=1):
        answer(client, attempt, number, correct=correct)
    return attempt


@pytest.fixture
def bank(make_question):
    return [make_question(difficulty=d) for d in ("easy", "easy", "medium", "hard")]


def test_practice_says_how_far_the_round_is_then_how_it_went(client, lesson, bank):
    assert state(client, lesson, "practice") is None
    attempt = practise(client, lesson, True, False)
    assert state(client, lesson, "practice") == "In progress: 2 of 4 answered"
    client.post(reverse("quizzes:finish", args=[attempt.pk]))
    assert state(client, lesson, "practice") == "Last practice: 1 of 4 right"


def test_test_says_only_how_many_are_answered_until_it_is_finished(client, lesson, bank):
    client.post(reverse("quizzes:test_start", args=[lesson.slug]))
    attempt = Attempt.objects.get(mode=Mode.TEST)
    answer(client, attempt, 1, correct=False)
    in_progress = state(client, lesson, "test")
    assert in_progress == f"In progress: 1 of {len(attempt.question_ids)} answered"
    for number in range(2, len(attempt.question_ids) + 1):
        answer(client, attempt, number, correct=True)
    attempt.refresh_from_db()
    assert attempt.finished and state(client, lesson, "test") == f"Last test: {attempt.score_percent}%"


def test_review_says_how_many_questions_are_due_or_when_the_next_is(client, lesson, bank):
    assert state(client, lesson, "review") is None
    practise(client, lesson, False, False)
    ReviewItem.objects.update(due_at=timezone.now() + timedelta(days=3, hours=1))
    assert state(client, lesson, "review") == "Next due in 3\xa0days"
    ReviewItem.objects.update(due_at=timezone.now() - timedelta(minutes=1))
    assert state(client, lesson, "review") == "2 questions due"


def test_lab_says_what_the_students_runs_from_this_lesson_are_doing(client, lesson, django_user_model):
    user = django_user_model.objects.create_user("labber", password="pw-123456789")
    fields = dict(owner=user, backbone="tiny", strategy="scratch", epochs=1, lr=0.01, batch_size=8)
    dataset = Dataset.objects.create(owner=user, name="d", kind=Dataset.Kind.UPLOAD, folder="x")
    Experiment.objects.create(**fields, dataset=dataset, status=Experiment.Status.RUNNING)
    assert state(client, lesson, "lab") is None  # a visitor has no runs
    client.force_login(user)
    assert state(client, lesson, "lab") is None  # the running one was not started from this lesson
    run = Experiment.objects.create(**fields, dataset=dataset, lesson_slug=lesson.slug, status=Experiment.Status.QUEUED)
    assert state(client, lesson, "lab") == "1 run in progress"
    run.status, run.finished_at = Experiment.Status.SUCCEEDED, timezone.now()
    run.results = {"final": {"val_accuracy": 0.914, "val_loss": 0.3}}
    run.save()
    assert state(client, lesson, "lab") == "Last run: 91% validation accuracy"


def test_lab_names_each_arm_of_the_last_comparison(client, lesson, django_user_model):
    """A comparison's accuracy is not one number: the line names each arm by its strategy (the tiny
    backbone's random weights are never called pre-trained)."""
    user = django_user_model.objects.create_user("labber", password="pw-123456789")
    dataset = Dataset.objects.create(owner=user, name="d", kind=Dataset.Kind.UPLOAD, folder="x")
    group = uuid.uuid4()
    for strategy, accuracy in (("features", 0.981), ("scratch", 0.94)):
        Experiment.objects.create(
            owner=user,
            backbone="tiny",
            strategy=strategy,
            epochs=1,
            lr=0.01,
            batch_size=8,
            dataset=dataset,
            lesson_slug=lesson.slug,
            comparison_group=group,
            status=Experiment.Status.SUCCEEDED,
            finished_at=timezone.now(),
            results={"final": {"val_accuracy": accuracy}},
        )
    client.force_login(user)
    assert state(client, lesson, "lab") == "Last comparison: frozen features 98%, from scratch 94% validation accuracy"


def test_exam_says_the_minutes_left_of_the_one_running_then_the_last_score(client, lesson, bank, clock):
    client.post(reverse("quizzes:exam", args=[lesson.slug]))
    exam = Attempt.objects.get(mode=Mode.EXAM)
    clock.advance(minutes=3, seconds=30)
    assert state(client, lesson, "exam") == "In progress: 12 min left"  # of 15, rounded up
    client.post(reverse("quizzes:finish", args=[exam.pk]))
    assert state(client, lesson, "exam") == "Last exam: 0%"

"""The move of Review mode from SM-2 to FSRS: existing review items keep their schedule."""

from datetime import datetime, timedelta, timezone

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from quizzes import scheduler
from quizzes.models import ReviewItem

BEFORE_FSRS = [("quizzes", "0002_timed_exam_and_mistake_drill")]
DUE = datetime(2026, 3, 10, 9, 0, tzinfo=timezone.utc)


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_sm2_review_items_become_fsrs_memories_due_when_they_were(django_user_model):
    """Each SM-2 item keeps its due date; one with repetitions is in Review with its interval as
    stability and goes on growing by its easiness; one missed last time starts learning."""
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    old = _migrate(BEFORE_FSRS)
    try:
        user = django_user_model.objects.create_user("sm2", password="pw-123456789")
        course = old.get_model("courses", "Course").objects.create(slug="c", title="C", track="ml")
        lesson = old.get_model("courses", "Lesson").objects.create(course=course, slug="l", title="L")
        Question = old.get_model("quizzes", "Question")
        known, missed = (Question.objects.create(lesson=lesson, key=k, stem="?") for k in ("known", "missed"))
        OldItem = old.get_model("quizzes", "ReviewItem")
        OldItem.objects.create(
            question=known,
            user_id=user.pk,
            easiness=2.36,
            repetitions=3,
            interval_days=14,
            due_at=DUE,
            last_reviewed_at=DUE - timedelta(days=14),
        )
        OldItem.objects.create(
            question=missed,
            anon_id="anon-9",
            easiness=1.96,
            repetitions=0,
            interval_days=0,
            due_at=DUE - timedelta(days=2),
            last_reviewed_at=DUE - timedelta(days=2),
        )
    finally:
        _migrate(leaves)

    reviewing = ReviewItem.objects.get(question__key="known")
    assert (reviewing.state, reviewing.step, reviewing.due_at) == (ReviewItem.State.REVIEW, None, DUE)
    assert reviewing.stability == pytest.approx(14) and 1 <= reviewing.difficulty <= 10
    after = scheduler.review(reviewing.memory(), scheduler.GOOD, DUE)
    assert (after.due - DUE).days == pytest.approx(14 * 2.36, abs=1)  # SM-2's next interval, 33 days

    learning = ReviewItem.objects.get(question__key="missed")
    assert learning.anon_id == "anon-9" and learning.due_at == DUE - timedelta(days=2)
    assert (learning.state, learning.step, learning.stability, learning.difficulty) == (ReviewItem.State.LEARNING, 0, None, None)


@pytest.mark.django_db(transaction=True)
def test_existing_questions_become_version_1_with_their_source():
    """Before versions: each question becomes the current version 1; those the bundled lesson file
    declares are the file's (its path named), the others the admin's."""
    from quizzes.models import Question

    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    old = _migrate([("quizzes", "0008_typed_answers")])
    try:
        course = old.get_model("courses", "Course").objects.create(slug="c", title="C", track="ml")
        lesson = old.get_model("courses", "Lesson").objects.create(
            course=course, slug="why-pretrained-models-save-time", title="L"
        )
        OldQuestion = old.get_model("quizzes", "Question")
        for key in ("reuse-learned-features", "authored-in-the-admin"):
            OldQuestion.objects.create(lesson=lesson, key=key, stem="?")
    finally:
        _migrate(leaves)
    assert sorted(Question.objects.values_list("key", "version", "current", "active", "source", "source_file")) == [
        ("authored-in-the-admin", 1, True, True, "admin", ""),
        ("reuse-learned-features", 1, True, True, "file", "content/lessons/why-pretrained-models-save-time.yaml"),
    ]


@pytest.mark.django_db(transaction=True)
def test_a_students_second_open_exam_is_finished_before_the_one_open_exam_constraint():
    """Exams opened by concurrent starts before issue 22: the newest stays open, the others are
    finished with their answered marks over their questions; other students' exams are untouched."""
    from decimal import Decimal

    from quizzes.models import Attempt

    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    old = _migrate([("quizzes", "0009_question_versions")])
    try:
        course = old.get_model("courses", "Course").objects.create(slug="c", title="C", track="ml")
        lesson = old.get_model("courses", "Lesson").objects.create(course=course, slug="l", title="L")
        question = old.get_model("quizzes", "Question").objects.create(lesson=lesson, key="q", stem="?")
        OldAttempt = old.get_model("quizzes", "Attempt")
        deadline = datetime.now(timezone.utc) + timedelta(minutes=10)
        older, newer, other = (
            OldAttempt.objects.create(mode="exam", lesson=lesson, anon_id=anon, question_ids=[question.pk, 0], deadline=deadline)
            for anon in ("anon-1", "anon-1", "anon-2")
        )
        old.get_model("quizzes", "Response").objects.create(
            attempt=older, question=question, marks=Decimal("1"), correct=True, answered_at=deadline
        )
    finally:
        _migrate(leaves)
    assert list(Attempt.objects.filter(finished_at__isnull=True).order_by("id").values_list("id", flat=True)) == [
        newer.pk,
        other.pk,
    ]
    finished = Attempt.objects.get(pk=older.pk)
    assert finished.score == Decimal("0.5") and finished.finished_at <= deadline


@pytest.mark.django_db(transaction=True)
def test_a_review_of_several_lessons_questions_becomes_its_courses():
    """Course-wide reviews kept under the lesson of their first question before issue 23's fix: one
    whose questions span lessons becomes an attempt of the course with no lesson; a review of one
    lesson's questions stays that lesson's."""
    from quizzes.models import Attempt

    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    old = _migrate([("quizzes", "0010_exam_one_open_attempts_allowed")])
    try:
        course = old.get_model("courses", "Course").objects.create(slug="c", title="C", track="ml")
        Lesson, Question = old.get_model("courses", "Lesson"), old.get_model("quizzes", "Question")
        first, second = (Lesson.objects.create(course=course, slug=s, title=s, position=i) for i, s in enumerate("ab", 1))
        q1, q2 = (
            Question.objects.create(lesson=first, key="q1", stem="?"),
            Question.objects.create(lesson=second, key="q2", stem="?"),
        )
        OldAttempt = old.get_model("quizzes", "Attempt")
        wide = OldAttempt.objects.create(mode="review", lesson=first, anon_id="a", question_ids=[q1.pk, q2.pk])
        own = OldAttempt.objects.create(mode="review", lesson=first, anon_id="a", question_ids=[q1.pk])
    finally:
        _migrate(leaves)
    assert Attempt.objects.filter(pk=wide.pk, lesson=None, course_id=course.pk).exists()
    assert Attempt.objects.filter(pk=own.pk, lesson_id=first.pk, course=None).exists()

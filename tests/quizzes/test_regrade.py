"""Regrade: finished answers re-marked against the latest version, by what they said; a dry run changes nothing."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from quizzes.authoring.questions import ChoiceContent, QuestionContent, QuestionPlace, question_save
from quizzes.authoring.regrade import regrade
from quizzes.grading import letter
from quizzes.identity import Student
from quizzes.models import Attempt, Question, Response, ReviewItem, Source
from quizzes.services.attempts import attempt_start
from quizzes.services.responses import response_submit

STUDENT = Student(user_id=None, anon_id="learner1")


def _single(lesson, texts, right, key="k"):
    content = QuestionContent(
        kind="single",
        stem="Which?",
        choices=tuple(ChoiceContent(text=t, fraction=Decimal(1 if t == right else 0)) for t in texts),
    )
    return question_save(lesson=lesson, key=key, content=content, place=QuestionPlace(), source=Source.ADMIN).question


def _answer(lesson, question, text) -> Attempt:
    """A finished practice attempt that answered `text`."""
    attempt = attempt_start(student=STUDENT, lesson=lesson, mode="practice")
    order = attempt.choice_orders[str(question.pk)]
    chosen = question.choices.get(text=text).pk
    response_submit(attempt=attempt, question_id=question.pk, letters=[letter(order.index(chosen))])
    attempt.refresh_from_db()
    assert attempt.finished
    return attempt


def test_a_dry_run_lists_the_attempt_and_changes_nothing(lesson):
    v1 = _single(lesson, ["Alpha", "Beta", "Gamma"], right="Alpha")
    attempt = _answer(lesson, v1, "Beta")
    _single(lesson, ["Gamma", "Beta, reworded", "Alpha"], right="Beta, reworded")
    before = list(Response.objects.values()), list(Attempt.objects.values()), list(ReviewItem.objects.values())
    report = regrade(lesson=lesson, dry_run=True)
    assert report.lines() == [
        f"attempt {attempt.pk} (Practice, anonymous learner1): 0% -> 100%",
        "Dry run: would re-mark 1 answer(s) in 1 attempt(s); 1 attempt score(s) would change; nothing was saved.",
    ]
    assert (list(Response.objects.values()), list(Attempt.objects.values()), list(ReviewItem.objects.values())) == before


def test_regrade_carries_the_answer_by_lineage_and_remarks_it(lesson):
    """A reworded, reordered choice that became the key: the learner's answer is found by lineage and marked right."""
    v1 = _single(lesson, ["Alpha", "Beta", "Gamma"], right="Alpha")
    attempt = _answer(lesson, v1, "Beta")
    assert ReviewItem.objects.filter(question=v1).exists()  # missed: in the deck
    v2 = _single(lesson, ["Gamma", "Beta, reworded", "Alpha"], right="Beta, reworded")
    report = regrade(lesson=lesson)
    assert report.lines()[-1] == "re-marked 1 answer(s) in 1 attempt(s); 1 attempt score(s) changed."
    response = Response.objects.get()
    attempt.refresh_from_db()
    assert response.question_id == v2.pk and response.correct and response.marks == 1
    assert response.chosen_choice_ids == [v2.choices.get(text="Beta, reworded").pk]
    assert sorted(response.shown_choice_ids) == sorted(v2.choices.values_list("id", flat=True))
    assert attempt.question_ids == [v2.pk] and list(attempt.choice_orders) == [str(v2.pk)]
    assert (attempt.score, attempt.score_before_regrade, attempt.regraded_at is not None) == (1, 0, True)
    assert not ReviewItem.objects.exists()  # answered right, first time: nothing to review
    assert regrade(lesson=lesson).lines() == ["re-marked 0 answer(s) in 0 attempt(s); 0 attempt score(s) changed."]


def test_a_choice_gone_from_the_latest_version_counts_as_not_chosen_and_goes_to_review(lesson):
    v1 = _single(lesson, ["Alpha", "Beta", "Gamma"], right="Alpha")
    _answer(lesson, v1, "Alpha")
    assert not ReviewItem.objects.exists()
    v2 = _single(lesson, ["Beta", "Gamma"], right="Beta")
    regrade(lesson=lesson)
    response = Response.objects.get()
    assert (response.correct, response.marks, response.chosen_choice_ids) == (False, 0, [])
    assert ReviewItem.objects.get().question_id == v2.pk  # missed now: scheduled


def test_a_typed_answer_is_graded_again_from_its_text(lesson):
    content = QuestionContent(kind="numeric", stem="How many?", choices=(ChoiceContent(text="10", fraction=Decimal(1)),))
    v1 = question_save(lesson=lesson, key="n", content=content, place=QuestionPlace(), source=Source.ADMIN).question
    attempt = attempt_start(student=STUDENT, lesson=lesson, mode="practice")
    response_submit(attempt=attempt, question_id=v1.pk, typed="12")
    fixed = QuestionContent(kind="numeric", stem="How many?", choices=(ChoiceContent(text="12", fraction=Decimal(1)),))
    question_save(lesson=lesson, key="n", content=fixed, place=QuestionPlace(), source=Source.ADMIN)
    regrade(lesson=lesson, keys=["n"])
    assert Response.objects.get().correct is True


def test_only_the_named_question_is_regraded(lesson):
    v1 = _single(lesson, ["Alpha", "Beta"], right="Alpha")
    _answer(lesson, v1, "Beta")
    _single(lesson, ["Alpha", "Beta"], right="Beta")
    assert regrade(lesson=lesson, keys=["other"]).answers == 0
    assert Response.objects.get().question_id == v1.pk


def test_regrade_command_prints_each_changed_attempt_and_the_result_page_says_so(lesson, client):
    v1 = _single(lesson, ["Alpha", "Beta"], right="Alpha")
    attempt = _answer(lesson, v1, "Beta")
    _single(lesson, ["Alpha", "Beta"], right="Beta")
    out = StringIO()
    call_command("regrade", "--lesson", lesson.slug, "--question", "k", "--dry-run", stdout=out)
    assert out.getvalue().splitlines()[0] == f"attempt {attempt.pk} (Practice, anonymous learner1): 0% -> 100%"
    assert Question.objects.get(pk=v1.pk).responses.count() == 1
    call_command("regrade", "--lesson", lesson.slug, stdout=StringIO())
    session = client.session
    session["quiz_anon_id"] = "learner1"
    session.save()
    page = client.get(reverse("quizzes:result", args=[attempt.pk])).content.decode()
    assert 'data-code="regraded"' in page and "your score went from 0% to 100%" in page
    with pytest.raises(CommandError, match="has no question nope"):
        call_command("regrade", "--lesson", lesson.slug, "--question", "nope", stdout=StringIO())

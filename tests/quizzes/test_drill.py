"""The mistake drill: the two-in-a-row rule, which mistakes a student has shown, the rounds over
HTTP until every mistake is fixed, anonymous progress carried over on log-in, the picker's line."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from quizzes.services.responses import NO_HINTS_IN_TEST, response_use_hint
from quizzes.drill import MASTERY, Answer, streak
from quizzes.selectors.drill import drill_progress
from quizzes.identity import Student
from quizzes.models import Attempt, Mistake
from tests.quizzes.test_views import letters_for

PASSWORD = "pw-123456789"


def drilled(correct, mistakes=()):
    return Answer(correct=correct, in_drill=True, mistake_ids=frozenset(mistakes))


def elsewhere(correct, mistakes=()):
    return Answer(correct=correct, in_drill=False, mistake_ids=frozenset(mistakes))


# --- the rule (pure) ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answers, expected",
    [
        ([], None),
        ([elsewhere(False, [2])], None),  # another mistake of the question
        ([elsewhere(False, [1])], 0),
        ([elsewhere(False, [1]), drilled(True)], 1),
        ([elsewhere(False, [1]), drilled(True), drilled(True)], 2),
        ([elsewhere(False, [1]), drilled(True), drilled(True), drilled(True), drilled(False)], 2),  # fixed stays fixed
        ([elsewhere(False, [1]), drilled(True), drilled(False), drilled(True)], 1),  # a wrong drill answer resets
        ([elsewhere(False, [1]), drilled(True), drilled(False, [2])], 0),  # wrong by another mistake: resets too
        ([elsewhere(False, [1]), drilled(True), elsewhere(True), elsewhere(False)], 1),  # outside the drill: no effect
        ([elsewhere(False, [1]), drilled(True), drilled(True), elsewhere(False, [1])], 0),  # shown again: back to 0
        ([drilled(True), drilled(True), elsewhere(False, [1]), drilled(True)], 1),  # only answers after it was shown
    ],
)
def test_streak(answers, expected):
    assert streak(1, answers) == expected
    assert MASTERY == 2


# --- over HTTP -------------------------------------------------------------------------------


@pytest.fixture
def bank(make_question):
    """Three practice questions, each with one common mistake linked from every wrong choice."""
    questions = [make_question(difficulty=d) for d in ("easy", "medium", "hard")]
    for q, text in zip(
        questions,
        (
            "Thinking requires_grad controls everything a layer stores",
            "Confusing input shape with output shape",
            "Forgetting the bias terms",
        ),
        strict=True,
    ):
        q.mistakes.update(text=text)
    return questions


def practise(client, lesson, answers: dict) -> Attempt:
    """A practice attempt answering question number -> right (True) or wrong (False)."""
    client.post(reverse("quizzes:practice", args=[lesson.slug]))
    attempt = Attempt.objects.filter(mode="practice").latest("id")
    for number, qid in enumerate(attempt.question_ids, start=1):
        if number in answers:
            client.post(
                reverse("quizzes:answer", args=[attempt.pk, number]), {"answer": letters_for(attempt, qid, answers[number])}
            )
    return attempt


def drill_round(client, lesson, right: set) -> Attempt:
    """Start a drill round and answer each question right when its id is in `right`."""
    start = client.post(reverse("quizzes:drill", args=[lesson.slug]))
    assert start.status_code == 302
    attempt = Attempt.objects.filter(mode="drill").latest("id")
    assert start["Location"].startswith(reverse("quizzes:question", args=[attempt.pk, 1]))
    for number, qid in enumerate(attempt.question_ids, start=1):
        client.post(reverse("quizzes:answer", args=[attempt.pk, number]), {"answer": letters_for(attempt, qid, qid in right)})
    attempt.refresh_from_db()
    assert attempt.finished
    return attempt


def drill_page(client, lesson) -> str:
    return client.get(reverse("quizzes:drill", args=[lesson.slug])).content.decode()


def test_a_student_without_mistakes_gets_a_friendly_page(client, lesson, bank):
    page = drill_page(client, lesson)
    assert "you have not shown any of this lesson's common mistakes" in page
    assert f'href="{reverse("quizzes:practice", args=[lesson.slug])}"' in page
    refused = client.post(reverse("quizzes:drill", args=[lesson.slug]))
    assert refused["Location"] == reverse("quizzes:drill", args=[lesson.slug])
    assert not Attempt.objects.filter(mode="drill").exists()
    # right answers show no mistake
    practise(client, lesson, {1: True, 2: True})
    assert "you have not shown any" in drill_page(client, lesson)


def test_the_drill_runs_until_each_mistake_is_right_twice_in_a_row(client, lesson, bank):
    """The mistakes are named up front with their progress; each round asks the questions whose
    mistakes are not fixed; a wrong answer starts that mistake's count over."""
    first, second, third = bank
    practise(client, lesson, {1: False, 2: False, 3: True})
    page = drill_page(client, lesson)
    assert "You have shown:</span> Thinking requires_grad controls everything a layer stores" in page
    assert "Confusing input shape with output shape" in page and "Forgetting the bias terms" not in page
    assert page.count("0 of 2 in a row") == 2 and "Start the drill (2 mistakes left)" in page

    one = drill_round(client, lesson, right={first.id})
    assert sorted(one.question_ids) == sorted([first.id, second.id])
    # the question page names the mistake it drills, with the progress after the answer
    question = client.get(reverse("quizzes:question", args=[one.pk, one.question_ids.index(first.id) + 1])).content.decode()
    assert "The mistake you are working on" in question and "Thinking requires_grad" in question
    assert "1 of 2 in a row" in question and "Continue the drill" in question and "Show a hint" not in question
    page = drill_page(client, lesson)
    assert "1 of 2 in a row" in page and "0 of 2 in a row" in page

    drill_round(client, lesson, right={first.id, second.id})
    three = drill_round(client, lesson, right={second.id})
    assert three.question_ids == [second.id]  # the first mistake is fixed and not asked again
    page = drill_page(client, lesson)
    assert "Done:" in page and page.count("fixed (2 of 2 in a row)") == 2
    assert "Start the drill" not in page


def test_a_mistake_shown_on_the_model_quiz_is_drilled_too_without_hints(client, lesson, bank, make_question):
    quiz = make_question(role="quiz")
    quiz.mistakes.update(text="Thinking frozen layers stop producing outputs")
    # the model quiz keeps the authored order: A is right, B is wrong and linked to the mistake
    client.post(reverse("quizzes:quiz_answer", args=[lesson.slug]), {"question": quiz.pk, "answer": "B"})
    assert "Thinking frozen layers stop producing outputs" in drill_page(client, lesson)
    client.post(reverse("quizzes:drill", args=[lesson.slug]))
    attempt = Attempt.objects.get(mode="drill")
    assert attempt.question_ids == [quiz.pk]
    with pytest.raises(ValidationError) as exc:
        response_use_hint(attempt=attempt, question_id=quiz.pk)
    assert exc.value.code == NO_HINTS_IN_TEST


def test_a_mistake_shown_again_comes_back(client, lesson, bank):
    practise(client, lesson, {1: False})
    drill_round(client, lesson, right={bank[0].id})
    drill_round(client, lesson, right={bank[0].id})
    assert "Done:" in drill_page(client, lesson)
    practise(client, lesson, {1: False})
    page = drill_page(client, lesson)
    assert "Done:" not in page and "0 of 2 in a row" in page and "Start the drill (1 mistake left)" in page


def test_an_anonymous_students_drill_progress_follows_them_to_their_account(client, lesson, bank, django_user_model):
    django_user_model.objects.create_user("ana", password=PASSWORD)
    practise(client, lesson, {1: False})
    drill_round(client, lesson, right={bank[0].id})
    assert "1 of 2 in a row" in drill_page(client, lesson)
    client.post(reverse("login"), {"username": "ana", "password": PASSWORD})
    page = drill_page(client, lesson)
    assert "Thinking requires_grad" in page and "1 of 2 in a row" in page


def test_the_picker_says_how_many_mistakes_are_left(client, lesson, bank):
    def picker():
        page = client.get(lesson.get_absolute_url()).content.decode()
        return page[page.index('class="mode mode-drill') :][:600]

    assert "mode-state" not in picker()
    practise(client, lesson, {1: False, 2: False})
    assert "2 mistakes left" in picker()
    for _ in range(2):
        drill_round(client, lesson, right={bank[0].id, bank[1].id})
    assert "Every mistake fixed" in picker()


def test_a_choice_linked_to_a_mistake_on_a_correct_choice_shows_nothing(client, lesson, make_question):
    """Only a wrong choice reveals a mistake (a stray link on the right one is ignored)."""
    q = make_question(choices=2, mistakes=1)
    right = q.choices.get(fraction__gt=0)
    right.mistake = Mistake.objects.get(question=q)
    right.save()
    practise(client, lesson, {1: True})
    session_student = Student(None, client.session["quiz_anon_id"])
    assert drill_progress(student=session_student, lesson=lesson) == []


def test_the_progress_costs_two_queries_whatever_the_history(client, lesson, bank, django_assert_num_queries):
    for _ in range(3):
        practise(client, lesson, {1: False, 2: False, 3: False})
    student = Student(None, client.session["quiz_anon_id"])
    with django_assert_num_queries(2):
        assert len(drill_progress(student=student, lesson=lesson)) == 3


def test_a_running_test_reveals_no_mistake_until_it_is_finished(client, lesson, bank):
    """A wrong answer in a test still running is not named by the drill page or the picker (that
    would tell the student which test answer was wrong); once the test is finished it is."""
    client.post(reverse("quizzes:test_start", args=[lesson.slug]))
    test = Attempt.objects.get(mode="test")
    for number, qid in enumerate(test.question_ids, start=1):
        client.post(reverse("quizzes:answer", args=[test.pk, number]), {"answer": letters_for(test, qid, number != 1)})
        if number == len(test.question_ids) - 1:
            # everything but the last question answered, the first one wrong: still running
            test.refresh_from_db()
            assert not test.finished
            assert "you have not shown any" in drill_page(client, lesson)
            picker = client.get(lesson.get_absolute_url()).content.decode()
            assert "mistake left" not in picker[picker.index('class="mode mode-drill') :][:600]
    test.refresh_from_db()
    assert test.finished
    assert "0 of 2 in a row" in drill_page(client, lesson)

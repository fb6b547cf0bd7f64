"""An answer, once saved, is final, and the pages say so (issue 22, finding 7): an answered test
question shows the answer recorded (nothing about correctness), and a second, different answer
is named as not saved instead of being dropped in silence."""

import re

import pytest
from django.urls import reverse

from quizzes.models import Attempt, Choice, Mode, Response
from tests.quizzes.test_typed_views import practise, submit

STANDS = "That first answer stands: an answer, once saved, is final, so this one was not saved."


@pytest.fixture
def student(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("sam", password="pw-123456789"))
    return client


@pytest.fixture
def test_attempt(student, lesson, make_question) -> Attempt:
    for d in ["easy"] * 3 + ["medium"] * 4 + ["hard"] * 3:
        make_question(difficulty=d)
    assert student.post(reverse("quizzes:test_start", args=[lesson.slug]), {"new": "1"}).status_code == 302
    return Attempt.objects.get(mode=Mode.TEST)


def post(client, attempt, number, letter):
    return client.post(reverse("quizzes:answer", args=[attempt.pk, number]), {"answer": letter}, follow=True)


def messages_of(page: str) -> list[str]:
    return re.findall(r'<li class="message message-[a-z]+">(.*?)</li>', page, re.DOTALL)


def test_an_answered_test_question_shows_the_answer_recorded_and_no_form(student, test_attempt):
    post(student, test_attempt, 6, "C")
    page = student.get(reverse("quizzes:question", args=[test_attempt.pk, 6])).content.decode()
    assert "Question 6 is answered. Answers here are final" in page and 'data-code="answer_recorded"' in page
    chosen = Choice.objects.get(id=test_attempt.choice_orders[str(test_attempt.question_ids[5])][2])
    recorded = re.search(r'<li class="choice-result"><span class="letter">C\.</span> (.*?)</li>', page, re.DOTALL).group(1)
    assert chosen.text in recorded and "Your answer" in recorded
    assert page.count("Your answer") == 1 and 'name="answer"' not in page  # nothing to change it with
    for told in ("Correct", "Incorrect", "is-correct", "is-wrong", "RIGHT-EXPLAINED", "Step title"):
        assert told not in page, f"{told!r} shown before the test is finished"


def test_a_different_second_answer_says_the_first_stands(student, test_attempt):
    """Answer question 6, go back, choose another answer, submit: the page says the first (C) stands;
    the recorded answer does not change and the test moves on as before."""
    post(student, test_attempt, 6, "C")
    again = post(student, test_attempt, 6, "A")
    assert messages_of(again.content.decode()) == [f"Question 6 already had your answer (C). {STANDS}"]
    response = Response.objects.get(attempt=test_attempt, question_id=test_attempt.question_ids[5])
    assert response.chosen_choice_ids == [test_attempt.choice_orders[str(response.question_id)][2]]
    assert again.redirect_chain[-1][0].startswith(reverse("quizzes:question", args=[test_attempt.pk, 1]))


def test_the_same_answer_sent_twice_says_nothing(student, test_attempt):
    """A double click or a resent form is not a change of mind: no message."""
    post(student, test_attempt, 6, "C")
    assert messages_of(post(student, test_attempt, 6, "C").content.decode()) == []


def test_a_different_typed_answer_names_the_first(student, lesson, make_typed):  # noqa: F811
    make_typed()
    make_typed(key="another")  # a second question keeps the attempt open after the first answer
    attempt = practise(student, lesson)
    submit(student, attempt, "1,539")
    page = submit(student, attempt, "1536").content.decode()
    assert messages_of(page) == [f"Question 1 already had your answer (1,539). {STANDS}"]
    assert messages_of(submit(student, attempt, " 1,539 ").content.decode()) == []
    assert Response.objects.get(attempt=attempt, question_id=attempt.question_ids[0]).typed_answer == "1,539"

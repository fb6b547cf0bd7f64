"""Numbers & shapes: a practice round of the lesson's typed-answer questions (vocabulary.TYPED_KINDS),
offered by the picker only where the lesson has such questions, and its line in the picker."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from quizzes.models import Attempt, Mode, Question, Response
from quizzes.views.numbers import NUMBERS_COMING

pytestmark = pytest.mark.django_db


def numbers_url(lesson) -> str:
    return reverse("quizzes:numbers", args=[lesson.slug])


def picker_entry(client, lesson) -> str:
    page = client.get(lesson.get_absolute_url()).content.decode()
    return re.search(r'<li class="mode mode-numbers">(.*?)</li>', page, re.S).group(1)


def test_without_typed_questions_the_picker_says_they_are_coming_and_links_nowhere(client, lesson, make_question):
    """A lesson whose bank has only choice questions: the picker and the page say typed ones are coming."""
    make_question(kind="single")
    entry = picker_entry(client, lesson)
    assert "Numbers &amp; shapes" in entry and NUMBERS_COMING in entry
    assert "href" not in entry
    page = client.get(numbers_url(lesson)).content.decode()
    assert NUMBERS_COMING in page and "no numeric or short-answer questions yet" in page
    assert "Start numbers" not in page


def test_starting_without_typed_questions_starts_nothing(client, lesson, make_question):
    """A forged start on such a lesson says there is nothing to ask and starts no attempt."""
    make_question(kind="single")
    response = client.post(numbers_url(lesson), follow=True)
    assert response.redirect_chain == [(numbers_url(lesson), 302)]
    assert "There are no questions to ask here yet." in response.content.decode()
    assert not Attempt.objects.exists()


def test_the_seed_lesson_offers_a_round_of_its_typed_questions(client, seed_lesson):
    """The bundled lesson has typed questions: the picker links the mode and a round asks all of them."""
    assert f'href="{numbers_url(seed_lesson)}"' in picker_entry(client, seed_lesson)
    page = client.get(numbers_url(seed_lesson)).content.decode()
    assert "9 questions: 3 easy, 4 medium, 2 hard." in page
    client.post(numbers_url(seed_lesson))
    attempt = Attempt.objects.get()
    kinds = set(Question.objects.filter(id__in=attempt.question_ids).values_list("kind", flat=True))
    assert len(attempt.question_ids) == 9 and kinds == {"numeric", "short"}


def test_with_typed_questions_the_picker_links_to_a_practice_round_of_them_alone(client, lesson, make_question):
    make_question(kind="single")
    typed = [make_question(kind="numeric", difficulty="hard"), make_question(kind="short")]
    make_question(kind="numeric", role="quiz")  # the model quiz is not practice
    entry = picker_entry(client, lesson)
    assert f'href="{numbers_url(lesson)}"' in entry and NUMBERS_COMING not in entry
    page = client.get(numbers_url(lesson)).content.decode()
    assert "2 questions: 1 easy, 0 medium, 1 hard." in page
    response = client.post(numbers_url(lesson))
    attempt = Attempt.objects.get()
    assert response["Location"] == reverse("quizzes:question", args=[attempt.pk, 1]) + "#question"
    assert attempt.mode == Mode.PRACTICE and attempt.question_ids == [q.id for q in typed]


def test_an_inactive_typed_question_does_not_make_the_mode_available(client, lesson, make_question):
    question = make_question(kind="numeric")
    question.active = False
    question.save()
    assert NUMBERS_COMING in picker_entry(client, lesson)


def test_the_picker_says_how_many_typed_questions_the_student_has_answered_right(client, lesson, make_question):
    typed = [make_question(kind="numeric"), make_question(kind="short"), make_question(kind="numeric")]
    assert "mode-state" not in picker_entry(client, lesson)
    client.post(numbers_url(lesson))
    attempt = Attempt.objects.get()
    now = timezone.now()
    # recorded as the grading of the typed kinds will record them: one right, one wrong, one right twice
    for question, correct in ((typed[0], True), (typed[1], False)):
        Response.objects.create(attempt=attempt, question=question, correct=correct, answered_at=now)
    again = Attempt.objects.create(mode=Mode.PRACTICE, lesson=lesson, anon_id=attempt.anon_id, question_ids=[typed[0].id])
    Response.objects.create(attempt=again, question=typed[0], correct=True, answered_at=now + timedelta(seconds=1))
    assert '<span class="mode-state">1 of 3 answered right</span>' in picker_entry(client, lesson)

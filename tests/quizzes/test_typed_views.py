"""Typed-answer questions as students meet them: a labelled text box instead of choices in practice,
tests, exams, the mistake drill, review and the model quiz; grading, feedback, and refused answers."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from quizzes import typed
from quizzes.services.attempts import attempt_start
from quizzes.services.responses import response_submit
from quizzes.selectors.drill import drill_progress
from quizzes.identity import Student
from quizzes.models import Attempt, Choice, Mode, Response, ReviewItem
from tests.quizzes.test_views import Elements

pytestmark = pytest.mark.django_db


def practise(client, lesson) -> Attempt:
    client.post(reverse("quizzes:numbers", args=[lesson.slug]))
    return Attempt.objects.latest("id")


def question_url(attempt, number=1):
    return reverse("quizzes:question", args=[attempt.pk, number])


def submit(client, attempt, text, number=1):
    return client.post(reverse("quizzes:answer", args=[attempt.pk, number]), {"typed": text}, follow=True)


def test_a_typed_question_shows_a_labelled_text_box_and_none_of_its_answers(client, make_typed, lesson):
    """No radio buttons, a label, inputmode and maxlength; the accepted and known wrong numbers stay hidden."""
    question = make_typed()
    attempt = practise(client, lesson)
    assert attempt.choice_orders == {str(question.id): []}
    html = client.get(question_url(attempt)).content.decode()
    (box,) = [attrs for tag, attrs in Elements(html).tags if tag == "input" and attrs.get("name") == "typed"]
    assert box["type"] == "text" and box["inputmode"] == "decimal" and box["maxlength"] == str(typed.MAX_TYPED_LENGTH)
    assert f'<label for="{box["id"]}">Your answer (a number)</label>' in html
    assert 'name="answer"' not in html
    assert "1539" not in html and "1536" not in html and "1,539" not in html


def test_a_right_number_typed_with_separators_is_marked_right_with_the_worked_solution(client, make_typed, lesson):
    """'1,539' is full marks; the page shows what was typed, the accepted answer, its feedback and the steps."""
    make_typed()
    attempt = practise(client, lesson)
    page = submit(client, attempt, "1,539").content.decode()
    response = Response.objects.get()
    assert (response.correct, response.marks, response.typed_answer) == (True, 1, "1,539")
    assert response.chosen_choice_ids == [Choice.objects.get(text="1539").id] and response.shown_choice_ids == []
    assert "✔</span> Correct" in page and '<code class="typed-given">1,539</code>' in page
    assert '<strong class="typed-accepted">1,539</strong>' in page and "512 x 3 weights plus 3 biases." in page
    assert "Count the weights" in page and "Answer: 1,539" in page and "Option" not in page


def test_a_known_wrong_number_shows_its_feedback_and_the_mistake_it_reveals(client, make_typed, lesson):
    """1536 matches the wrong answer: its feedback and its common mistake are shown, and the drill picks it up."""
    make_typed()
    attempt = practise(client, lesson)
    page = submit(client, attempt, "1536").content.decode()
    assert "✘</span> Incorrect" in page and "That forgets the biases." in page
    assert '<span class="label">Common mistake:</span> Forgetting the bias terms' in page
    assert Response.objects.get().chosen_choice_ids == [Choice.objects.get(text="1536").id]
    (progress,) = drill_progress(student=Student.owning(attempt), lesson=lesson)
    assert progress.mistake.text == "Forgetting the bias terms" and progress.streak == 0


def test_a_partly_right_answer_earns_its_credit(client, make_typed, lesson):
    """1540 carries 50% credit: partly correct, half the marks."""
    make_typed()
    page = submit(client, practise(client, lesson), "1540").content.decode()
    assert "Partly correct (50% of the marks)" in page and "Close: check the count." in page
    assert Response.objects.get().marks == Decimal("0.5")


def test_an_unknown_number_is_wrong_and_shows_the_accepted_answer(client, make_typed, lesson):
    """A number no answer matches earns 0, links no answer, and the solution says what was accepted."""
    make_typed()
    page = submit(client, practise(client, lesson), "2048").content.decode()
    response = Response.objects.get()
    assert (response.correct, response.marks, response.chosen_choice_ids) == (False, 0, [])
    assert "Common mistake:" not in page and '<strong class="typed-accepted">1,539</strong>' in page


def test_an_answer_only_the_catch_all_matches_shows_its_feedback_and_mistake(client, make_typed, lesson):
    """With Moodle's '*' answer, a number nobody foresaw is wrong and shows the catch-all's feedback and mistake."""
    question = make_typed()
    Choice.objects.create(
        question=question,
        position=4,
        text="*",
        fraction=0,
        feedback="Count weights, then biases.",
        mistake=question.mistakes.get(),
    )
    page = submit(client, practise(client, lesson), "2048").content.decode()
    response = Response.objects.get()
    assert (response.correct, response.marks, response.chosen_choice_ids) == (False, 0, [Choice.objects.get(text="*").id])
    assert (
        "Count weights, then biases." in page and '<span class="label">Common mistake:</span> Forgetting the bias terms' in page
    )
    assert '<strong class="typed-accepted">1,539</strong>' in page and 'typed-accepted">*' not in page


@pytest.mark.parametrize(
    "text, code",
    [
        ("", typed.EMPTY_ANSWER),
        ("   ", typed.EMPTY_ANSWER),
        ("1" * (typed.MAX_TYPED_LENGTH + 1), typed.ANSWER_TOO_LONG),
        ("about 1500", typed.NOT_A_NUMBER),
    ],
)
def test_an_empty_overlong_or_non_numeric_answer_gets_a_message_and_saves_nothing(client, make_typed, lesson, text, code):
    """The student is asked again with a clear message; no response is recorded."""
    make_typed()
    attempt = practise(client, lesson)
    response = submit(client, attempt, text)
    assert response.redirect_chain[-1][0].startswith(question_url(attempt))
    expected = {
        typed.EMPTY_ANSWER: "Type your answer first.",
        typed.ANSWER_TOO_LONG: "answers are at most 200",
        typed.NOT_A_NUMBER: "is not a number",
    }[code]
    assert expected in response.content.decode()
    assert not Response.objects.filter(answered_at__isnull=False).exists()
    with pytest.raises(ValidationError) as error:
        response_submit(attempt=attempt, question_id=attempt.question_ids[0], typed=text)
    assert error.value.code == code


def test_a_shape_is_marked_right_whichever_way_it_is_written(client, make_typed, lesson):
    """A short answer whose accepted answer is a shape takes torch.Size, a tuple or a times sign."""
    make_typed(kind="short", key="shape", answers=[("1000 x 7 x 7 x 512", 1, "", None)])
    for text in ("torch.Size([1000, 7, 7, 512])", "(1000, 7, 7, 512)", "1000×7×7×512"):
        attempt = practise(client, lesson)
        submit(client, attempt, text)
        assert Response.objects.get(attempt=attempt).correct, text


def test_in_a_test_a_typed_answer_is_saved_silently_and_judged_at_the_end(client, make_typed, lesson):
    """No verdict while the test runs; the result page shows the answer, the verdict and the solution."""
    question = make_typed(difficulty="easy")
    attempt = attempt_start(student=Student(None, "anon-1"), lesson=lesson, mode=Mode.TEST)
    session = client.session
    session["quiz_anon_id"] = "anon-1"
    session.save()
    assert attempt.question_ids == [question.id]
    page = client.get(question_url(attempt)).content.decode()
    assert 'name="typed"' in page and "Save answer and continue" in page
    page = submit(client, attempt, "1536").content.decode()
    attempt.refresh_from_db()
    assert attempt.finished and "your results" in page
    assert '<code class="typed-given">1536</code>' in page and "Forgetting the bias terms" in page
    assert "Count the weights" in page


def test_a_missed_typed_question_comes_back_in_review_as_a_text_box(client, make_typed, lesson):
    """A wrong typed answer enters the review deck; the review question asks for typing again."""
    make_typed()
    submit(client, practise(client, lesson), "1536")
    item = ReviewItem.objects.get()
    ReviewItem.objects.filter(pk=item.pk).update(due_at=item.due_at.replace(year=2000))
    client.post(reverse("quizzes:review", args=[lesson.slug]))
    review = Attempt.objects.latest("id")
    assert review.mode == Mode.REVIEW
    assert 'name="typed"' in client.get(question_url(review)).content.decode()
    submit(client, review, "1539")
    assert Response.objects.get(attempt=review).correct


def test_the_model_quiz_takes_a_typed_answer(client, make_typed, lesson):
    """A typed question in the model quiz is answered on the lesson page like the others."""
    lesson.published = True
    lesson.save()
    question = make_typed(role="quiz")
    page = client.get(lesson.get_absolute_url()).content.decode()
    assert 'name="typed"' in page
    client.post(reverse("quizzes:quiz_answer", args=[lesson.slug]), {"question": question.id, "typed": "1 539"})
    assert Response.objects.get().correct
    assert '<code class="typed-given">1 539</code>' in client.get(lesson.get_absolute_url()).content.decode()


def test_staff_preview_shows_a_typed_question_answered_right(admin_client, make_typed):
    """The preview types the first accepted answer and shows it marked right."""
    question = make_typed()
    page = admin_client.get(reverse("quizzes:question_preview", args=[question.pk])).content.decode()
    assert 'name="typed"' in page and '<code class="typed-given">1539</code>' in page and "✔</span> Correct" in page

"""The staff's interactive question preview: any answer graded as a student's would be, nothing saved."""

from decimal import Decimal

import pytest
from django.urls import reverse

from common.codes import NOT_A_NUMBER
from quizzes.models import Attempt, Choice, Hint, Mistake, Question, Response, SolutionStep
from quizzes.selectors.shown import UNKNOWN_CHOICE, question_preview


@pytest.fixture
def staff(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("admin", "a@example.com", "pw-123456789"))
    return client


def _preview(client, question, **answer):
    url = reverse("quizzes:question_preview", args=[question.pk])
    return client.get(url, {"check": "1", **answer} if answer else {}).content.decode()


@pytest.fixture
def typed_question(lesson):
    """A numeric question with a listed wrong answer (linked to a mistake) and Moodle's catch-all."""
    q = Question.objects.create(
        lesson=lesson,
        key="head-params",
        role="practice",
        kind="numeric",
        difficulty="hard",
        position=1,
        stem="How many parameters does `nn.Linear(512, 3)` have? Give a number.",
    )
    bias = Mistake.objects.create(question=q, position=1, text="Forgetting the bias terms")
    for i, (text, fraction, feedback, mistake) in enumerate(
        [
            ("1539", 1, "512 x 3 weights plus 3 biases.", None),
            ("1536", 0, "That forgets the biases.", bias),
            ("*", 0, "CATCH-ALL: count weights, then biases.", None),
        ],
        start=1,
    ):
        Choice.objects.create(question=q, position=i, text=text, fraction=fraction, feedback=feedback, mistake=mistake)
    SolutionStep.objects.create(question=q, position=1, title="Count the weights", body="512 x 3 = 1,536.")
    Hint.objects.create(question=q, position=1, text="Each output has a bias.")
    return q


def test_a_wrong_choice_shows_its_feedback_mistake_hints_and_steps_and_saves_nothing(staff, make_question):
    """Picking B (wrong) marks it incorrect with B's feedback, its linked mistake, the hints and the worked steps."""
    q = make_question()
    page = _preview(staff, q, answer="B")
    assert "as a student who chose B)" in page and "✘</span> Incorrect" in page
    assert "Feedback 1: wrong-explained" in page and "Common mistake:</span> Mistake 0" in page
    assert "Hint text 0" in page and "Hint text 1" in page and "Step title 1" in page
    assert 'value="B" checked' in page and "disabled" not in page  # the form keeps the pick and stays live
    assert not Attempt.objects.exists() and not Response.objects.exists()


def test_without_an_answer_the_preview_fills_in_the_correct_one(staff, make_question):
    """The bare preview (and its "fill in the correct answer" link) shows the correct choice marked right."""
    q = make_question(correct=(2,))
    page = _preview(staff, q)
    assert "chose the correct answer)" in page and "✔</span> Correct" in page and "Feedback 2: RIGHT-EXPLAINED" in page
    assert "checked" not in page and "Common mistake:</span>" not in page
    assert f'href="{reverse("quizzes:question_preview", args=[q.pk])}"' in page


def test_a_multiple_answer_question_marks_a_partial_pick_partly_correct(make_question):
    """One of two correct boxes earns half the marks, as the students' grading gives it."""
    q = make_question(kind="multiple", correct=(0, 1))
    preview = question_preview(pk=q.pk, letters=["A"])
    assert preview.answered.response.marks == Decimal("0.5") and not preview.answered.response.correct
    assert [c.letter for c in preview.shown.chosen_choices] == ["A"]


def test_a_letter_the_question_lacks_is_refused_as_a_student_is(make_question, staff):
    q = make_question(choices=3)
    preview = question_preview(pk=q.pk, letters=["F"])
    assert preview.answered is None and preview.error.code == UNKNOWN_CHOICE
    assert "That choice is not one of this question" in _preview(staff, q, answer="F")


def test_a_typed_wrong_number_shows_its_feedback_and_mistake(staff, typed_question):
    """1536 matches the listed wrong answer: marked not correct, with its feedback and linked mistake."""
    page = _preview(staff, typed_question, typed="1,536")
    assert "✘</span> Incorrect" in page and '<code class="typed-given">1,536</code>' in page
    assert "That forgets the biases." in page and "Common mistake:</span> Forgetting the bias terms" in page
    assert 'value="1,536"' in page and "Each output has a bias." in page
    assert not Response.objects.exists()


def test_a_typed_number_nothing_matches_gets_the_catch_all_feedback(staff, typed_question):
    page = _preview(staff, typed_question, typed="12")
    assert "✘</span> Incorrect" in page and "CATCH-ALL: count weights, then biases." in page
    assert "Common mistake:</span>" not in page


def test_a_typed_answer_that_is_not_a_number_is_refused_with_the_students_message(staff, typed_question):
    preview = question_preview(pk=typed_question.pk, typed="lots")
    assert preview.answered is None and preview.error.code == NOT_A_NUMBER
    page = _preview(staff, typed_question, typed="lots")
    assert 'class="message errorlist preview-error"' in page and "After answering" not in page


def test_the_preview_lists_the_questions_lint_findings(staff, make_question):
    """A mistake linked to no choice is named on the preview with its code."""
    q = make_question(mistakes=2)
    page = _preview(staff, q)
    assert "Linter findings" in page and "<code>mistake_unlinked</code>" in page and "Mistake 1" in page

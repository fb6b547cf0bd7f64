"""Typed-answer questions in a lesson file: `kind: numeric` / `kind: short` with `answers:`, their
credit, tolerance, feedback and mistakes, and errors that name the question, the line and the field."""

from decimal import Decimal

import pytest

from courses import yamlnodes
from quizzes import content, typed
from quizzes.models import Choice, Question
from tests.quizzes.test_content import HEAD, _replace_line, error_for, load

pytestmark = pytest.mark.django_db

TYPED = (
    HEAD
    + """\
  practice:
    - key: head-params
      kind: numeric
      difficulty: hard
      stem: How many parameters does `nn.Linear(512, 3)` have?
      mistakes: [Forgetting the bias terms]
      answers:
        - {value: 1539, correct: true, feedback: 512 x 3 weights plus 3 biases.}
        - {value: 1536, feedback: That forgets the biases., mistake: 1}
        - {value: "1,540", tolerance: 1, credit: 50}
    - key: resnet18-millions
      kind: numeric
      difficulty: medium
      stem: ResNet-18's parameters, in millions, one decimal?
      answers:
        - {value: 11.7, tolerance: 0.05, correct: true}
    - key: pooled-shape
      kind: short
      difficulty: easy
      stem: What shape leaves global average pooling?
      answers:
        - {text: 1000 x 512, correct: true}
        - {text: 1000 x 512 x 7 x 7}
"""
)


def test_typed_questions_load_their_answers_with_credit_tolerance_feedback_and_mistakes():
    """correct: true is 100%, credit a percent, no mark 0; values, tolerances and mistakes are kept in order."""
    load(TYPED)
    head = Question.objects.get(key="head-params")
    assert head.kind == "numeric"
    rows = [(c.text, c.fraction, c.tolerance, c.feedback, c.mistake and c.mistake.text) for c in head.choices.all()]
    assert rows == [
        ("1539", Decimal(1), 0, "512 x 3 weights plus 3 biases.", None),
        ("1536", Decimal(0), 0, "That forgets the biases.", "Forgetting the bias terms"),
        ("1,540", Decimal("0.5"), 1, "", None),
    ]
    assert Choice.objects.get(question__key="resnet18-millions").tolerance == 0.05
    assert [c.text for c in Question.objects.get(key="pooled-shape").choices.all()] == ["1000 x 512", "1000 x 512 x 7 x 7"]


def test_a_question_that_changes_kind_keeps_no_stale_tolerance():
    """Reloading a numeric question as a choice question resets its rows' tolerance to 0."""
    load(TYPED)
    changed = TYPED.replace(
        """      kind: numeric
      difficulty: medium
      stem: ResNet-18's parameters, in millions, one decimal?
      answers:
        - {value: 11.7, tolerance: 0.05, correct: true}""",
        """      difficulty: medium
      stem: ResNet-18's parameters, in millions?
      choices:
        - {text: About 11.7, correct: true}
        - {text: About 25.6}""",
    )
    load(changed)
    question = Question.objects.get(key="resnet18-millions", current=True)
    assert question.kind == "single" and [c.tolerance for c in question.choices.all()] == [0, 0]


@pytest.mark.parametrize(
    "old, new, field, words, code, key",
    [
        (
            "- {value: 1539, correct: true, feedback: 512 x 3 weights plus 3 biases.}",
            "- {value: 1539}",
            "answers",
            "No answer earns full credit",
            typed.NO_FULL_CREDIT,
            "head-params",
        ),
        (
            "- {value: 1536, feedback: That forgets the biases., mistake: 1}",
            "- {value: about 1536}",
            "answers[2].value",
            "'about 1536' is not a number",
            typed.NOT_A_NUMBER,
            "head-params",
        ),
        (
            '- {value: "1,540", tolerance: 1, credit: 50}',
            '- {value: "1,540", tolerance: -1, credit: 50}',
            "answers[3].tolerance",
            "tolerance -1",
            typed.NEGATIVE_TOLERANCE,
            "head-params",
        ),
        (
            '- {value: "1,540", tolerance: 1, credit: 50}',
            '- {value: "1,540", tolerance: lots}',
            "answers[3].tolerance",
            "'lots' is not a number",
            typed.NOT_A_NUMBER,
            "head-params",
        ),
        (
            '- {value: "1,540", tolerance: 1, credit: 50}',
            '- {value: "1,540", credit: 150}',
            "answers[3].credit",
            "credit 150%",
            typed.CREDIT_OUT_OF_RANGE,
            "head-params",
        ),
        (
            '- {value: "1,540", tolerance: 1, credit: 50}',
            '- {value: "1,540", credit: 50, correct: true}',
            "answers[3]",
            "disagree",
            content.CORRECT_WEIGHT_DISAGREE,
            "head-params",
        ),
        (
            "- {value: 1536, feedback: That forgets the biases., mistake: 1}",
            "- {value: 1536, mistake: 2}",
            "mistake",
            "no mistake 2",
            content.NO_SUCH_MISTAKE,
            None,
        ),
        (
            "- {text: 1000 x 512, correct: true}",
            "- {text: 1000 x 512, correct: true, tolerance: 1}",
            "tolerance",
            "unknown field",
            yamlnodes.UNKNOWN_FIELD,
            None,
        ),
        (
            "- {text: 1000 x 512, correct: true}",
            "- {value: 1000 x 512, correct: true}",
            "answers[1].value",
            "unknown field 'value' (expected one of: correct, credit, feedback, mistake, text)",
            yamlnodes.UNKNOWN_FIELD,
            None,
        ),
        (
            "      answers:\n        - {value: 11.7, tolerance: 0.05, correct: true}\n",
            "      choices:\n        - {text: '11.7', correct: true}\n        - {text: '25.6'}\n",
            "choices",
            "its answers go under 'answers:'",
            content.WRONG_ANSWER_FIELD,
            "resnet18-millions",
        ),
        (
            "      answers:\n        - {value: 11.7, tolerance: 0.05, correct: true}\n",
            "",
            "practice[2]",
            "missing required field 'answers'",
            yamlnodes.MISSING_FIELD,
            "resnet18-millions",
        ),
    ],
)
def test_a_malformed_typed_question_names_its_key_line_and_field_and_saves_nothing(old, new, field, words, code, key):
    """Each rule fails with its code, the question's key, the file, line and field; nothing is saved."""
    error = error_for(_replace_line(TYPED, old, new))
    assert error.code == code, error
    assert field in error.params["field"], error
    assert words in error.params["problem"], error
    assert error.params["line"] and error.messages[0].startswith(f"lesson.yaml:{error.params['line']}: "), error
    if key:  # the rules of typed answers name the question (the shared ones name the field alone)
        assert f"question '{key}'" in error.params["problem"], error
    assert not Question.objects.exists()


def test_a_choice_question_cannot_have_answers():
    """`answers:` belongs to the typed kinds: a single-answer question with it is refused."""
    error = error_for(TYPED.replace("      kind: short\n", ""))
    assert error.code == content.WRONG_ANSWER_FIELD and "'choices:'" in error.params["problem"]


def test_the_catch_all_answer_loads_last_with_its_feedback_and_must_give_no_credit():
    """`value: "*"` (or `text: "*"`) is Moodle's any other answer: kept last with its feedback; with credit it is refused."""
    catch_all = (
        '        - {value: "1,540", tolerance: 1, credit: 50}\n        - {value: "*", feedback: Count weights and biases.}\n'
    )
    load(TYPED.replace('        - {value: "1,540", tolerance: 1, credit: 50}\n', catch_all))
    assert [(c.text, c.fraction, c.feedback) for c in Question.objects.get(key="head-params").choices.all()][-1] == (
        "*",
        Decimal(0),
        "Count weights and biases.",
    )
    error = error_for(TYPED.replace("        - {text: 1000 x 512 x 7 x 7}\n", '        - {text: "*", credit: 20}\n'))
    assert error.code == typed.BAD_ANY_ANSWER and "question 'pooled-shape'" in error.params["problem"]

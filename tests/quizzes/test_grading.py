"""Grading and choice rules: pure functions."""

from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError

from quizzes import grading
from quizzes.grading import grade, letter, validate_choices


def test_single_correct_choice_earns_full_marks():
    """A single-answer question gives 1 for the correct choice and 0 for a wrong one."""
    fractions = {1: D(0), 2: D(1), 3: D(0)}
    assert grade("single", fractions, [2]) == grading.Grade(D(1), True)
    assert grade("single", fractions, [1]) == grading.Grade(D(0), False)


def test_single_with_several_picks_or_none_earns_nothing():
    """Ticking two answers to a single-answer question, or none, scores 0."""
    fractions = {1: D(0), 2: D(1)}
    assert grade("single", fractions, [1, 2]).marks == 0
    assert grade("single", fractions, []).marks == 0


def test_true_false():
    """True/false is graded like a single answer."""
    assert grade("truefalse", {1: D(0), 2: D(1)}, [2]).correct
    assert not grade("truefalse", {1: D(0), 2: D(1)}, [1]).correct


def test_multiple_partial_credit_sums_chosen_fractions():
    """Two of three correct choices earn two thirds; all three earn full marks."""
    third = D("0.3333333")
    fractions = {1: third, 2: third, 3: D("0.3333334"), 4: D("-0.5")}
    assert grade("multiple", fractions, [1, 2]).marks == D("0.6666666")
    assert not grade("multiple", fractions, [1, 2]).correct
    assert grade("multiple", fractions, [1, 2, 3]) == grading.Grade(D(1), True)


def test_multiple_negative_weights_floor_at_zero_and_cap_at_one():
    """Wrong picks take marks away but never below 0; a sum above 100% is capped."""
    fractions = {1: D("0.5"), 2: D("0.5"), 3: D("-1"), 4: D("-1")}
    assert grade("multiple", fractions, [1, 3, 4]).marks == 0
    assert grade("multiple", fractions, [1, 2, 3]).marks == 0
    assert grade("multiple", {1: D(1), 2: D("0.5")}, [1, 2]).marks == 1


def test_multiple_ticking_everything_is_not_full_marks():
    """With negative weights on wrong choices, selecting all choices does not earn 100%."""
    fractions = {1: D("0.5"), 2: D("0.5"), 3: D("-0.5"), 4: D("-0.5")}
    assert grade("multiple", fractions, [1, 2, 3, 4]).marks == 0


def test_unknown_kind_is_an_error():
    with pytest.raises(ValueError):
        grade("essay", {}, [1])


@pytest.mark.parametrize(
    "kind, fractions, code",
    [
        ("single", [D(1)], grading.TOO_FEW_CHOICES),
        ("single", [D(0), D(0)], grading.SINGLE_NEEDS_ONE_CORRECT),
        ("single", [D(1), D(1), D(0)], grading.SINGLE_NEEDS_ONE_CORRECT),
        ("single", [D("0.5"), D(0)], grading.SINGLE_CORRECT_IS_FULL),
        ("truefalse", [D(1), D(0), D(0)], grading.TRUEFALSE_TWO_CHOICES),
        ("multiple", [D(0), D("-0.5")], grading.MULTIPLE_NEEDS_CORRECT),
        ("multiple", [D("0.5"), D("0.4"), D(0)], grading.WEIGHTS_NOT_100),
        ("multiple", [D("0.5"), D("0.5"), D("-1.5")], grading.WEIGHT_OUT_OF_RANGE),
        ("single", [D("1.5"), D(0)], grading.WEIGHT_OUT_OF_RANGE),
        ("essay", [D(1), D(0)], grading.UNKNOWN_KIND),
    ],
)
def test_validate_choices_rejects_with_code(kind, fractions, code):
    """Each malformed set of choices fails with its own error code."""
    with pytest.raises(ValidationError) as exc:
        validate_choices(kind, fractions)
    assert exc.value.code == code


@pytest.mark.parametrize(
    "kind, fractions",
    [
        ("single", [D(0), D(1), D(0), D(0)]),
        ("truefalse", [D(1), D(0)]),
        ("multiple", [D("0.5"), D("0.5"), D("-0.5"), D("-0.5")]),
        ("multiple", [D("0.3333333"), D("0.3333333"), D("0.3333334"), D(-1)]),
        ("multiple", [D(1), D(0)]),
    ],
)
def test_validate_choices_accepts_well_formed(kind, fractions):
    validate_choices(kind, fractions)


def test_letters_follow_position():
    assert [letter(i) for i in (0, 1, 3, 25, 26)] == ["A", "B", "D", "Z", "AA"]


@pytest.mark.parametrize(
    "text", ["Pre-trained models reuse features = B [OK]", "so the answer is Option D", "Options C and D are wrong", "choice (A)"]
)
def test_letter_references_are_found(text):
    """The seed's "Quick Check ... = B" lines, and other letters typed into text, are caught."""
    assert grading.find_letter_reference(text)
    with pytest.raises(ValidationError) as exc:
        grading.validate_no_letter_reference(text)
    assert exc.value.code == grading.LETTER_REFERENCE


@pytest.mark.parametrize(
    "text",
    ["Output shape = (batch, 1000 classes)", "A model with 7 x 7 x 512 features", "x = torch.zeros(1)", "Option to freeze"],
)
def test_ordinary_text_has_no_letter_reference(text):
    assert grading.find_letter_reference(text) is None

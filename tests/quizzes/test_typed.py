"""Grading typed answers (quizzes/typed.py): numbers as people type them, shapes in any usual form,
tolerance, partial credit and the rules a typed question's answers must follow."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from quizzes import typed
from quizzes.typed import TypedAnswer, grade_typed, parse_number, parse_shape


@pytest.mark.parametrize("text", ["1539", "1,539", "1 539", "1.539e3", "1.539E3", " 1539 ", "+1539", "1539.0", "1\u202f539"])
def test_a_number_typed_in_any_usual_way_reads_as_that_number(text):
    """Thousands separators, an exponent, a sign and surrounding spaces are all understood."""
    assert parse_number(text) == Decimal(1539)


@pytest.mark.parametrize(
    "text, value",
    [
        ("-0.5", "-0.5"),
        ("\u22120.5", "-0.5"),
        (".5", "0.5"),
        ("1,281,167", "1281167"),
        ("11.7", "11.7"),
        ("2.5e-3", "0.0025"),
        ("25,557,032.5", "25557032.5"),
    ],
)
def test_negative_decimal_and_grouped_numbers(text, value):
    """The Unicode minus is a minus; groups of three digits may be separated by commas."""
    assert parse_number(text) == Decimal(value)


@pytest.mark.parametrize(
    "text", ["abc", "1,5", "12,34", "1.2.3", "1539 parameters", "", "--1", "nan", "inf", "1e99999", "1,539 000", "0x10"]
)
def test_junk_is_not_a_number(text):
    """Text that is not one number is refused with NOT_A_NUMBER (a comma is never a decimal point)."""
    with pytest.raises(ValidationError) as error:
        parse_number(text)
    assert error.value.code == typed.NOT_A_NUMBER


@pytest.mark.parametrize(
    "text",
    [
        "1000 x 7 x 7 x 512",
        "1000×7×7×512",
        "1000x7x7x512",
        "(1000, 7, 7, 512)",
        "[1000, 7, 7, 512]",
        "torch.Size([1000, 7, 7, 512])",
        "1000 X 7 X 7 X 512",
        "(1000,7,7,512)",
    ],
)
def test_a_shape_written_in_any_usual_form_is_the_same_shape(text):
    """Times signs, Python tuples, lists and torch.Size all give the same sizes."""
    assert parse_shape(text) == (1000, 7, 7, 512)


@pytest.mark.parametrize(
    "text",
    [
        "8, 512, 7, 7",
        "8,512,7,7",
        "(8 x 512 x 7 x 7)",
        "(8x512x7x7)",
        "torch.Size((8, 512, 7, 7))",
        "torch.Size((8,512,7,7))",
        "torch.Size([8,512,7,7])",
        "[8, 512, 7, 7]",
        "[8,512,7,7]",
        "( 8 , 512 , 7 , 7 )",
        "torch.Size ([8, 512, 7, 7])",
    ],
)
def test_a_shape_typed_as_people_type_it_is_read(text):
    """Bare commas, x inside brackets, torch.Size around a tuple, a list, with or without spaces: all read as the shape."""
    assert parse_shape(text) == (8, 512, 7, 7)


@pytest.mark.parametrize(
    "text", ["8, 512, 7, 7", "8,512,7,7", "(8 x 512 x 7 x 7)", "torch.Size((8, 512, 7, 7))", "[8, 512, 7, 7]"]
)
def test_a_shape_typed_as_people_type_it_earns_the_marks(text):
    """Each of these forms is graded as the shape it is, so it is marked right rather than compared as text."""
    bank = answers(("8 x 512 x 7 x 7", "1", "0"))
    assert grade_typed("short", bank, text).correct


@pytest.mark.parametrize(
    "text, shape",
    [
        ("(512,)", (512,)),
        ("1000 x 512", (1000, 512)),
        ("512", None),
        ("1000 x number_of_classes", None),
        ("(1000, 7, 7, 512", None),
        ("()", None),
        ("(a, b)", None),
        ("7 x 7 x 512 features", None),
        ("8,", None),
        ("8, 512,", None),
        ("(8, 512 x 7)", None),
        ("8, , 7", None),
        ("torch.Size(8, 512)", None),
        ("torch.Size([])", None),
        ("[512,]", (512,)),
    ],
)
def test_what_is_and_is_not_a_shape(text, shape):
    """A bare number is not a shape; a one-element tuple is; a named size, stray word, empty size,
    a mix of x and commas or a torch.Size without its list is not."""
    assert parse_shape(text) == shape


def answers(*rows):
    return [TypedAnswer(i, text, Decimal(fraction), Decimal(tolerance)) for i, (text, fraction, tolerance) in enumerate(rows, 1)]


def test_a_number_within_the_tolerance_matches_and_the_bounds_are_included():
    """|typed - value| <= tolerance, as Moodle: 11.65 and 11.75 both match 11.7 with tolerance 0.05."""
    bank = answers(("11.7", "1", "0.05"))
    for text in ("11.7", "11.65", "11.75", "11.69"):
        assert grade_typed("numeric", bank, text).correct, text
    for text in ("11.76", "11.64", "12"):
        result = grade_typed("numeric", bank, text)
        assert (result.answer_id, result.marks, result.correct) == (None, 0, False), text


def test_a_known_wrong_number_is_matched_so_its_mistake_can_be_shown():
    """1,536 (the weights without the biases) matches its own zero-credit answer."""
    bank = answers(("1539", "1", "0"), ("1536", "0", "0"), ("75267", "0", "0"))
    assert grade_typed("numeric", bank, "1,539") == typed.TypedGrade(1, Decimal(1), True)
    assert grade_typed("numeric", bank, "1 536") == typed.TypedGrade(2, Decimal(0), False)
    assert grade_typed("numeric", bank, "1540") == typed.TypedGrade(None, Decimal(0), False)


def test_the_best_credit_among_matching_answers_wins():
    """Overlapping ranges: the full-credit answer beats a partial one listed first, and partial credit is the marks."""
    bank = answers(("11.7", "0.5", "1"), ("11.7", "1", "0.05"))
    assert grade_typed("numeric", bank, "11.7") == typed.TypedGrade(2, Decimal(1), True)
    assert grade_typed("numeric", bank, "12.5") == typed.TypedGrade(1, Decimal("0.5"), False)


def test_a_numeric_question_refuses_text_that_is_not_a_number():
    """'about 1500' cannot be graded: the student is asked again rather than marked wrong."""
    with pytest.raises(ValidationError) as error:
        grade_typed("numeric", answers(("1539", "1", "0")), "about 1500")
    assert error.value.code == typed.NOT_A_NUMBER


@pytest.mark.parametrize(
    "text, code", [("", typed.EMPTY_ANSWER), ("   ", typed.EMPTY_ANSWER), ("9" * 201, typed.ANSWER_TOO_LONG)]
)
def test_an_empty_or_overlong_answer_is_refused(text, code):
    """Nothing to grade, or more than the field allows: a clear code, no grade."""
    with pytest.raises(ValidationError) as error:
        grade_typed("short", answers(("x", "1", "0")), text)
    assert error.value.code == code


def test_short_answers_ignore_case_and_extra_whitespace():
    """'Global  Average pooling' matches 'global average pooling'; a different word does not."""
    bank = answers(("global average pooling", "1", "0"), ("flatten", "0", "0"))
    assert grade_typed("short", bank, "  Global   Average\tpooling ").correct
    assert grade_typed("short", bank, "FLATTEN").answer_id == 2
    assert grade_typed("short", bank, "max pooling").answer_id is None


@pytest.mark.parametrize("text", ["1000 x 7 x 7 x 512", "1000×7×7×512", "(1000, 7, 7, 512)", "torch.Size([1000, 7, 7, 512])"])
def test_a_shape_answer_matches_every_way_of_writing_the_shape(text):
    """When the accepted answer is a shape, shapes are compared, not strings."""
    bank = answers(("1000 x 7 x 7 x 512", "1", "0"), ("1000 x 512 x 7 x 7", "0", "0"))
    assert grade_typed("short", bank, text) == typed.TypedGrade(1, Decimal(1), True)
    assert grade_typed("short", bank, "(1000, 512, 7, 7)").answer_id == 2
    assert grade_typed("short", bank, "7 x 7 x 512").answer_id is None


@pytest.mark.parametrize(
    "kind, rows, code",
    [
        ("numeric", [], typed.NO_ANSWERS),
        ("numeric", [("1536", "0", "0")], typed.NO_FULL_CREDIT),
        ("numeric", [("1539", "0.5", "0")], typed.NO_FULL_CREDIT),
        ("numeric", [("about 1539", "1", "0")], typed.NOT_A_NUMBER),
        ("numeric", [("1539", "1", "-1")], typed.NEGATIVE_TOLERANCE),
        ("numeric", [("1539", "1", "0"), ("1536", "-0.5", "0")], typed.CREDIT_OUT_OF_RANGE),
        ("numeric", [("1539", "1.5", "0")], typed.CREDIT_OUT_OF_RANGE),
        ("short", [("flatten", "1", "0.5")], typed.TOLERANCE_NOT_NUMERIC),
        ("numeric", [("1539", "1", "0"), ("*", "0.5", "0")], typed.BAD_ANY_ANSWER),
        ("numeric", [("1539", "1", "0"), ("*", "0", "1")], typed.BAD_ANY_ANSWER),
        ("short", [("*", "0", "0"), ("flatten", "1", "0")], typed.BAD_ANY_ANSWER),
    ],
)
def test_malformed_answers_are_refused_with_their_code(kind, rows, code):
    """Each rule of a typed question's answers has its own code."""
    with pytest.raises(ValidationError) as error:
        typed.validate_answers(kind, [(t, Decimal(f), Decimal(tol)) for t, f, tol in rows])
    assert error.value.code == code


def test_well_formed_answers_pass():
    """A full-credit answer, a partial one and a known wrong one make a valid question."""
    typed.validate_answers(
        "numeric",
        [("11.7", Decimal(1), Decimal("0.05")), ("12", Decimal("0.5"), Decimal("0.5")), ("11689512", Decimal(0), Decimal(0))],
    )
    typed.validate_answers("short", [("1000 x 512", Decimal(1), Decimal(0))])


@pytest.mark.parametrize(
    "kind, right, wrong, other", [("numeric", "1,539", "1536", "2048"), ("short", "1000 X 512", "512", "flat")]
)
def test_the_catch_all_matches_only_what_no_other_answer_matched(kind, right, wrong, other):
    """Moodle's '*' (last, no credit) gives way to every real answer, known wrong ones included; what
    nothing else matches is graded 0 and linked to it, for its feedback."""
    first = "1539" if kind == "numeric" else "1000 x 512"
    bank = [TypedAnswer(1, first, Decimal(1)), TypedAnswer(2, wrong, Decimal(0)), TypedAnswer(3, "*", Decimal(0))]
    typed.validate_answers(kind, [(a.text, a.fraction, a.tolerance) for a in bank])
    assert grade_typed(kind, bank, right) == typed.TypedGrade(1, Decimal(1), True)
    assert grade_typed(kind, bank, wrong).answer_id == 2
    assert grade_typed(kind, bank, other) == typed.TypedGrade(3, Decimal(0), False)
    assert grade_typed(kind, bank[:2], other).answer_id is None


def test_numbers_display_with_thousands_separators():
    """An accepted answer of 11689512 shows as 11,689,512; decimals stay as written."""
    assert [typed.display_number(t) for t in ("11689512", "11.7", "1.539e3", "0.05", "25088.5", "x")] == [
        "11,689,512",
        "11.7",
        "1,539",
        "0.05",
        "25,088.5",
        "x",
    ]


def test_a_stored_tolerance_is_the_decimal_it_was_written_as():
    """0.05 stored as a float compares as exactly 0.05, so the bounds stay inclusive."""
    assert typed.tolerance_decimal(0.05) == Decimal("0.05")
    assert typed.tolerance_decimal(0) == 0


def test_common_unmatched_answers_count_the_same_answer_typed_differently_together():
    """'1,536' and '1536' are one answer; shapes in different forms too; the most common come first, at most five."""
    assert typed.common_answers("numeric", ["1,536", "1536", "42", "1536.0", "42", "7"]) == [("1,536", 3), ("42", 2), ("7", 1)]
    assert typed.common_answers("short", ["(7, 7, 512)", "7x7x512", "Flatten", "flatten "]) == [
        ("(7, 7, 512)", 2),
        ("Flatten", 2),
    ]
    assert len(typed.common_answers("short", [str(i) for i in range(9)])) == typed.TOP_UNMATCHED

"""Aiken read as Moodle reads it, errors with their line, and what export skips."""

from decimal import Decimal

import pytest

from quizzes.interchange import ChoiceData, QuestionData, aiken_problem, dump_aiken, parse_aiken, parse_gift

D = Decimal

SAMPLE = """\
Is the capital of France
a large city?
A) Paris is small
B. Paris is large
C)No opinion
ANSWER: B

Which is prime?
A. 4
B. 7
ANSWER: b
"""


def test_parse():
    result = parse_aiken(SAMPLE)
    assert result.errors == [] and result.unsupported == []
    first, second = result.questions
    assert first.kind == "single" and first.line == 1
    assert first.stem == "Is the capital of France\na large city?"
    assert first.choices == [
        ChoiceData("Paris is small", D(0)),
        ChoiceData("Paris is large", D(1)),
        ChoiceData("No opinion", D(0)),
    ]
    assert second.line == 8 and [c.fraction for c in second.choices] == [0, 1]


@pytest.mark.parametrize(
    "text, code, line",
    [
        ("Qu\nA) a\nB) b\nANSWER: C\n", "answer_letter_unknown", 1),
        ("Qu\nA) a\nB) b\nANSWER:\n", "answer_letter_unknown", 1),
        ("Qu\nA) a\nB) b\n", "missing_answer", 1),
        ("Qu\nA) a\nANSWER: A\n", "too_few_options", 1),
        ("Qu\nA) a\nA) b\nANSWER: A\n", "duplicate_option_letter", 1),
        ("A) a\n", "option_without_question", 1),
        ("\nANSWER: A\n", "answer_without_question", 2),
    ],
)
def test_errors(text, code, line):
    result = parse_aiken(text)
    assert result.questions == []
    assert [(p.code, p.line) for p in result.errors] == [(code, line)]


def test_missing_answer_then_next_question_imports():
    result = parse_aiken("Q1\nA) a\nB) b\nQ2\nA) c\nB) d\nANSWER: A\n")
    assert [(p.code, p.line) for p in result.errors] == [("missing_answer", 1)]
    assert [q.line for q in result.questions] == [4]


def test_dump_skips_what_aiken_cannot_hold():
    single = QuestionData("single", "Q?", [ChoiceData("a\nb", D(0), "fb"), ChoiceData("c", D(1))], title="t")
    tf = QuestionData("truefalse", "Sky blue?", [ChoiceData("True", D(1)), ChoiceData("False", D(0))])
    multi = QuestionData("multiple", "M", [ChoiceData("a", D("0.5")), ChoiceData("b", D("0.5"))])
    two_right = QuestionData("single", "Q", [ChoiceData("a", D(1)), ChoiceData("b", D(1))])
    bad_stem = QuestionData("single", "A) looks like an option", [ChoiceData("a", D(1)), ChoiceData("b", D(0))])
    text, skipped = dump_aiken([single, multi, tf, two_right, bad_stem])
    assert text == "Q?\nA) a b\nB) c\nANSWER: B\n\nSky blue?\nA) True\nB) False\nANSWER: A\n"
    assert skipped == [multi, two_right, bad_stem]
    assert [aiken_problem(q).code for q in skipped] == [
        "aiken_multiple_answers",
        "aiken_not_one_correct",
        "aiken_unreadable_stem",
    ]
    assert aiken_problem(single) is None and aiken_problem(tf) is None


def test_dump_skips_typed_questions_naming_them():
    """Numeric and short-answer questions are skipped, each with a Problem that names it."""
    numeric = QuestionData("numeric", "How many?", [ChoiceData("1539", D(1))], title="linear-params")
    short = QuestionData("short", "Which shape?", [ChoiceData("1000 x 512", D(1))])
    text, skipped = dump_aiken([numeric, short])
    assert (text, skipped) == ("", [numeric, short])
    problems = [aiken_problem(q) for q in skipped]
    assert [p.code for p in problems] == ["aiken_typed_kind", "aiken_typed_kind"]
    assert "'linear-params'" in problems[0].message and "numeric" in problems[0].message
    assert "'Which shape?'" in problems[1].message


def test_roundtrip_and_multiline_stem():
    questions = [
        QuestionData("single", "Line one\nline two", [ChoiceData("x", D(0)), ChoiceData("y", D(1))]),
        QuestionData("single", "Stem\nB) tricky line", [ChoiceData("x", D(1)), ChoiceData("y", D(0))]),
    ]
    text, skipped = dump_aiken(questions)
    assert skipped == []
    parsed = parse_aiken(text).questions
    assert parsed[0].stem == "Line one\nline two"
    assert parsed[1].stem == "Stem B) tricky line"
    assert [[c.fraction for c in q.choices] for q in parsed] == [[0, 1], [1, 0]]


def test_aiken_questions_export_to_gift():
    from quizzes.interchange import dump_gift

    questions = parse_aiken(SAMPLE).questions
    again = parse_gift(dump_gift(questions)).questions
    assert [(q.stem, q.choices) for q in again] == [(q.stem, q.choices) for q in questions]


def test_one_character_lines_are_skipped_like_moodle():
    result = parse_aiken("Q\nA) a\nB) b\nANSWER: A\n")
    assert result.questions == []
    assert result.errors[0].code == "option_without_question"


def test_what_a_written_question_loses_is_named():
    """Indented code or blank lines in a stem, and line breaks in a choice, are named with their codes;
    a plain question loses nothing, and a skipped one is the business of aiken_problem."""
    from quizzes.interchange import aiken_losses

    choices = [ChoiceData("yes", Decimal(1)), ChoiceData("no", Decimal(0))]
    code = QuestionData(kind="single", title="code", stem="What does this print?\n\n    print(1)", choices=choices)
    assert [p.code for p in aiken_losses(code)] == ["aiken_stem_layout_lost"]
    assert "'code': the indentation and blank lines of its text are lost" in aiken_losses(code)[0].message
    broken = QuestionData(kind="single", title="broken", stem="Which?", choices=[ChoiceData("one\ntwo", Decimal(1)), choices[1]])
    assert [p.code for p in aiken_losses(broken)] == ["aiken_choice_lines_joined"]
    assert aiken_losses(QuestionData(kind="single", stem="Which?", choices=choices)) == []
    assert aiken_losses(QuestionData(kind="multiple", stem="Which?\n\n  x", choices=choices)) == []

"""GIFT read as Moodle reads it and written back unchanged; decoding an upload and guessing its format."""

from dataclasses import replace
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from quizzes.interchange import ChoiceData, QuestionData, decode_upload, dump_gift, guess_format, parse_gift

D = Decimal


def one(text):
    result = parse_gift(text)
    assert result.errors == [] and result.unsupported == []
    (question,) = result.questions
    return question


def error(text):
    result = parse_gift(text)
    assert result.questions == []
    (problem,) = result.errors
    return problem


# --- import ------------------------------------------------------------------------------------


def test_weights_negative_and_decimal():
    q = one("Pick. {~%33.33333%a ~%33.33333%b ~%33.33334%c ~%-100%d}")
    assert q.kind == "multiple"
    assert [c.fraction for c in q.choices] == [D("0.3333333"), D("0.3333333"), D("0.3333334"), D(-1)]


def test_general_feedback_and_format_prefixes():
    q = one("::T::[html]<b>Q</b>{=[markdown]**a**#[plain]good ~b####[markdown]General *fb*}")
    assert q.title == "T"
    assert q.stem == "<b>Q</b>"
    assert q.choices[0] == ChoiceData("**a**", D(1), "good")
    assert q.general_feedback == "General *fb*"


def test_escapes_and_newline_escape():
    q = one(r"a\: b \{x\} c\\d\nnext{=1 \= 1 ~2 \~ 3 \# 4}")
    assert q.stem == "a: b {x} c\\d\nnext"
    assert [c.text for c in q.choices] == ["1 = 1", "2 ~ 3 # 4"]


def test_truefalse_case_insensitive_with_feedback():
    q = one("Sky is blue{true#Think again#Right!####Because of Rayleigh.}")
    assert q.kind == "truefalse"
    assert q.choices == [ChoiceData("True", D(1), "Right!"), ChoiceData("False", D(0), "Think again")]
    assert q.general_feedback == "Because of Rayleigh."
    q = one("Sky is green{f}")
    assert [(c.text, c.fraction) for c in q.choices] == [("True", D(0)), ("False", D(1))]


def test_multiline_question_comments_and_line_numbers():
    text = "// heading\n\n// about q1\n::Q1::First\nline {\n  =yes\n  // not an answer\n  ~no\n}\n\n\nSecond{T}\n"
    result = parse_gift(text)
    assert [q.line for q in result.questions] == [4, 12]
    assert result.questions[0].stem == "First\nline"
    assert [c.text for c in result.questions[0].choices] == ["yes", "no"]


def test_category_and_difficulty():
    text = "$CATEGORY: algebra/hard\n\nQ1{T}\n\n$CATEGORY: $course$/top/Default\n\nQ2{F}\n\n$CATEGORY: /easy\nQ3{T}"
    q1, q2, q3 = parse_gift(text).questions
    assert (q1.category, q1.difficulty) == ("algebra", "hard")
    assert (q2.category, q2.difficulty) == ("$course$/top/Default", "")
    assert (q3.category, q3.difficulty, q3.line) == ("", "easy", 10)


def test_missing_word_multiple_answers():
    q = one("Pick {~%50%a ~%50%b ~c} now.")
    assert q.kind == "multiple" and q.stem == "Pick _____ now."


def test_unsupported_types_reported_rest_imports():
    """Matching, essay and description questions are reported with their line; the rest imports."""
    text = "Match {=a -> b =c -> d}\n\nNum {#3:1}\n\nShort {=x =y}\n\nEssay {}\n\nJust text\n\nGood {=y ~n}"
    result = parse_gift(text)
    assert [(p.line, p.code) for p in result.unsupported] == [(1, "matching"), (7, "essay"), (9, "description")]
    assert [(q.line, q.kind) for q in result.questions] == [(3, "numeric"), (5, "short"), (11, "single")]
    assert result.errors == []


@pytest.mark.parametrize(
    "text, code",
    [
        ("Q {=a ~b", "unterminated_brace"),
        ("Q =a ~b}", "unmatched_brace"),
        ("Q } {=a ~b", "unmatched_brace"),
        ("Q {=a ~b} and {x}", "extra_brace"),
        ("Q {oops =a ~b}", "answer_without_marker"),
        ("Q {~%150%a =b}", "bad_weight"),
        ("Q {~%-101%a =b}", "bad_weight"),
        ("Q {~%1.2.3%a =b}", "bad_weight"),
        ("Q {~a ~b}", "no_correct_answer"),
        ("Q {~%50%a ~%20%b ~c}", "fractions_sum"),
        ("Q {~ =b}", "empty_answer"),
        ("Q {~only}", "too_few_answers"),
    ],
)
def test_errors(text, code):
    problem = error("// c\n\n" + text)
    assert (problem.code, problem.line) == (code, 3)


def test_error_keeps_nothing_of_that_question_but_rest_imports():
    result = parse_gift("Good {=a ~b}\n\nBad {=a ~b\n\nAlso good {T}")
    assert [q.line for q in result.questions] == [1, 5]
    assert [(p.line, p.code) for p in result.errors] == [(3, "unterminated_brace")]


def test_multiple_sum_within_tolerance():
    assert one("Q {~%33.3%a ~%33.3%b ~%33.3%c ~d}").kind == "multiple"


def test_metadata_comments_read_by_hand():
    q = one("// @step Expand :: (a+b)^2\n// @hint Think\n// @mistake Drop 2ab\n// @quickcheck (x+1)^2?\nQ{=a ~b}")
    assert q.steps == [("Expand", "(a+b)^2")]
    assert (q.hints, q.mistakes, q.quick_check) == (["Think"], ["Drop 2ab"], "(x+1)^2?")


def test_not_text_input():
    with pytest.raises(ValidationError) as info:
        parse_gift(b"Q{T}")
    assert info.value.code == "not_text"


# --- decode / guess ----------------------------------------------------------------------------


def test_decode_upload():
    assert decode_upload("\ufeffQ{T}".encode()) == "Q{T}"
    assert decode_upload("é{T}".encode()) == "é{T}"
    for data in (b"\x89PNG\r\n\x1a\n\x00\x00", b"\xff\xfe\x00Q", b"abc\xc3("):
        with pytest.raises(ValidationError) as info:
            decode_upload(data)
        assert info.value.code == "not_text"


def test_guess_format():
    assert guess_format("Q?\nA) x\nB) y\nANSWER: A\n") == "aiken"
    assert guess_format("Q?{=x ~y}") == "gift"
    assert guess_format("") == "gift"


# --- export ------------------------------------------------------------------------------------


def full_question(**changes):
    question = QuestionData(
        kind="single",
        stem="What is **2+2**? Use {braces}, a: colon, # hash, ~ tilde, = equals, \\ backslash\nand a line",
        choices=[
            ChoiceData("4", D(1), "Yes #1"),
            ChoiceData("%5% of 80", D(0), ""),
            ChoiceData("[html] 3", D("0.5"), "close"),
            ChoiceData("22", D("-0.3333333"), "no\nway"),
        ],
        title="Sums: basic",
        general_feedback="2+2=4",
        difficulty="easy",
        category="arithmetic",
        steps=[("Count", "1, 2, 3, 4\n\nDone :: really"), ("", "")],
        hints=["Use fingers", "line\nbreak"],
        mistakes=["Writing 22"],
        quick_check="3+3?",
    )
    return replace(question, **changes)


def roundtrip(questions):
    result = parse_gift(dump_gift(questions))
    assert result.errors == [] and result.unsupported == []
    return [replace(q, line=0) for q in result.questions]


def test_roundtrip_full():
    questions = [
        full_question(),
        full_question(
            kind="multiple",
            title="",
            stem="Fill _____ in, please",
            choices=[ChoiceData("a", D("0.5")), ChoiceData("b", D("0.5")), ChoiceData("c", D(-1))],
            difficulty="hard",
        ),
        full_question(
            kind="truefalse",
            stem="Ends with blank _____",
            choices=[ChoiceData("True", D(0), "wrong"), ChoiceData("False", D(1), "")],
            category="",
            difficulty="",
        ),
        full_question(
            kind="truefalse",
            choices=[ChoiceData("True", D(1), ""), ChoiceData("False", D(0), "")],
            general_feedback="",
            steps=[],
            hints=[],
            mistakes=[],
            quick_check="",
        ),
        full_question(choices=[ChoiceData("a", D(1)), ChoiceData("b", D(1))]),
    ]
    assert roundtrip(questions) == questions


def test_dump_format_readable_by_moodle():
    text = dump_gift([full_question(steps=[], hints=[], mistakes=[], quick_check="")])
    assert text.startswith("$CATEGORY: arithmetic/easy\n\n::Sums\\: basic::[markdown]What is **2+2**?")
    assert "\t=4#Yes \\#1\n" in text
    assert "\t~%50%[markdown][html] 3#close\n" in text
    assert "\t~%-33.33333%22#no\\nway\n" in text
    assert "\t####2+2\\=4\n}" in text


def test_dump_truefalse_like_moodle():
    q = QuestionData(kind="truefalse", stem="S", choices=[ChoiceData("True", D(0), "bad"), ChoiceData("False", D(1), "good")])
    assert dump_gift([q]) == "[markdown]S{FALSE#bad#good}\n"

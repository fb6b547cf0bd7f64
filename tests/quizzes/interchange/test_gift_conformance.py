"""Moodle's own GIFT examples (question/format/gift/examples.txt) import question by question."""
from decimal import Decimal

import pytest

from quizzes.interchange import parse_gift

from tests.conftest import MOODLE_GIFT_EXAMPLES as EXAMPLES

D = Decimal
GRANT = [("Grant", 0, ""), ("Jefferson", 0, ""), ("no one", 1, "")]
BURIED = [("buried", 0, ""), ("entombed", 1, ""), ("living", 0, "")]
TF_FALSE = [("True", 0, ""), ("False", 1, "")]
THANKSGIVING = [("second", 0, ""), ("third", 0, ""), ("fourth", 1, "")]

# line -> (kind, title, stem, [(text, fraction, feedback)])
SUPPORTED = {
    8: ("single", "", "Who's buried in Grant's tomb?", GRANT),
    10: ("single", "", "Grant is _____ in Grant's tomb.", BURIED),
    12: ("truefalse", "", "Grant is buried in Grant's tomb.", TF_FALSE),
    25: ("single", "", "Who's buried in Grant's tomb?", GRANT),
    27: ("single", "", "Grant is _____ in Grant's tomb.", BURIED),
    29: (
        "single",
        "",
        "The American holiday of Thanksgiving is celebrated on the _____ Thursday of November.",
        THANKSGIVING,
    ),
    35: (
        "single",
        "",
        "Japanese characters originally came from what country?",
        [("India", 0, ""), ("China", 1, ""), ("Korea", 0, ""), ("Egypt", 0, "")],
    ),
    49: ("truefalse", "", "Grant is buried in Grant's tomb.", TF_FALSE),
    51: ("truefalse", "", "The sun rises in the east.", [("True", 1, ""), ("False", 0, "")]),
    93: (
        "single",
        "Thanksgiving Date",
        "The American holiday of Thanksgiving is\ncelebrated on the _____ Thursday of November.",
        THANKSGIVING,
    ),
    98: (
        "single",
        "",
        "What's the answer to this multiple-choice question?",
        [
            ("wrong answer", 0, "feedback comment on the wrong answer"),
            ("another wrong answer", 0, "feedback comment on this wrong answer"),
            ("right answer", 1, "Very good!"),
        ],
    ),
    # {FALSE#...}: the first '#' text is the feedback for the wrong answer, i.e. for choosing True.
    113: (
        "truefalse",
        "",
        "Grant is buried in Grant's tomb.",
        [("True", 0, "No one is buried in Grant's tomb."), ("False", 1, "")],
    ),
    115: (
        "single",
        "",
        "Difficult question.",
        [("wrong answer", 0, ""), ("half credit answer", D("0.5"), ""), ("full credit answer", 1, "")],
    ),
    117: (
        "single",
        "Jesus' hometown",
        "Jesus Christ was from _____.",
        [
            ("Jerusalem", 0, "This was an important city, but the wrong answer."),
            ("Bethlehem", D("0.25"), "He was born here, but not raised here."),
            ("Galilee", D("0.5"), "You need to be more specific."),
            ("Nazareth", 1, "Yes! That's right!"),
        ],
    ),
    130: (
        "multiple",
        "",
        "What two people are entombed in Grant's tomb?",
        [("No one", 0, ""), ("Grant", D("0.5"), ""), ("Grant's wife", D("0.5"), ""), ("Grant's father", 0, "")],
    ),
    136: (
        "multiple",
        "",
        "What two people are entombed in Grant's tomb?",
        [
            ("No one", D("-0.5"), ""),
            ("Grant", D("0.5"), ""),
            ("Grant's wife", D("0.5"), ""),
            ("Grant's father", D("-0.5"), ""),
        ],
    ),
    143: ("single", "", "Which answer equals 5?", [("= 2 + 2", 0, ""), ("= 2 + 3", 1, ""), ("= 2 + 4", 0, "")]),
    148: (
        "single",
        "GIFT Control Characters",
        "Which of the following is NOT a control character for the GIFT import format?",
        [
            ("~", 0, "~ is a control character."),
            ("=", 0, "= is a control character."),
            ("#", 0, "# is a control character."),
            ("{", 0, "{ is a control character."),
            ("}", 0, "} is a control character."),
            (
                "\\",
                1,
                "Correct! \\ (backslash) is not a control character. BUT,\n"
                "it is used to escape the control characters. So, to specify\n"
                "a literal backslash, you must escape it with a backslash\n"
                "(as shown in this example).",
            ),
        ],
    ),
    167: ("single", "", "Who's buried in Grant's tomb?", GRANT),
    169: ("single", "", "Grant is _____ in Grant's tomb.", BURIED),
    171: ("truefalse", "", "Grant is buried in Grant's tomb.", TF_FALSE),
    184: (
        "single",
        "Grant's Tomb",
        "Grant is _____ in Grant's tomb.",
        [("buried", 0, "No one is buried there."), ("entombed", 1, "Right answer!"), ("living", 0, "We hope not!")],
    ),
    190: (
        "single",
        "",
        "Difficult multiple choice question.",
        [
            ("wrong answer", 0, "comment on wrong answer"),
            ("half credit answer", D("0.5"), "comment on answer"),
            ("full credit answer", 1, "well done!"),
        ],
    ),
}

UNSUPPORTED = {
    14: "shortanswer",
    16: "numerical",
    43: "shortanswer",
    45: "shortanswer",
    55: "matching",
    61: "matching",
    70: "numerical",
    72: "numerical",
    74: "numerical",
    76: "numerical",
    85: "numerical",
    90: "shortanswer",
    103: "shortanswer",
    108: "shortanswer",
    123: "shortanswer",
    173: "shortanswer",
    175: "numerical",
    177: "matching",
    195: "shortanswer",
    202: "numerical",
}


@pytest.fixture(scope="module")
def result():
    return parse_gift(EXAMPLES.read_text(encoding="utf-8"))


def test_no_errors(result):
    assert result.errors == []


def test_every_question_accounted_for(result):
    assert [q.line for q in result.questions] == sorted(SUPPORTED)
    assert {p.line: p.code for p in result.unsupported} == UNSUPPORTED
    assert [p.line for p in result.unsupported] == sorted(UNSUPPORTED)


@pytest.mark.parametrize("line", sorted(SUPPORTED))
def test_supported_question(result, line):
    kind, title, stem, choices = SUPPORTED[line]
    (question,) = [q for q in result.questions if q.line == line]
    assert question.kind == kind
    assert question.title == title
    assert question.stem == stem
    assert [(c.text, c.fraction, c.feedback) for c in question.choices] == [
        (text, Decimal(fraction), feedback) for text, fraction, feedback in choices
    ]
    assert question.general_feedback == ""
    assert question.category == "" and question.difficulty == ""


@pytest.mark.parametrize("line", sorted(UNSUPPORTED))
def test_unsupported_question(result, line):
    (problem,) = [p for p in result.unsupported if p.line == line]
    assert problem.code == UNSUPPORTED[line]
    assert problem.message

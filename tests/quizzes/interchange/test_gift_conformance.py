"""Moodle's own GIFT examples (question/format/gift/examples.txt) import question by question: kind, answers,
credits, feedback and, for numerical questions, tolerances."""

from decimal import Decimal

import pytest

from quizzes.interchange import parse_gift

from tests.conftest import MOODLE_GIFT_EXAMPLES as EXAMPLES

D = Decimal
GRANT = [("Grant", 0, ""), ("Jefferson", 0, ""), ("no one", 1, "")]
BURIED = [("buried", 0, ""), ("entombed", 1, ""), ("living", 0, "")]
TF_FALSE = [("True", 0, ""), ("False", 1, "")]
THANKSGIVING = [("second", 0, ""), ("third", 0, ""), ("fourth", 1, "")]
NO_ONE = [("no one", 1, ""), ("nobody", 1, "")]
NO_ONE_FEEDBACK = [("no one", 1, "excellent answer!"), ("nobody", 1, "excellent answer!")]
NAZARETH = [
    ("Nazareth", 1, "Yes! That's right!"),
    ("Nazereth", D("0.75"), "Right, but misspelled."),
    ("Bethlehem", D("0.25"), "He was born here, but not raised here."),
]
GRANT_BORN = "When was Ulysses S. Grant born?"
PI = "What is the value of pi (to 3 decimal places)? _____."

# line -> (kind, title, stem, [(text, fraction, feedback[, tolerance])])
SUPPORTED = {
    8: ("single", "", "Who's buried in Grant's tomb?", GRANT),
    10: ("single", "", "Grant is _____ in Grant's tomb.", BURIED),
    12: ("truefalse", "", "Grant is buried in Grant's tomb.", TF_FALSE),
    14: ("short", "", "Who's buried in Grant's tomb?", NO_ONE),
    16: ("numeric", "", GRANT_BORN, [("1822", 1, "", 1)]),
    25: ("single", "", "Who's buried in Grant's tomb?", GRANT),
    27: ("single", "", "Grant is _____ in Grant's tomb.", BURIED),
    29: ("single", "", "The American holiday of Thanksgiving is celebrated on the _____ Thursday of November.", THANKSGIVING),
    35: (
        "single",
        "",
        "Japanese characters originally came from what country?",
        [("India", 0, ""), ("China", 1, ""), ("Korea", 0, ""), ("Egypt", 0, "")],
    ),
    43: ("short", "", "Who's buried in Grant's tomb?", NO_ONE),
    45: ("short", "", "Two plus two equals _____.", [("four", 1, ""), ("4", 1, "")]),
    49: ("truefalse", "", "Grant is buried in Grant's tomb.", TF_FALSE),
    51: ("truefalse", "", "The sun rises in the east.", [("True", 1, ""), ("False", 0, "")]),
    70: ("numeric", "", GRANT_BORN, [("1822", 1, "", 0)]),
    # {#3.1415:0.0005}. and {#3.141..3.142}. : the same answer; the block is not last, so a blank.
    72: ("numeric", "", PI, [("3.1415", 1, "", D("0.0005"))]),
    74: ("numeric", "", PI, [("3.1415", 1, "", D("0.0005"))]),
    76: ("numeric", "", GRANT_BORN, [("1822", 1, "", 0), ("1822", D("0.5"), "", 2)]),
    85: ("numeric", "", "What's 2 plus 2?", [("4", 1, "", 0)]),
    90: ("short", "Kanji Origins", "Japanese characters originally\ncame from what country?", [("China", 1, "")]),
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
    103: ("short", "", "Who's buried in Grant's tomb?", NO_ONE_FEEDBACK),
    108: ("short", "", "Who's buried in **Grant's tomb**?", NO_ONE_FEEDBACK),
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
    123: ("short", "Jesus' hometown", "Jesus Christ was from", NAZARETH),
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
        [("No one", D("-0.5"), ""), ("Grant", D("0.5"), ""), ("Grant's wife", D("0.5"), ""), ("Grant's father", D("-0.5"), "")],
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
    173: ("short", "", "Who's buried in Grant's tomb?", NO_ONE),
    175: ("numeric", "", GRANT_BORN, [("1822", 1, "", 5)]),
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
    195: ("short", "Jesus' hometown (Short answer ex.)", "Jesus Christ was from _____.", NAZARETH),
    # The multi-line numerical form; the second answer's feedback runs over two lines.
    202: (
        "numeric",
        "Numerical example",
        GRANT_BORN,
        [
            ("1822", 1, "Correct! 100% credit", 0),
            ("1822", D("0.5"), "He was born in 1822.\nYou get 50% credit for being close.", 2),
        ],
    ),
}

UNSUPPORTED = {55: "matching", 61: "matching", 177: "matching"}


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
    expected = [(*choice, 0)[:4] for choice in choices]  # a choice's tolerance is 0 unless given
    assert [(c.text, c.fraction, c.feedback, c.tolerance) for c in question.choices] == [
        (text, Decimal(fraction), feedback, Decimal(tolerance)) for text, fraction, feedback, tolerance in expected
    ]
    assert question.general_feedback == ""
    assert question.category == "" and question.difficulty == ""


@pytest.mark.parametrize("line", sorted(UNSUPPORTED))
def test_unsupported_question(result, line):
    (problem,) = [p for p in result.unsupported if p.line == line]
    assert problem.code == UNSUPPORTED[line]
    assert problem.message

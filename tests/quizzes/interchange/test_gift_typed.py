"""GIFT numerical and short-answer questions read and written as Moodle's GIFT format does.

The first tests port Moodle's own unit tests (question/format/gift/tests/giftformat_test.php:
test_import_numerical, test_export_numerical, test_import_shortanswer(_with_general_feedback),
test_export_shortanswer(_with_general_feedback)) with the values Moodle asserts. Differences, as
gift.py's docstring says: Moodle's answer ``*`` has tolerance '' (here 0); export starts with no
``// question: 666  name: ...`` line and writes ``[markdown]`` before the stem; every text here is
Markdown, so the general feedback carries no ``[html]``.
"""

from dataclasses import replace
from decimal import Decimal

import pytest

from quizzes.interchange import ChoiceData, QuestionData, dump_gift, gift_problem, parse_gift, validate_question

from tests.quizzes.interchange.test_gift import one

D = Decimal


def answers(question):
    return [(c.text, c.fraction, c.feedback, c.tolerance) for c in question.choices]


# --- Moodle's unit tests ---------------------------------------------------------------------------

MOODLE_NUMERICAL = "\n// math range question\n::Q5:: What is a number from 1 to 5? {#3:2~#Completely wrong}"
MOODLE_SHORT = """
// question: 666  name: Shortanswer
::Shortanswer::Which is the best animal?{
    =Frog#Good!
    =%50%Cat#What is it with Moodlers and cats?
    =%0%*#Completely wrong
}"""
MOODLE_SHORT_GENERAL = MOODLE_SHORT.replace("\n}", "\n    ####[html]Here is some general feedback!\n}")
ANIMALS = [
    ("Frog", D(1), "Good!", D(0)),
    ("Cat", D("0.5"), "What is it with Moodlers and cats?", D(0)),
    ("*", D(0), "Completely wrong", D(0)),
]


def numerical_q5():
    return QuestionData(
        kind="numeric",
        stem="What is a number from 1 to 5?",
        title="Q5",
        choices=[ChoiceData("3", D(1), "", D(2)), ChoiceData("*", D(0), "Completely wrong")],
    )


def shortanswer_animals(general=""):
    return QuestionData(
        kind="short",
        stem="Which is the best animal?",
        title="Shortanswer",
        general_feedback=general,
        choices=[ChoiceData(text, fraction, feedback) for text, fraction, feedback, _ in ANIMALS],
    )


def test_moodle_import_numerical():
    """{#3:2~#Completely wrong}: answer 3 within 2, and '*' (any other answer) with its feedback."""
    q = one(MOODLE_NUMERICAL)
    assert (q.kind, q.title, q.stem, q.general_feedback) == ("numeric", "Q5", "What is a number from 1 to 5?", "")
    assert answers(q) == [("3", D(1), "", D(2)), ("*", D(0), "Completely wrong", D(0))]


def test_moodle_export_numerical():
    """A numerical question is written {# =%100%3:2# ~#Completely wrong }, as Moodle writes it."""
    assert dump_gift([numerical_q5()]) == (
        "::Q5::[markdown]What is a number from 1 to 5?{#\n\t=%100%3:2#\n\t~#Completely wrong\n}\n"
    )


@pytest.mark.parametrize("text, general", [(MOODLE_SHORT, ""), (MOODLE_SHORT_GENERAL, "Here is some general feedback!")])
def test_moodle_import_shortanswer(text, general):
    """Frog (full credit), Cat (50%), '*' (0%) with their feedback; the general feedback after ####."""
    q = one(text)
    assert (q.kind, q.title, q.stem) == ("short", "Shortanswer", "Which is the best animal?")
    assert answers(q) == ANIMALS
    assert q.general_feedback == general


def test_moodle_export_shortanswer():
    """Every answer is written =%N%text#feedback, the general feedback as a last ####line."""
    body = "\t=%100%Frog#Good!\n\t=%50%Cat#What is it with Moodlers and cats?\n\t=%0%*#Completely wrong\n"
    head = "::Shortanswer::[markdown]Which is the best animal?{\n"
    assert dump_gift([shortanswer_animals()]) == head + body + "}\n"
    general = shortanswer_animals("Here is some general feedback!")
    assert dump_gift([general]) == head + body + "\t####Here is some general feedback!\n}\n"


# --- numerical --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "block, expected",
    [
        ("{#1822}", [("1822", D(1), "", D(0))]),
        ("{#1822:1}", [("1822", D(1), "", D(1))]),
        ("{#3.141..3.142}", [("3.1415", D(1), "", D("0.0005"))]),
        ("{#-5..-3#in range}", [("-4", D(1), "in range", D(1))]),
        ("{#1.5e3:1E1}", [("1500", D(1), "", D(10))]),
        ("{#+0.50:0.010}", [("0.5", D(1), "", D("0.01"))]),
        ("{#0}", [("0", D(1), "", D(0))]),
        ("{# =1822:0 =%50%1822:2}", [("1822", D(1), "", D(0)), ("1822", D("0.5"), "", D(2))]),
        ("{#1822 =%0%1823#Close, but no}", [("1822", D(1), "", D(0)), ("1823", D(0), "Close, but no", D(0))]),
        (
            "{# =1822:0#Right =%50%1822:2#Close ~#Way off}",
            [("1822", D(1), "Right", D(0)), ("1822", D("0.5"), "Close", D(2)), ("*", D(0), "Way off", D(0))],
        ),
        ("{#4 ~}", [("4", D(1), "", D(0)), ("*", D(0), "", D(0))]),
        ("{#4 ~ignored#Try \\= again}", [("4", D(1), "", D(0)), ("*", D(0), "Try = again", D(0))]),
    ],
)
def test_numerical_forms(block, expected):
    """Value, value:tolerance, min..max (midpoint and half-width), several answers with credit, ~ feedback."""
    assert answers(one("How many? " + block)) == expected


def test_numerical_multiline_with_general_feedback():
    """The multi-line form {# ... } keeps each answer's feedback, over several lines too."""
    q = one("Born?{#\n  =1822:0 #Right!\n  =%50%1822:2 #Close,\n    but not exact.\n  ####Grant was born in 1822.\n}")
    assert answers(q) == [("1822", D(1), "Right!", D(0)), ("1822", D("0.5"), "Close,\nbut not exact.", D(2))]
    assert q.general_feedback == "Grant was born in 1822."


@pytest.mark.parametrize(
    "block, code",
    [
        ("{#abc}", "not_a_number"),
        ("{#1,5}", "not_a_number"),
        ("{#1822:x}", "not_a_number"),
        ("{#1..two}", "not_a_number"),
        ("{#1e999}", "not_a_number"),
        ("{#3..1}", "bad_tolerance"),
        ("{#1822:-1}", "bad_tolerance"),
        ("{#}", "empty_answer"),
        ("{# =#feedback only}", "empty_answer"),
        ("{#=%150%1822}", "bad_weight"),
        ("{#=%50%1822 =%-50%1800}", "bad_credit"),
        ("{#=%50%1822}", "no_correct_answer"),
    ],
)
def test_numerical_errors(block, code):
    """A numerical question Moodle would mangle or that cannot be graded is refused with its line and code."""
    result = parse_gift("Good {#1}\n\nBad " + block)
    assert [(p.line, p.code) for p in result.errors] == [(3, code)]
    assert [q.line for q in result.questions] == [1]


# --- short answer -----------------------------------------------------------------------------------


def test_short_answer_forms():
    """Several accepted answers, partial credit, feedback, a missing-word blank and an answer with no '='."""
    q = one("::Jesus' hometown::Jesus Christ was from {\n=Nazareth#Yes!\n=%75%Nazereth#Misspelled.\n}.")
    assert (q.stem, answers(q)) == (
        "Jesus Christ was from _____.",
        [("Nazareth", D(1), "Yes!", D(0)), ("Nazereth", D("0.75"), "Misspelled.", D(0))],
    )
    assert answers(one("Capital of France? {Paris}")) == [("Paris", D(1), "", D(0))]
    assert [c.text for c in one("Escapes {=a \\= b =c \\~ d \\# e}").choices] == ["a = b", "c ~ d # e"]


@pytest.mark.parametrize(
    "block, code",
    [
        ("{=a =}", "empty_answer"),
        ("{=%-50%a =b}", "bad_credit"),
        ("{=%50%a =%50%b}", "no_correct_answer"),
        ("{=%1.2.3%a}", "bad_weight"),
    ],
)
def test_short_answer_errors(block, code):
    """A short-answer question with an empty answer, a bad or out-of-range credit or no full credit is refused."""
    assert [(p.line, p.code) for p in parse_gift("Q " + block).errors] == [(1, code)]


# --- writing and reading back -----------------------------------------------------------------------


def typed_questions():
    return [
        QuestionData(
            kind="numeric",
            stem="How many parameters does `nn.Linear(512, 3)` have?",
            title="linear-params",
            choices=[
                ChoiceData("1539", D(1), "512 x 3 weights + 3 biases."),
                ChoiceData("1536", D(0), "You forgot the 3 biases: #, = and : survive."),
                ChoiceData("1539", D("0.5"), "Close enough.", D("10.5")),
                ChoiceData("*", D(0), "Count weights and biases."),
            ],
            general_feedback="in_features * out_features + out_features",
            difficulty="easy",
            category="lesson",
            steps=[("Weights", "512 * 3 = 1536")],
            hints=["Don't forget the bias."],
        ),
        QuestionData(
            kind="short",
            stem="Which shape leaves stage 3 (channels-last)? It is {N} x _____ here.",
            choices=[
                ChoiceData("1000 x 7 x 7 x 512", D(1), "Yes."),
                ChoiceData("[html]%50% sure", D("0.5"), "Odd, but \\ kept."),
                ChoiceData("1000 x 512", D(0), "That is after pooling.\nNot stage 3."),
            ],
            difficulty="hard",
            category="lesson",
        ),
        QuestionData(kind="numeric", stem="Pi to 3 places", choices=[ChoiceData("-3.1415", D(1), "", D("0.0005"))]),
    ]


def test_typed_questions_round_trip():
    """Numeric and short questions, with every field GIFT carries, read back unchanged."""
    questions = typed_questions()
    result = parse_gift(dump_gift(questions))
    assert result.errors == [] and result.unsupported == []
    assert [replace(q, line=0) for q in result.questions] == questions


def test_short_answer_with_arrow_cannot_be_written():
    """'->' in a short answer would read back as matching: gift_problem names the question and says why."""
    question = QuestionData(kind="short", stem="Arrow?", title="arrow", choices=[ChoiceData("a -> b", D(1))])
    problem = gift_problem(question)
    assert problem.code == "arrow_in_short_answer" and "'arrow'" in problem.message
    assert gift_problem(typed_questions()[1]) is None
    assert [p.code for p in parse_gift(dump_gift([question])).unsupported] == ["matching"]


@pytest.mark.parametrize(
    "kind, choices, code",
    [
        ("numeric", [ChoiceData("*", D(0)), ChoiceData("1", D(1))], "bad_any_answer"),
        ("numeric", [ChoiceData("1", D(1)), ChoiceData("*", D("0.5"))], "bad_any_answer"),
        ("numeric", [ChoiceData("1", D(1), tolerance=D(-1))], "bad_tolerance"),
        ("numeric", [ChoiceData("one", D(1))], "not_a_number"),
        ("short", [ChoiceData("a", D(1), tolerance=D(1))], "bad_tolerance"),
        ("short", [ChoiceData(" ", D(1))], "empty_answer"),
        ("short", [], "empty_answer"),
        ("single", [ChoiceData("a", D(1), tolerance=D(1)), ChoiceData("b", D(0))], "bad_tolerance"),
    ],
)
def test_validate_question_typed_rules(kind, choices, code):
    """Questions built in code obey the same rules as imported ones, with the same codes."""
    (problem,) = validate_question(QuestionData(kind=kind, stem="S", choices=choices, line=7))
    assert (problem.code, problem.line) == (code, 7)

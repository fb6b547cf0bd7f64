"""Property tests: the parsers never crash, and GIFT export reads back unchanged."""

from dataclasses import replace
from decimal import Decimal

from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quizzes.interchange import (
    ANY_ANSWER,
    NOT_TEXT,
    ChoiceData,
    ImportResult,
    QuestionData,
    dump_gift,
    gift_problem,
    parse_aiken,
    parse_gift,
    validate_question,
)
from quizzes.interchange.types import number_text
from quizzes.vocabulary import KINDS

GIFT_ALPHABET = st.sampled_from(
    list("{}~=#%:\\/[]$-> \t\n\rabTF0123456789.ANSWER)") + ["////", "::", "####", "\ufeff", "\x00", "é"]
)
gifty = st.lists(GIFT_ALPHABET, max_size=80).map("".join)
anything = st.one_of(st.text(max_size=200), gifty)


def _never_crashes(parse, text):
    try:
        result = parse(text)
    except ValidationError as exc:
        assert exc.code == NOT_TEXT
        return
    assert isinstance(result, ImportResult)
    for problem in result.errors + result.unsupported:
        assert isinstance(problem.line, int) and problem.line >= 1 and problem.code
    for question in result.questions:
        assert question.kind in KINDS
        assert all(-1 <= c.fraction <= 1 and c.tolerance >= 0 for c in question.choices)
        assert validate_question(question) == []


@settings(max_examples=400, deadline=None)
@given(anything)
def test_parse_gift_never_crashes(text):
    _never_crashes(parse_gift, text)


@settings(max_examples=300, deadline=None)
@given(anything)
def test_parse_aiken_never_crashes(text):
    _never_crashes(parse_aiken, text)


# Texts are what the parser normalises to: no surrounding whitespace, no CR, printable characters.
text_chars = st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs"), exclude_characters="\r\x0b\x85\u2028\u2029")
texts = st.text(text_chars, max_size=30).map(str.strip)
multiline = st.lists(texts, min_size=1, max_size=3).map("\n".join).map(str.strip)
nonempty = texts.filter(bool)
percents = st.integers(-100, 100).map(lambda n: Decimal(n) / 100)


credits = st.integers(0, 100).map(lambda n: Decimal(n) / 100)
numbers = st.decimals(min_value=-(10**6), max_value=10**6, places=4).map(number_text)
tolerances = st.decimals(min_value=0, max_value=1000, places=4).map(Decimal.normalize)


def typed_choices(draw, kind):
    """A typed question's answers: the first gives full credit; numeric may end with ANY_ANSWER."""
    n = draw(st.integers(1, 4))
    fractions = [Decimal(1)] + [draw(credits) for _ in range(n - 1)]
    if kind == "short":
        return [ChoiceData(draw(nonempty), f, draw(multiline)) for f in fractions]
    choices = [ChoiceData(draw(numbers), f, draw(multiline), draw(tolerances)) for f in fractions]
    if draw(st.booleans()):
        choices.append(ChoiceData(ANY_ANSWER, Decimal(0), draw(multiline)))
    return choices


@st.composite
def questions(draw):
    kind = draw(st.sampled_from(KINDS))
    if kind in ("numeric", "short"):
        choices = typed_choices(draw, kind)
    elif kind == "truefalse":
        correct_true = draw(st.booleans())
        choices = [
            ChoiceData("True", Decimal(int(correct_true)), draw(multiline)),
            ChoiceData("False", Decimal(int(not correct_true)), draw(multiline)),
        ]
    else:
        n = draw(st.integers(2, 5))
        if kind == "single":
            fractions = [Decimal(1)] + [draw(percents) for _ in range(n - 1)]
        else:
            fractions = [Decimal("0.5"), Decimal("0.5")] + [draw(percents.filter(lambda f: f <= 0)) for _ in range(n - 2)]
        fractions = draw(st.permutations(fractions))
        choices = [ChoiceData(draw(nonempty), f, draw(multiline)) for f in fractions]
    return QuestionData(
        kind=kind,
        stem=draw(multiline),
        choices=choices,
        title=draw(texts),
        general_feedback=draw(multiline),
        difficulty=draw(st.sampled_from(["", "easy", "medium", "hard"])),
        category=draw(texts),
        steps=draw(st.lists(st.tuples(st.text(max_size=20), st.text(max_size=20)), max_size=2)),
        hints=draw(st.lists(st.text(max_size=20), max_size=2)),
        mistakes=draw(st.lists(st.text(max_size=20), max_size=2)),
        quick_check=draw(st.text(max_size=20)),
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(questions(), max_size=4))
def test_gift_roundtrip(items):
    """Whatever question gift_problem does not refuse reads back unchanged."""
    items = [q for q in items if gift_problem(q) is None]
    result = parse_gift(dump_gift(items))
    assert result.errors == [] and result.unsupported == []
    assert [replace(q, line=0) for q in result.questions] == items

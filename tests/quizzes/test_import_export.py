"""Question import/export: the service, the two commands, round trips and bad input."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from courses.models import Course, Lesson
from quizzes.authoring.importing import questions_import
from quizzes.interchange_services import GENERAL_FEEDBACK_TITLE, questions_export
from quizzes.models import Choice, Question, Role
from quizzes.vocabulary import TYPED_KINDS

from tests.conftest import MOODLE_GIFT_EXAMPLES as EXAMPLES

MOODLE_SAVED = [
    8,
    10,
    12,
    14,
    16,
    25,
    27,
    29,
    35,
    43,
    45,
    49,
    51,
    70,
    72,
    74,
    76,
    85,
    90,
    93,
    98,
    103,
    108,
    113,
    115,
    117,
    123,
    130,
    136,
    143,
    148,
    167,
    169,
    171,
    173,
    175,
    184,
    190,
    195,
    202,
]
MOODLE_NUMERIC = [16, 70, 72, 74, 76, 85, 175, 202]
MOODLE_SHORT = [14, 43, 45, 90, 103, 108, 123, 173, 195]
MOODLE_UNSUPPORTED = [(55, "matching"), (61, "matching"), (177, "matching")]

GIFT = """\
$CATEGORY: imported/hard
// @step {"title": "Recall", "body": "Frozen layers get no updates."}
// @hint "What does freezing mean?"
// @mistake "Thinking the backbone keeps learning"
// @quickcheck "Which weights change when the backbone is frozen?"
::frozen::Which weights change when the backbone is frozen? {
  =Only the new head's#Right, the head is all that trains.
  ~All of them#Frozen layers get no gradient step.
  ####Freezing stops the updates of the backbone.
}

$CATEGORY: imported/
::pick-two::Which are image backbones? {
  ~%50%ResNet-18
  ~%50%MobileNetV3
  ~%-100%BERT#A text model.
}

The sun rises in the east. {T}
"""

AIKEN = """\
Which layer does a frozen backbone train?
A) Every layer
B) Only the new classifier head
C) None at all
ANSWER: B

Caching features pays off when the backbone is frozen.
A) True
B) False
ANSWER: A
"""


@pytest.fixture
def lesson(db):
    course = Course.objects.create(title="Course", slug="course")
    return Lesson.objects.create(course=course, slug="fresh", title="Fresh lesson", published=True)


def _snapshot(question: Question, *, aiken: bool = False):
    """What a format must carry back, as comparable plain data."""
    choices = [
        (c.text, c.fraction if not aiken else c.fraction == 1, "" if aiken else c.feedback, c.tolerance)
        for c in question.choices.all()
    ]
    if aiken:  # Aiken trims every line and keeps no blank lines inside a stem
        return (question.kind, "\n".join(line.strip() for line in question.stem.splitlines() if line.strip()), choices)
    return (
        question.kind,
        question.stem,
        question.difficulty,
        question.quick_check,
        choices,
        [(s.title, s.body) for s in question.steps.all()],
        [h.text for h in question.hints.all()],
        [m.text for m in question.mistakes.all()],
    )


def _import(lesson, text, fmt=None):
    return questions_import(lesson=lesson, data=text.encode(), fmt=fmt)


# ---------------------------------------------------------------------------------------------
# The service


def test_gift_import_maps_every_field(lesson):
    """GIFT fields land on the question, its choices, steps, hints, mistakes and quick check."""
    report = _import(lesson, GIFT)
    assert report.format == "gift"
    assert [(s.line, s.key, s.kind) for s in report.saved] == [
        (6, "frozen", "single"),
        (13, "pick-two", "multiple"),
        (19, "the-sun-rises-in-the-east", "truefalse"),
    ]
    assert report.rejected == [] and report.unsupported == []
    q = Question.objects.get(lesson=lesson, key="frozen")
    assert q.role == Role.PRACTICE and q.difficulty == "hard" and q.kind == "single"
    assert q.stem == "Which weights change when the backbone is frozen?"
    assert [(c.text, c.fraction, c.feedback) for c in q.choices.all()] == [
        ("Only the new head's", Decimal(1), "Right, the head is all that trains."),
        ("All of them", Decimal(0), "Frozen layers get no gradient step."),
    ]
    assert [(s.title, s.body) for s in q.steps.all()] == [
        ("Recall", "Frozen layers get no updates."),
        (GENERAL_FEEDBACK_TITLE, "Freezing stops the updates of the backbone."),
    ]
    assert [h.text for h in q.hints.all()] == ["What does freezing mean?"]
    assert [m.text for m in q.mistakes.all()] == ["Thinking the backbone keeps learning"]
    assert q.quick_check == "Which weights change when the backbone is frozen?"
    two = Question.objects.get(lesson=lesson, key="pick-two")
    assert two.difficulty == "medium"  # no difficulty in the category path: the default
    assert [c.fraction for c in two.choices.all()] == [Decimal("0.5"), Decimal("0.5"), Decimal(-1)]
    assert [c.text for c in Question.objects.get(key="the-sun-rises-in-the-east").choices.all()] == ["True", "False"]


def test_import_appends_to_the_bank_with_unique_keys(lesson):
    """Importing twice keeps the first questions and gives the new ones fresh keys and positions."""
    _import(lesson, GIFT)
    report = _import(lesson, GIFT)
    assert [s.key for s in report.saved] == ["frozen-2", "pick-two-2", "the-sun-rises-in-the-east-2"]
    assert list(Question.objects.filter(lesson=lesson).values_list("position", flat=True)) == [1, 2, 3, 4, 5, 6]


def test_aiken_import_guessed(lesson):
    """Aiken is recognised without --format; a True/False item becomes a true/false question."""
    report = _import(lesson, AIKEN)
    assert report.format == "aiken"
    assert [(s.line, s.kind) for s in report.saved] == [(1, "single"), (7, "truefalse")]
    q = Question.objects.get(lesson=lesson, position=1)
    assert [(c.text, c.fraction) for c in q.choices.all()] == [
        ("Every layer", 0),
        ("Only the new classifier head", 1),
        ("None at all", 0),
    ]
    assert q.difficulty == "medium"


def test_moodle_examples(lesson):
    """Moodle's own examples: 40 questions saved (17 typed), the 3 matching ones reported with line and type."""
    report = questions_import(lesson=lesson, data=EXAMPLES.read_bytes(), fmt=None)
    assert [s.line for s in report.saved] == MOODLE_SAVED
    assert [s.line for s in report.saved if s.kind == "numeric"] == MOODLE_NUMERIC
    assert [s.line for s in report.saved if s.kind == "short"] == MOODLE_SHORT
    assert [(p.line, p.code) for p in report.unsupported] == MOODLE_UNSUPPORTED
    assert report.rejected == []
    assert report.lines()[0] == (
        "Format: gift. Saved 40 question(s) (17 typed: 8 numeric, 9 short answer); 3 unsupported; 0 rejected."
    )
    assert Question.objects.filter(lesson=lesson).count() == 40
    # Partial credit on a single-answer question is dropped (our rule: one correct choice), and said.
    noted = {s.line: s.notes for s in report.saved if s.notes}
    assert sorted(noted) == [115, 117, 190]
    assert "partial credit 50%" in noted[115][0]
    for q in Question.objects.filter(lesson=lesson, kind="single"):
        assert sum(1 for c in q.choices.all() if c.fraction > 0) == 1
    missing_word = Question.objects.get(key=report.saved[1].key)
    assert missing_word.stem == "Grant is _____ in Grant's tomb."


@pytest.mark.parametrize(
    "text, fmt, line, code",
    [
        ("Good? {=yes ~no}\n\nBroken {=yes ~no\n\nAlso good? {=a ~b}\n", "gift", 3, "unterminated_brace"),
        ("Good? {=yes ~no}\n\n\nNo marker {yes =no ~maybe}\n", "gift", 4, "answer_without_marker"),
        ("Good?\nA) yes\nB) no\nANSWER: A\n\nBad?\nA) yes\nB) no\nANSWER: D\n", "aiken", 6, "answer_letter_unknown"),
        ("Single with two right {=a =b ~c}\n\nGood? {=yes ~no}\n", "gift", 1, "single_needs_one_correct"),
        ("Letter {=a#Same as option B. ~b}\n\nGood? {=yes ~no}\n", "gift", 1, "letter_reference"),
    ],
)
def test_bad_question_is_rejected_with_its_line(lesson, text, fmt, line, code):
    """A broken question is reported with its line and code; nothing of it is saved, the rest is."""
    report = _import(lesson, text, fmt)
    assert [(p.line, p.code) for p in report.rejected] == [(line, code)]
    assert len(report.saved) == Question.objects.filter(lesson=lesson).count() >= 1
    assert all(s.line != line for s in report.saved)
    assert not report.ok


def test_binary_file_is_refused(lesson):
    """A file that is not text is refused as a whole, with the line of the offending byte."""
    with pytest.raises(ValidationError) as exc:
        questions_import(lesson=lesson, data=b"Q? {=a ~b}\n\n\x89PNG\x00\x01", fmt=None)
    assert exc.value.code == "not_text" and exc.value.params["line"] == 3
    assert not Question.objects.exists()


def test_unknown_format_is_refused(lesson):
    """Only gift and aiken are formats."""
    with pytest.raises(ValidationError) as exc:
        _import(lesson, GIFT, "xml")
    assert exc.value.code == "unknown_format"


def test_import_is_one_transaction(lesson, monkeypatch):
    """A failure while saving leaves nothing of the file behind."""
    from quizzes.authoring import importing

    calls = []
    real = importing._save

    def failing(**kw):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real(**kw)

    monkeypatch.setattr(importing, "_save", failing)
    with pytest.raises(RuntimeError):
        _import(lesson, GIFT)
    assert not Question.objects.exists() and not Choice.objects.exists()


# ---------------------------------------------------------------------------------------------
# Round trips


def _seed_or_build(seed_lesson):
    if not Question.objects.filter(lesson=seed_lesson).exists():  # pragma: no cover - seed without questions
        questions_import(lesson=seed_lesson, data=GIFT.encode(), fmt="gift")
    return seed_lesson


def test_gift_round_trip_of_the_seed_lesson(seed_lesson, lesson):
    """Export then import into a fresh lesson gives the same questions, everything GIFT carries."""
    source = _seed_or_build(seed_lesson)
    exported = questions_export(lesson=source, fmt="gift")
    assert exported.skipped == []
    report = questions_import(lesson=lesson, data=exported.text.encode(), fmt="gift")
    assert report.ok and report.unsupported == []
    originals = {q.key: _snapshot(q) for q in Question.objects.filter(lesson=source)}
    copies = {q.key: _snapshot(q) for q in Question.objects.filter(lesson=lesson)}
    assert copies == originals
    assert len(copies) >= 5


def test_aiken_round_trip_of_the_seed_lesson(seed_lesson, lesson):
    """Aiken carries stems, choices and the correct one; multiple-answer and typed questions are skipped."""
    source = _seed_or_build(seed_lesson)
    exported = questions_export(lesson=source, fmt="aiken")
    assert all(q.kind in ("multiple", *TYPED_KINDS) for q in exported.skipped)
    report = questions_import(lesson=lesson, data=exported.text.encode(), fmt="aiken")
    assert report.ok and len(report.saved) == len(exported.exported)
    originals = [_snapshot(q, aiken=True) for q in exported.exported]
    copies = [_snapshot(q, aiken=True) for q in Question.objects.filter(lesson=lesson).order_by("position")]
    assert copies == originals


def test_gift_round_trip_of_general_feedback(lesson):
    """General feedback, kept as the last worked step, is written back as GIFT's ####."""
    _import(lesson, GIFT)
    text = questions_export(lesson=lesson, fmt="gift").text
    assert "####Freezing stops the updates of the backbone." in text
    assert "$CATEGORY: fresh/hard" in text


# ---------------------------------------------------------------------------------------------
# Commands


def test_import_command_gift(lesson, tmp_path):
    """import_questions reads a file, prints the report and saves the questions."""
    path = tmp_path / "q.gift"
    path.write_text(GIFT)
    out = StringIO()
    call_command("import_questions", str(path), "--lesson", "fresh", stdout=out)
    assert "Saved 3 question(s)" in out.getvalue()
    assert Question.objects.filter(lesson=lesson).count() == 3


def test_import_command_aiken_with_format(lesson, tmp_path):
    """--format aiken imports an Aiken file."""
    path = tmp_path / "q.txt"
    path.write_text(AIKEN)
    call_command("import_questions", str(path), "--lesson", "fresh", "--format", "aiken", stdout=StringIO())
    assert Question.objects.filter(lesson=lesson).count() == 2


def test_import_command_errors_name_the_line(lesson, tmp_path):
    """A rejected question makes the command fail with its line number; the good ones are saved."""
    path = tmp_path / "bad.gift"
    path.write_text("Good? {=yes ~no}\n\nBroken {=yes ~no\n")
    with pytest.raises(CommandError, match="line 3"):
        call_command("import_questions", str(path), "--lesson", "fresh", stdout=StringIO())
    assert Question.objects.filter(lesson=lesson).count() == 1


def test_import_command_binary_and_unknown_lesson(lesson, tmp_path):
    """A binary file and an unknown lesson are command errors; nothing is saved."""
    path = tmp_path / "image.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    with pytest.raises(CommandError, match="line 1: The file is not a text file"):
        call_command("import_questions", str(path), "--lesson", "fresh", stdout=StringIO())
    with pytest.raises(CommandError, match="No lesson"):
        call_command("import_questions", str(path), "--lesson", "nope", stdout=StringIO())
    assert not Question.objects.exists()


def test_export_command_to_file_and_stdout(lesson, tmp_path):
    """export_questions writes GIFT to a file or standard output, and names what Aiken skips."""
    _import(lesson, GIFT)
    target = tmp_path / "out.gift"
    call_command("export_questions", "--lesson", "fresh", "--format", "gift", "-o", str(target), stderr=StringIO())
    assert "::frozen::" in target.read_text()
    out, err = StringIO(), StringIO()
    call_command("export_questions", "--lesson", "fresh", "--format", "aiken", stdout=out, stderr=err)
    assert "ANSWER: A" in out.getvalue()
    assert "skipped 'pick-two' (aiken_multiple_answers)" in err.getvalue()

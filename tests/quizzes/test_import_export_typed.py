"""Numeric and short-answer questions through the import service: GIFT into a lesson, back out, and the admin page."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from courses.models import Lesson
from quizzes.authoring.importing import questions_import
from quizzes.interchange_services import GENERAL_FEEDBACK_TITLE, questions_export
from quizzes.models import Question, Role

from tests.quizzes.test_import_export import GIFT, _import, _snapshot

TYPED_GIFT = """\
$CATEGORY: imported/easy
// @step {"title": "Count", "body": "512 * 3 weights + 3 biases = 1539"}
// @mistake "Forgetting the biases"
::linear-params::How many parameters does `nn.Linear(512, 3)` have? {#
  =1539#Right: 512 x 3 weights and 3 biases.
  =%0%1536#Those are the weights only; add the 3 biases.
  ####A Linear layer has in x out weights and out biases.
}

::resnet18-millions::ResNet-18's parameters, in millions, to one decimal? {#11.65..11.75#About 11.7 M.}

::pooled-shape::What shape leaves global average pooling for 1000 images? {
  =1000 x 512#Yes: one 512-vector per image.
  =%50%512#That is one image's vector; there are 1000.
  =%0%1000 x 7 x 7 x 512#That is before pooling.
}
"""


def _answers(lesson, key):
    return [(c.text, c.fraction, c.feedback, c.tolerance) for c in Question.objects.get(lesson=lesson, key=key).choices.all()]


def test_gift_numeric_and_short_import_into_a_lesson(lesson):
    """Numerical and short-answer questions are saved with their kind, answers, tolerances, credits and feedback."""
    report = _import(lesson, TYPED_GIFT)
    assert [(s.line, s.key, s.kind) for s in report.saved] == [
        (4, "linear-params", "numeric"),
        (10, "resnet18-millions", "numeric"),
        (12, "pooled-shape", "short"),
    ]
    assert report.rejected == [] and report.unsupported == []
    assert "(3 typed: 2 numeric, 1 short answer)" in report.lines()[0]
    assert _answers(lesson, "linear-params") == [
        ("1539", Decimal(1), "Right: 512 x 3 weights and 3 biases.", 0.0),
        ("1536", Decimal(0), "Those are the weights only; add the 3 biases.", 0.0),
    ]
    assert _answers(lesson, "resnet18-millions") == [("11.7", Decimal(1), "About 11.7 M.", 0.05)]
    assert _answers(lesson, "pooled-shape") == [
        ("1000 x 512", Decimal(1), "Yes: one 512-vector per image.", 0.0),
        ("512", Decimal("0.5"), "That is one image's vector; there are 1000.", 0.0),
        ("1000 x 7 x 7 x 512", Decimal(0), "That is before pooling.", 0.0),
    ]
    q = Question.objects.get(lesson=lesson, key="linear-params")
    assert (q.kind, q.difficulty, q.role) == ("numeric", "easy", Role.PRACTICE)
    assert [(s.title, s.body) for s in q.steps.all()] == [
        ("Count", "512 * 3 weights + 3 biases = 1539"),
        (GENERAL_FEEDBACK_TITLE, "A Linear layer has in x out weights and out biases."),
    ]
    assert [m.text for m in q.mistakes.all()] == ["Forgetting the biases"]


def test_gift_numeric_and_short_export_as_moodle_writes_them_and_back(lesson):
    """Export writes {#=%N%value:tolerance#feedback} and {=%N%text#feedback}; importing that gives the same questions."""
    _import(lesson, TYPED_GIFT)
    text = questions_export(lesson=lesson, fmt="gift").text
    assert "{#\n\t=%100%1539:0#Right\\: 512 x 3 weights and 3 biases.\n\t=%0%1536:0#Those" in text
    assert "\t=%100%11.7:0.05#About 11.7 M.\n" in text
    assert "\t=%50%512#That is one image's vector; there are 1000.\n" in text
    copy = Lesson.objects.create(course=lesson.course, slug="copy", title="Copy", published=True)
    report = questions_import(lesson=copy, data=text.encode(), fmt="gift")
    assert report.ok and report.unsupported == [] and len(report.saved) == 3
    for key in ("linear-params", "resnet18-millions", "pooled-shape"):
        original, again = Question.objects.get(lesson=lesson, key=key), Question.objects.get(lesson=copy, key=key)
        assert _snapshot(again) == _snapshot(original)
        assert _answers(copy, key) == _answers(lesson, key)


def test_moodle_any_other_answer_is_kept_as_the_catch_all(lesson):
    """Moodle's '*' answer is kept as a last choice '*' with its feedback; a '*' inside a short answer is
    the character (noted); a '*' with credit is rejected (it gives no credit)."""
    text = "Any? {#3:2~#Completely wrong}\n\nAnimal? {=Frog =%50%F*g =%0%*#No}\n\nAnything? {=*}\n"
    report = _import(lesson, text)
    notes = {s.line: s.notes for s in report.saved}
    assert sorted(notes) == [1, 3]
    assert notes[1] == [] and notes[3] == ["'*' in the answer 'F*g' is matched as the character, not as any characters"]
    assert [(p.line, p.code) for p in report.rejected] == [(5, "bad_any_answer")]
    assert _answers(lesson, report.saved[0].key) == [("3", Decimal(1), "", 2.0), ("*", Decimal(0), "Completely wrong", 0.0)]
    assert [c.text for c in Question.objects.get(key=report.saved[1].key).choices.all()] == ["Frog", "F*g", "*"]


def test_moodles_unit_test_cases_import_and_export_as_moodles_do(lesson):
    """giftformat_test.php's numerical and short-answer questions, through the import service and back
    out of the database: the answer blocks Moodle's test_export_* expect, '*' included."""
    from tests.quizzes.interchange.test_gift_typed import MOODLE_NUMERICAL, MOODLE_SHORT_GENERAL

    report = _import(lesson, MOODLE_NUMERICAL + "\n\n" + MOODLE_SHORT_GENERAL)
    assert [s.key for s in report.saved] == ["q5", "shortanswer"] and report.ok
    assert _answers(lesson, "q5") == [("3", Decimal(1), "", 2.0), ("*", Decimal(0), "Completely wrong", 0.0)]
    assert _answers(lesson, "shortanswer") == [
        ("Frog", Decimal(1), "Good!", 0.0),
        ("Cat", Decimal("0.5"), "What is it with Moodlers and cats?", 0.0),
        ("*", Decimal(0), "Completely wrong", 0.0),
    ]
    text = questions_export(lesson=lesson, fmt="gift").text
    assert "::q5::[markdown]What is a number from 1 to 5?{#\n\t=%100%3:2#\n\t~#Completely wrong\n}\n" in text
    assert (
        "::shortanswer::[markdown]Which is the best animal?{\n\t=%100%Frog#Good!\n"
        "\t=%50%Cat#What is it with Moodlers and cats?\n\t=%0%*#Completely wrong\n"
        "\t####Here is some general feedback!\n}\n"
    ) in text


@pytest.mark.parametrize(
    "text, code",
    [
        ("Year? {#1822:one}", "not_a_number"),
        ("Range? {#5..1}", "bad_tolerance"),
        ("Half? {=%50%maybe}", "no_correct_answer"),
        ("Letter? {=a#As option B says.}", "letter_reference"),
    ],
)
def test_bad_typed_question_is_rejected_with_its_line(lesson, text, code):
    """A typed question that cannot be graded is rejected with its line and code; the good one is saved."""
    report = _import(lesson, "Good? {#4}\n\n" + text)
    assert [(p.line, p.code) for p in report.rejected] == [(3, code)]
    assert [s.line for s in report.saved] == [1] and Question.objects.filter(lesson=lesson).count() == 1


def test_export_skips_what_a_format_cannot_hold_naming_it(lesson):
    """Aiken skips numeric and short questions, GIFT a short answer with '->', each with a Problem naming the key."""
    _import(lesson, TYPED_GIFT + "\n" + GIFT)
    aiken = questions_export(lesson=lesson, fmt="aiken")
    typed_keys = ["linear-params", "resnet18-millions", "pooled-shape"]
    assert [q.key for q in aiken.skipped] == typed_keys + ["pick-two"]
    assert [p.code for p in aiken.problems] == ["aiken_typed_kind"] * 3 + ["aiken_multiple_answers"]
    assert "'linear-params'" in aiken.problems[0].message and "ANSWER:" in aiken.text
    arrow = Question.objects.get(lesson=lesson, key="pooled-shape").choices.first()
    arrow.text = "stage 3 -> 1000 x 512"
    arrow.save()
    gift = questions_export(lesson=lesson, fmt="gift")
    assert [q.key for q in gift.skipped] == ["pooled-shape"]
    assert [p.code for p in gift.problems] == ["arrow_in_short_answer"] and "'pooled-shape'" in gift.problems[0].message
    assert "::pooled-shape::" not in gift.text and "::linear-params::" in gift.text


def test_admin_import_page_reports_typed_questions_with_lines(lesson, client, django_user_model):
    """The admin import page saves numeric and short questions and lists each problem with its line."""
    client.force_login(django_user_model.objects.create_superuser("admin", "a@example.com", "pw-123456789"))
    upload = SimpleUploadedFile("typed.gift", (TYPED_GIFT + "\nBad range? {#5..1}\n").encode())
    url = reverse("admin:quizzes_lesson_import", args=[lesson.pk])
    page = client.post(url, {"file": upload, "format": ""}).content.decode()
    assert "Saved 3 question(s) (3 typed: 2 numeric, 1 short answer); 0 unsupported; 1 rejected." in page
    assert "line 4: saved numeric question &#x27;linear-params&#x27;" in page
    assert "line 12: saved short question &#x27;pooled-shape&#x27;" in page
    assert "line 18: rejected:" in page and "[bad_tolerance]" in page
    assert Question.objects.filter(lesson=lesson, kind="numeric").count() == 2

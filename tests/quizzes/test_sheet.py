"""The summary sheet: generated from the lesson's content (pipeline, key insight, the cards marked
for it, every common mistake with the correction its question teaches), at a fixed query cost."""

import re
from html import unescape

import pytest
import yaml
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courses.content import load_lesson_file
from courses.models import PipelineStage
from quizzes.models import Choice, Flashcard, Mistake, Question
from quizzes.selectors.sheet import lesson_sheet, mistake_correction
from tests.conftest import SEED_LESSON

pytestmark = pytest.mark.django_db


def sheet_url(lesson) -> str:
    return reverse("quizzes:sheet", args=[lesson.slug])


def text_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_every_common_mistake_of_the_seed_lesson_has_an_authored_correction(seed_lesson):
    """Each correction is the feedback of the wrong choices showing the mistake or, where no
    choice shows it, the question's quick check: nothing is written for the sheet alone."""
    sheet = lesson_sheet(lesson=seed_lesson)
    mistakes = Mistake.objects.filter(question__lesson=seed_lesson, question__active=True)
    assert len(sheet.mistakes) == mistakes.count() > 30
    for mistake in mistakes.select_related("question"):
        (entry,) = [m for m in sheet.mistakes if m.text == mistake.text and m.question_key == mistake.question.key]
        shown_by = [c.feedback for c in mistake.choices.order_by("position") if not c.is_correct]
        assert entry.correction == ("\n\n".join(shown_by) if shown_by else mistake.question.quick_check), mistake.text
        assert entry.correction.strip(), mistake.text
    # in the lesson file's order: the model quiz's questions, then the practice bank's, each's mistakes in turn
    questions = yaml.safe_load(SEED_LESSON.read_text())["questions"]
    assert [(m.question_key, m.text) for m in sheet.mistakes] == [
        (q["key"], text) for q in questions["quiz"] + questions["practice"] for text in q.get("mistakes", [])
    ]
    by_text = {m.text: m.correction for m in sheet.mistakes}
    assert by_text["Forgetting the bias terms"] == "That forgets the biases, 256 + 3 of them."
    # a mistake two choices show: both feedbacks, in the choices' order
    both = by_text["Blaming optimizer or input shape wrongly"].split("\n\n")
    assert [b.split()[0] for b in both] == ["A", "The"] and "optimizer is not involved" in both[1]


def test_a_mistake_no_choice_shows_is_corrected_by_the_quick_check(make_question, lesson):
    """The seed links every mistake to a choice; a question that does not falls back on its quick check."""
    make_question(choices=2, mistakes=2)  # the factory links only the first mistake to a choice
    assert [(m.text, m.correction) for m in lesson_sheet(lesson=lesson).mistakes] == [
        ("Mistake 0", "Feedback 1: wrong-explained"),
        ("Mistake 1", "Check it."),
    ]


def test_a_correct_choice_linked_to_a_mistake_is_not_its_correction(make_question, lesson):
    question = make_question(choices=3, mistakes=1)
    Choice.objects.filter(question=question).update(mistake=question.mistakes.get())  # the right one too, by a slip
    (entry,) = lesson_sheet(lesson=lesson).mistakes
    assert entry.correction == "Feedback 1: wrong-explained\n\nFeedback 2: wrong-explained"
    assert mistake_correction(question.mistakes.get()) == entry.correction


def test_a_mistake_with_no_choice_and_no_quick_check_is_listed_without_a_correction(client, make_question, lesson):
    question = make_question(choices=2, mistakes=2)  # the factory links only the first mistake to a choice
    Question.objects.filter(pk=question.pk).update(quick_check="")
    assert [(m.text, m.correction) for m in lesson_sheet(lesson=lesson).mistakes] == [
        ("Mistake 0", "Feedback 1: wrong-explained"),
        ("Mistake 1", ""),
    ]
    page = client.get(sheet_url(lesson)).content.decode()
    assert "Mistake 1</dt></div>" in page and page.count("<dd>") == 1


def test_mistakes_of_inactive_questions_are_left_out(make_question, lesson):
    make_question(key="kept")
    retired = make_question(key="retired")
    Question.objects.filter(pk=retired.pk).update(active=False)
    assert [m.question_key for m in lesson_sheet(lesson=lesson).mistakes] == ["kept"]


def test_the_sheet_page_shows_the_lesson_from_its_content(client, seed_lesson):
    page = client.get(sheet_url(seed_lesson)).content.decode()
    text = text_of(page)
    assert "Why pre-trained models save time in Computer Vision" in text
    assert "Shapes are written channels-last, N x H x W x C" in text  # the pipeline's summary
    # the pipeline with the shapes of each stage
    for stage in seed_lesson.stages.all():
        assert f"{stage.position}. {stage.name} {stage.input_shape}" in text
        assert stage.output_shape in text
    assert "(example: ResNet18_Weights.IMAGENET1K_V1.transforms() : ImageNet's mean (0.485" in text  # tags become spaces
    assert "Key Insight Pre-trained models save time by reusing learned features" in text
    # the numbers: the trace's ends and the cards marked for the sheet, not the others
    assert "Training trace, epoch 1 to 5: illustrative numbers, not a measurement Loss 0.95 → 0.33, accuracy 55% → 90%." in text
    on_sheet = Flashcard.objects.filter(lesson=seed_lesson, on_sheet=True)
    assert on_sheet.count() >= 6
    assert "1,539: a weight for each input-output pair, 512 x 3 = 1,536" in text
    assert "(0.485, 0.456, 0.406)" in text and "224 / 32 = 7" in text
    assert "What is <em>fine-tuning</em>?" not in page  # a card not marked for the sheet
    # every mistake, then its correction
    assert "Mistake: Thinking pre-trained models need more data Correction: The opposite: pre-training happened" in text
    assert text.count("Mistake: ") == Mistake.objects.count()
    assert 'src="/static/quizzes/sheet.js"' in page and "quizzes/sheet.css" in page


def test_the_sheet_prints_the_trace_as_illustrative_with_the_measured_run_beside_it(client, seed_lesson, lesson):
    """The illustrative trace is never printed as data alone: marked illustrative, then each measured run's first and last epoch."""
    from modellab.models import MeasuredReference

    text = text_of(client.get(sheet_url(seed_lesson)).content.decode())
    trace = text[text.index("Training trace, epoch 1 to 5: illustrative numbers, not a measurement") :]
    reference = MeasuredReference.objects.get(lesson=seed_lesson)
    assert trace.index("Loss 0.95 → 0.33") < trace.index("Measured on this platform (")
    for run in reference.runs:
        first, last = run["epochs"][0], run["epochs"][-1]
        line = (
            f"{run['label']} {round(first['val_accuracy'] * 100)}% → {round(last['val_accuracy'] * 100)}%, "
            f"epoch {last['epoch']} done at {last['elapsed']:.1f} s"
        )
        assert line in trace, line
    assert "Measured on this platform" not in text_of(client.get(sheet_url(lesson)).content.decode())


def test_the_sheet_follows_the_content_when_it_changes(client, seed_lesson):
    """Nothing is copied into the page: an edited stage, feedback or card shows at once."""
    PipelineStage.objects.filter(lesson=seed_lesson, position=3).update(output_shape="1000 x 7 x 7 x 1280")
    Choice.objects.filter(feedback="That forgets the biases, 256 + 3 of them.").update(
        feedback="Each of the 3 outputs has a bias too."
    )
    Flashcard.objects.filter(lesson=seed_lesson, key="fine-tuning").update(on_sheet=True)
    page = client.get(sheet_url(seed_lesson)).content.decode()
    text = text_of(page)
    assert "1000 x 7 x 7 x 1280" in text
    assert "Forgetting the bias terms Correction: Each of the 3 outputs has a bias too." in text
    assert "What is <em>fine-tuning</em>?" in page


def test_the_sheet_costs_the_same_queries_whatever_the_lesson_holds(client, seed_lesson, lesson, make_question):
    """A lesson of one question and one mistake costs what the seed's 16 questions and 37 mistakes do."""
    make_question(mistakes=1)
    client.get(sheet_url(lesson))  # warm what is cached once per process
    counts = []
    for slug in (lesson.slug, seed_lesson.slug):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("quizzes:sheet", args=[slug])).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


def test_an_unpublished_or_unknown_lesson_has_no_sheet(client, seed_lesson):
    assert client.get(reverse("quizzes:sheet", args=["no-such-lesson"])).status_code == 404
    seed_lesson.published = False
    seed_lesson.save()
    assert client.get(sheet_url(seed_lesson)).status_code == 404


def test_the_sheet_is_read_only(client, seed_lesson):
    assert client.post(sheet_url(seed_lesson)).status_code == 405


def test_a_lesson_without_mistakes_or_cards_says_so(client, lesson):
    page = text_of(client.get(sheet_url(lesson)).content.decode())
    assert "This lesson's questions list no common mistakes yet." in page
    assert "Numbers and formulas" not in page


def test_reloading_the_lesson_keeps_the_sheet(client, seed_lesson):
    before = client.get(sheet_url(seed_lesson)).content
    load_lesson_file(SEED_LESSON)
    assert client.get(sheet_url(seed_lesson)).content == before

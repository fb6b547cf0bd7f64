"""Lesson pages: every seed section shown, the SVG chart, the mode picker, 404s and a fixed query count."""

import re
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courses.content import load_lesson_text
from courses.modes import _MODES, COMING_SOON
from quizzes.views.numbers import NUMBERS_COMING
from quizzes.selectors.bank import practice_bank
from quizzes.vocabulary import TYPED_KINDS


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.hrefs.append(dict(attrs).get("href"))


def _lesson_yaml(slug: str, stages: int, epochs: int) -> str:
    stage_rows = "\n".join(
        f"    - {{name: Stage {i}, input_shape: N x {i}, operation: Op {i}, output_shape: N x {i + 1}}}"
        for i in range(1, stages + 1)
    )
    epoch_rows = "\n".join(f"    - {{epoch: {i}, loss: {1 / i:.3f}, accuracy: 0.5}}" for i in range(1, epochs + 1))
    layer_rows = "\n".join(f"  - {{name: Layer {i}}}" for i in range(1, stages + 1))
    return (
        f"course: {{slug: cv, title: CV, track: ml}}\nlesson: {{slug: {slug}, title: Lesson {slug}}}\n"
        f"pipeline:\n  stages:\n{stage_rows}\ntraining:\n  epochs:\n{epoch_rows}\nprediction_trace:\n{layer_rows}\n"
    )


@pytest.mark.django_db
def test_home_lists_courses_and_course_lists_lessons(client, seed_lesson):
    """Home page -> course page -> lesson link, as a student navigates."""
    home = client.get("/").content.decode()
    assert "Computer Vision" in home
    assert seed_lesson.course.get_absolute_url() in home
    course_page = client.get(seed_lesson.course.get_absolute_url()).content.decode()
    assert "Why pre-trained models save time in Computer Vision" in course_page
    assert seed_lesson.get_absolute_url() in course_page


@pytest.mark.django_db
def test_lesson_page_shows_every_seed_section(client, seed_lesson):
    """The lesson page shows meta, the 4 stages with shapes, the trace, layers and insight."""
    response = client.get(reverse("courses:lesson", args=["why-pretrained-models-save-time"]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "~12 mins" in page and ">ml<" in page
    assert "Data Flow - 4 Stages" in page
    for name in ("Input Images", "Preprocessing", "Feature Extraction with Pre-trained Model", "Pooling and New Classifier Head"):
        assert name in page
    assert page.count('class="stage"') == 4
    assert "1000 x 7 x 7 x 512" in page and "1000 x number_of_classes" in page
    assert "The frozen convolutional layers of a pre-trained ResNet-18" in page
    assert "A cat photo of 375 x 500 x 3 (500 pixels wide)" in page
    assert "Training Trace - Epoch by Epoch" in page
    assert "Training converges quickly with pre-trained features" in page
    assert "Prediction Trace - 4 Layers" in page
    assert "Layer 2: Pre-trained Backbone (frozen)" in page
    assert "Key Insight" in page
    assert 'id="model-quiz"' in page and 'id="practice"' in page


@pytest.mark.django_db
def test_training_chart_is_an_svg_with_one_marker_per_epoch(client, seed_lesson):
    """The loss is drawn as a real SVG chart, not text."""
    page = client.get(seed_lesson.get_absolute_url()).content.decode()
    svg = page[page.index("<svg") : page.index("</svg>")]
    assert 'role="img"' in svg
    loss_series = svg[svg.index('data-label="Loss"') :]
    loss_series = loss_series[: loss_series.index("</g>")]
    assert "<polyline" in loss_series
    assert loss_series.count("<circle") == 5
    assert "Loss, Epoch 1: 0.95" in loss_series and "Loss, Epoch 5: 0.33" in loss_series


TEN_MODES = (
    "Read",
    "Practice",
    "Test this pattern",
    "Review",
    "Flashcards",
    "Lab",
    "Timed exam",
    "Mistake drill",
    "Numbers &amp; shapes",
    "Summary sheet",
)


@pytest.mark.django_db
def test_mode_picker_lists_ten_modes_each_linked_or_saying_why_not(client, seed_lesson):
    """Every learning mode is listed; each link leads to a page that answers, and a mode the
    lesson cannot offer yet (Numbers & shapes, without typed-answer questions) says so instead."""
    page = client.get(seed_lesson.get_absolute_url()).content.decode()
    picker = page[page.index('class="mode-list"') : page.index("</ul>", page.index('class="mode-list"'))]
    assert tuple(re.findall(r"<strong>(.*?)</strong>", picker)) == TEN_MODES
    assert tuple(label for _, label, *_ in _MODES) == tuple(label.replace("&amp;", "&") for label in TEN_MODES)
    parser = _Links()
    parser.feed(picker)
    client.force_login(
        __import__("django.contrib.auth", fromlist=["get_user_model"])
        .get_user_model()
        .objects.create_user("m", password="pw-123456")
    )
    for href in parser.hrefs:
        assert client.get(href.split("#")[0]).status_code == 200, href
    notes = re.findall(r'<span class="tag tag-muted mode-note">(.*?)</span>', picker)
    typed = practice_bank(lesson=seed_lesson, kinds=TYPED_KINDS).exists()
    assert notes == ([] if typed else [NUMBERS_COMING])
    assert len(parser.hrefs) + len(notes) == len(_MODES) == 10
    assert COMING_SOON not in picker  # every mode's page exists


@pytest.mark.django_db
def test_unknown_and_unpublished_lessons_are_not_found(client, seed_lesson):
    """Students get 404 for a missing or unpublished lesson."""
    assert client.get("/lessons/no-such-lesson/").status_code == 404
    seed_lesson.published = False
    seed_lesson.save()
    assert client.get(seed_lesson.get_absolute_url()).status_code == 404


@pytest.mark.django_db
def test_lesson_page_query_count_does_not_grow_with_content(client):
    """A lesson with 2 stages and 2 epochs costs as many queries as one with 12 and 30."""
    load_lesson_text(_lesson_yaml("small", stages=2, epochs=2), "small.yaml")
    load_lesson_text(_lesson_yaml("large", stages=12, epochs=30), "large.yaml")
    client.get("/lessons/small/")  # warm caches (content types, sessions)
    counts = []
    for slug in ("small", "large"):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(f"/lessons/{slug}/")
        assert response.status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
    assert "Data Flow - 12 Stages" in response.content.decode()

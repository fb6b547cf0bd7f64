"""Stems and choice texts listed in one line (the review list, the progress page, the item statistics
table) are rendered as inline Markdown, as everywhere else on the site, never shown as raw Markdown."""

from datetime import timedelta

from django.urls import reverse

from quizzes.models import Choice, LessonQuizSettings
from tests.quizzes.test_views import answer, start

STEM = "What does it mean to *freeze* a layer? Call `model.eval()` first.\n\n```python\nlayer.requires_grad_(False)\n```"


def test_due_questions_are_listed_as_rendered_markdown(client, lesson, make_question, clock):
    """The first paragraph of the stem, emphasis and code rendered; no asterisks, backticks or code block."""
    question = make_question()
    question.stem = STEM
    question.save()
    attempt = start(client, lesson, "practice")
    answer(client, attempt, 1, correct=False)
    clock.advance(timedelta(minutes=1))  # FSRS's first learning step: due now
    for url in (reverse("quizzes:review", args=[lesson.slug]), reverse("quizzes:progress")):
        page = client.get(url).content.decode()
        assert "<li>What does it mean to <em>freeze</em> a layer? Call <code>model.eval()</code> first.</li>" in page, url
        assert "*freeze*" not in page and "`" not in page and "requires_grad_" not in page, url


def test_a_long_stem_is_cut_with_its_tags_closed(client, lesson, make_question, clock):
    question = make_question()
    question.stem = "Why `" + "x" * 150 + "`?"
    question.save()
    answer(client, start(client, lesson, "practice"), 1, correct=False)
    clock.advance(timedelta(minutes=1))
    page = client.get(reverse("quizzes:progress")).content.decode()
    assert "<li>Why <code>" + "x" * 95 + "…</code></li>" in page


def test_item_statistics_show_choice_text_as_markdown(lesson, make_question, django_user_model, client):
    LessonQuizSettings.objects.create(lesson=lesson, easy=1, medium=0, hard=0)
    question = make_question()
    Choice.objects.filter(question=question, position=0).update(text="`model.fc` is replaced")
    attempt = start(client, lesson, "test")  # the table lists the choices of questions answered in tests
    answer(client, attempt, 1, correct=True)
    client.post(reverse("quizzes:finish", args=[attempt.pk]))
    client.force_login(django_user_model.objects.create_superuser("admin", "a@example.com", "pw-123456789"))
    page = client.get(reverse("admin:quizzes_lesson_statistics", args=[lesson.pk])).content.decode()
    assert "<code>model.fc</code> is replaced" in page
    assert "`model.fc`" not in page

"""A restart (`make run` runs `loadcontent`) after an author's work in the admin changes none of it."""

from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from courses.models import Lesson
from quizzes.authoring.questions import question_content
from quizzes.models import Question
from quizzes.selectors.bank import practice_bank
from tests.quizzes.test_admin import _formset

GIFT = b"::imported-q::Which layer trains when the backbone is frozen? {=The new head ~The backbone}"


def _restart():
    call_command("loadcontent", stdout=StringIO())  # as `make run` does, with the bundled lessons


@pytest.mark.django_db
def test_a_restart_keeps_what_the_author_did(client, django_user_model):
    """Authored in the admin, imported by GIFT, a file's question refused for editing: two restarts change none of it."""
    _restart()
    lesson = Lesson.objects.get(slug="why-pretrained-models-save-time")  # the bundled lessons are several
    bank = practice_bank(lesson=lesson).count()
    client.force_login(django_user_model.objects.create_superuser("admin", "a@example.com", "pw-123456789"))
    data = {
        "lesson": lesson.pk,
        "key": "authored-q",
        "role": "practice",
        "position": 99,
        "difficulty": "easy",
        "kind": "single",
        "stem": "Authored?",
        "quick_check": "",
        "active": "on",
    }
    data |= _formset("mistakes", []) | _formset("steps", []) | _formset("hints", [])
    data |= _formset(
        "choices", [{"position": 1, "text": "Yes", "fraction": "100"}, {"position": 2, "text": "No", "fraction": "0"}]
    )
    assert client.post(reverse("admin:quizzes_question_add"), data).status_code == 302
    upload = SimpleUploadedFile("q.gift", GIFT)
    client.post(reverse("admin:quizzes_lesson_import", args=[lesson.pk]), {"file": upload, "format": "", "existing": "update"})
    file_question = Question.objects.get(lesson=lesson, key="reuse-learned-features")
    assert client.post(reverse("admin:quizzes_question_change", args=[file_question.pk]), {"stem": "Edited"}).status_code == 403
    authored = {q.key: (q.pk, question_content(q)) for q in Question.objects.filter(key__in=["authored-q", "imported-q"])}
    assert len(authored) == 2

    _restart()
    _restart()

    assert practice_bank(lesson=lesson).count() == bank + 2
    assert {
        q.key: (q.pk, question_content(q)) for q in Question.objects.filter(key__in=authored, current=True, active=True)
    } == authored
    assert Question.objects.get(key="reuse-learned-features").pk == file_question.pk
    assert Question.objects.count() == Question.objects.filter(current=True).count()

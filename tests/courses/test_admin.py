"""The lessons admin: a lesson added with its sections inline, bad values refused, the staff preview."""

import pytest
from django.urls import reverse

from courses.models import Course, Lesson


@pytest.fixture
def admin_client_logged(client, django_user_model):
    user = django_user_model.objects.create_superuser("admin", "a@example.org", "pw-admin-123")
    client.force_login(user)
    return client


def _inline_management(prefix, total, initial=0):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


@pytest.mark.django_db
def test_admin_adds_a_lesson_with_sections_inline(admin_client_logged):
    """An admin creates a lesson with two stages, an epoch, a layer and a flashcard in one form."""
    course = Course.objects.create(slug="cv", title="CV", track="ml")
    data = {
        "course": course.pk,
        "title": "New lesson",
        "subtitle": "",
        "slug": "new-lesson",
        "minutes": "7",
        "position": "0",
        "published": "on",
        "pipeline_title": "P",
        "pipeline_summary": "Summary",
        "training_note": "",
        "key_insight": "Insight",
        **_inline_management("stages", 2),
        "stages-0-position": "1",
        "stages-0-name": "Input",
        "stages-0-input_shape": "N x 3",
        "stages-0-operation": "Load",
        "stages-0-output_shape": "N x 3",
        "stages-0-example": "",
        "stages-1-position": "2",
        "stages-1-name": "Features",
        "stages-1-input_shape": "N x 3",
        "stages-1-operation": "Extract",
        "stages-1-output_shape": "N x 512",
        "stages-1-example": "",
        **_inline_management("epochs", 1),
        "epochs-0-epoch": "1",
        "epochs-0-loss": "0.9",
        "epochs-0-accuracy": "0.6",
        "epochs-0-observation": "ok",
        **_inline_management("prediction_layers", 1),
        "prediction_layers-0-position": "1",
        "prediction_layers-0-name": "Input",
        "prediction_layers-0-description": "",
        **_inline_management("flashcards", 1),
        "flashcards-0-key": "backbone",
        "flashcards-0-position": "1",
        "flashcards-0-active": "on",
        "flashcards-0-front": "What is a *backbone*?",
        "flashcards-0-back": "The pre-trained feature extractor.",
    }
    response = admin_client_logged.post(reverse("admin:courses_lesson_add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    lesson = Lesson.objects.get(slug="new-lesson")
    assert [s.name for s in lesson.stages.all()] == ["Input", "Features"]
    assert lesson.epochs.get().accuracy == 0.6
    assert [(c.key, c.front) for c in lesson.flashcards.all()] == [("backbone", "What is a *backbone*?")]


@pytest.mark.django_db
def test_admin_rejects_an_accuracy_above_one(admin_client_logged, seed_lesson):
    """Editing an epoch's accuracy to 1.5 shows an error and saves nothing."""
    url = reverse("admin:courses_lesson_change", args=[seed_lesson.pk])
    page = admin_client_logged.get(url)
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data["course"] = seed_lesson.course_id
    data["published"] = "on"
    for formset in page.context["inline_admin_formsets"]:
        fs = formset.formset
        data.update(_inline_management(fs.prefix, len(fs.forms), len(fs.forms)))
        for i, f in enumerate(fs.forms):
            for name, field in f.fields.items():
                value = f.initial.get(name, field.initial)
                if value is not None:
                    data[f"{fs.prefix}-{i}-{name}"] = getattr(value, "pk", value)
    data["epochs-0-accuracy"] = "1.5"
    response = admin_client_logged.post(url, data)
    assert response.status_code == 200
    assert "Ensure this value is less than or equal to 1" in response.content.decode()
    assert seed_lesson.epochs.get(epoch=1).accuracy == 0.55
    data["epochs-0-accuracy"] = "0.6"
    data["title"] = "Edited title"
    response = admin_client_logged.post(url, data)
    assert response.status_code == 302
    seed_lesson.refresh_from_db()
    assert seed_lesson.title == "Edited title"
    assert seed_lesson.epochs.get(epoch=1).accuracy == 0.6


@pytest.mark.django_db
def test_staff_preview_shows_unpublished_lesson_as_students_see_it(admin_client_logged, client, seed_lesson):
    """The preview renders the student page for staff, even before publishing."""
    seed_lesson.published = False
    seed_lesson.save()
    preview = admin_client_logged.get(reverse("courses:lesson_preview", args=[seed_lesson.slug]))
    assert preview.status_code == 200
    assert "Data Flow - 4 Stages" in preview.content.decode()
    assert "Preview" in preview.content.decode()
    client.logout()
    assert client.get(reverse("courses:lesson_preview", args=[seed_lesson.slug])).status_code == 302


@pytest.mark.django_db
def test_a_new_lesson_is_unpublished_until_its_box_is_ticked(admin_client_logged, client):
    """The add form's Published box starts unticked; a lesson saved so is hidden from students (404)."""
    course = Course.objects.create(slug="cv", title="CV", track="ml")
    form = admin_client_logged.get(reverse("admin:courses_lesson_add")).context["adminform"].form
    assert form["published"].initial is False
    assert Lesson.objects.create(course=course, slug="draft", title="Draft").published is False
    from django.test import Client

    assert Client().get(reverse("courses:lesson", args=["draft"])).status_code == 404

"""Authoring in the admin: inline validation with the loader's rules, filters, preview."""

import pytest
from django.urls import reverse

from quizzes.models import Question


@pytest.fixture
def staff(client, django_user_model):
    user = django_user_model.objects.create_superuser("admin", "a@example.com", "pw-123456789")
    client.force_login(user)
    return client


def _formset(prefix, rows):
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"{prefix}-{i}-{key}"] = value
    return data


def _post(staff, lesson, kind, choices, quick_check="Checks out.", texts=None):
    """The add form's POST; `choices` are weights in percent, as the form takes them."""
    data = {
        "lesson": lesson.pk,
        "key": "new-q",
        "role": "practice",
        "position": 1,
        "difficulty": "easy",
        "kind": kind,
        "stem": "Which?",
        "quick_check": quick_check,
        "active": "on",
    }
    data |= _formset("mistakes", [])
    data |= _formset(
        "choices",
        [{"position": i, "text": texts[i] if texts else f"c{i}", "fraction": f, "feedback": ""} for i, f in enumerate(choices)],
    )
    data |= _formset("steps", [])
    data |= _formset("hints", [])
    return staff.post(reverse("admin:quizzes_question_add"), data)


@pytest.mark.parametrize(
    "kind, fractions, code",
    [
        ("single", ["100"], "too_few_choices"),
        ("single", ["100", "100"], "single_needs_one_correct"),
        ("multiple", ["50", "30", "0"], "weights_not_100"),
        ("multiple", ["0", "-50"], "multiple_needs_correct"),
    ],
)
def test_admin_refuses_bad_choices_and_saves_nothing(staff, lesson, kind, fractions, code):
    response = _post(staff, lesson, kind, fractions)
    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][1].formset.non_form_errors().as_data()
    assert [e.code for e in errors] == [code]
    assert not Question.objects.exists()


@pytest.mark.parametrize(
    "kind, fractions, texts, code",
    [
        ("numeric", ["50"], ["1539"], "no_full_credit"),
        ("numeric", ["100", "0"], ["1539", "about 1536"], "not_a_number"),
        ("short", ["0", "0"], ["1000 x 512", "512"], "no_full_credit"),
    ],
)
def test_admin_checks_a_typed_questions_answers_with_the_loaders_rules(staff, lesson, kind, fractions, texts, code):
    """A typed question's rows are answers: one at full credit, numeric ones numbers; nothing is saved otherwise."""
    response = _post(staff, lesson, kind, fractions, texts=texts)
    errors = response.context["inline_admin_formsets"][1].formset.non_form_errors().as_data()
    assert [e.code for e in errors] == [code]
    assert not Question.objects.exists()


def test_admin_saves_a_numeric_question_with_one_answer(staff, lesson):
    """One full-credit answer is enough for a typed question (choice kinds still need two)."""
    response = _post(staff, lesson, "numeric", ["100"], texts=["1,539"])
    assert response.status_code == 302
    assert [(c.text, c.tolerance) for c in Question.objects.get().choices.all()] == [("1,539", 0)]


def test_admin_refuses_a_letter_in_the_quick_check(staff, lesson):
    response = _post(staff, lesson, "single", ["100", "0"], quick_check="Reuse = B")
    assert response.status_code == 200
    assert [e.code for e in response.context["adminform"].form.errors.as_data()["quick_check"]] == ["letter_reference"]
    assert not Question.objects.exists()


def test_admin_saves_a_good_question(staff, lesson):
    response = _post(staff, lesson, "multiple", ["50", "50", "-50"])
    assert response.status_code == 302
    assert Question.objects.get().choices.count() == 3


def test_admin_list_filters_and_preview(staff, lesson, make_question):
    q = make_question(difficulty="hard")
    page = staff.get(reverse("admin:quizzes_question_changelist") + "?difficulty__exact=hard").content.decode()
    assert q.key in page and "As students see it" in page
    preview = staff.get(reverse("quizzes:question_preview", args=[q.pk])).content.decode()
    assert "Before answering" in preview and "Step title 0" in preview and "Correct answer" in preview
    assert staff.get(reverse("admin:quizzes_question_change", args=[q.pk])).status_code == 200


def test_preview_is_for_staff_only(client, make_question):
    q = make_question()
    assert client.get(reverse("quizzes:question_preview", args=[q.pk])).status_code == 302

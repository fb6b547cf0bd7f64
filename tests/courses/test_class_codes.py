"""A class behind one address signs up with its teacher's code: seats, expiry, the per-address limit, the admin."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from courses.classes import CLASS_CODE_EXPIRED, CLASS_CODE_UNKNOWN, CLASS_FULL, class_join
from courses.models import ClassCode, ClassMember, Course

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-passphrase-42"


@pytest.fixture
def course():
    return Course.objects.create(slug="cv", title="Computer Vision", track="ml")


@pytest.fixture
def class_code(course):
    return ClassCode.objects.create(
        course=course, name="Year 11 Tuesday", seats=30, expires_at=timezone.now() + timedelta(days=7)
    )


def sign_up(client, username, code=""):
    data = {"username": username, "email": "", "password1": PASSWORD, "password2": PASSWORD}
    if code:
        data["class_code"] = code
    client.logout()
    return client.post(reverse("quizzes:signup"), data, REMOTE_ADDR="10.0.0.7")


def test_a_class_of_thirty_signs_up_from_one_address_and_the_31st_is_told_the_class_is_full(
    client, class_code, settings, django_user_model
):
    # given: the default per-address limit of 5 sign-ups an hour
    assert settings.RATE_LIMITS["signup"][0] == 5
    # when: 30 learners sign up from one address with the code (typed in lower case by some)
    for i in range(30):
        response = sign_up(client, f"learner{i}", class_code.code.lower() if i % 2 else class_code.code)
        assert response.status_code == 302, (i, response.content[:300])
    # then: each holds a seat; the 31st is refused with a message naming the full class, and no account is made
    assert ClassMember.objects.filter(class_code=class_code).count() == 30
    response = sign_up(client, "learner30", class_code.code)
    assert response.status_code == 200
    assert response.context["form"].has_error("class_code", code=CLASS_FULL)
    assert "The class Year 11 Tuesday (Computer Vision) is full: all 30 seats are taken." in response.content.decode()
    assert not ClassMember.objects.filter(user__username="learner30").exists()
    assert not django_user_model.objects.filter(username="learner30").exists()


def test_sign_ups_without_a_code_are_still_limited_per_address(client, class_code):
    """A class's sign-ups do not use up the address's own five, nor lift them."""
    for i in range(3):
        assert sign_up(client, f"coded{i}", class_code.code).status_code == 302
    for i in range(5):
        assert sign_up(client, f"plain{i}").status_code == 302
    assert sign_up(client, "plain5").status_code == 429


def test_an_unknown_code_is_refused_and_counts_against_the_address(client, class_code):
    """Guessing codes runs into the per-address limit."""
    for i in range(5):
        response = sign_up(client, f"guess{i}", "ZZZZZZZZ")
        assert response.status_code == 200 and response.context["form"].has_error("class_code", code=CLASS_CODE_UNKNOWN)
    assert sign_up(client, "guess5", "ZZZZZZZZ").status_code == 429
    assert sign_up(client, "coded", class_code.code).status_code == 302  # a real code still gets in


def test_an_expired_code_signs_nobody_up(client, class_code):
    ClassCode.objects.filter(pk=class_code.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    response = sign_up(client, "late", class_code.code)
    assert response.context["form"].has_error("class_code", code=CLASS_CODE_EXPIRED)
    assert not ClassMember.objects.exists()


def test_a_sign_up_link_fills_the_code_in_and_the_learner_is_welcomed_to_the_class(client, class_code):
    page = client.get(f"{reverse('quizzes:signup')}?class={class_code.code}").content.decode()
    assert f'value="{class_code.code}"' in page
    response = client.post(
        reverse("quizzes:signup"),
        {"username": "kim", "password1": PASSWORD, "password2": PASSWORD, "class_code": class_code.code},
        follow=True,
    )
    assert "You joined Year 11 Tuesday (Computer Vision)." in response.content.decode()


def test_the_service_refuses_a_full_class_without_calling_create_user(class_code, django_user_model):
    ClassCode.objects.filter(pk=class_code.pk).update(seats=1)
    class_join(code=class_code.code, create_user=lambda: django_user_model.objects.create_user("first"))
    called = []
    with pytest.raises(Exception) as refused:
        class_join(code=class_code.code, create_user=lambda: called.append(1))
    assert refused.value.code == CLASS_FULL and refused.value.params["seats"] == 1 and called == []


@pytest.fixture
def teacher(client, django_user_model):
    user = django_user_model.objects.create_user("teacher", password=PASSWORD, is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=["add_classcode", "view_classcode", "change_classcode"]))
    client.force_login(user)
    return user


def test_a_teacher_creates_a_code_and_sees_who_joined(client, teacher, course):
    response = client.post(
        reverse("admin:courses_classcode_add"),
        {
            "name": "Evening class",
            "course": course.pk,
            "seats": "12",
            "expires_at_0": (timezone.now() + timedelta(days=3)).strftime("%Y-%m-%d"),
            "expires_at_1": "18:00:00",
            "members-TOTAL_FORMS": "0",
            "members-INITIAL_FORMS": "0",
            "members-MIN_NUM_FORMS": "0",
            "members-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    code = ClassCode.objects.get(name="Evening class")
    assert code.created_by == teacher and len(code.code) == 8
    client.post(
        reverse("quizzes:signup"),
        {"username": "ana_lovelace", "password1": PASSWORD, "password2": PASSWORD, "class_code": code.code},
    )
    client.force_login(teacher)
    page = client.get(reverse("admin:courses_classcode_change", args=[code.pk])).content.decode()
    assert "ana_lovelace" in page and f"?class={code.code}" in page
    listing = client.get(reverse("admin:courses_classcode_changelist")).content.decode()
    assert "1 of 12" in listing


def test_a_teacher_sees_only_their_own_codes_and_staff_without_the_permission_none(
    client, teacher, class_code, django_user_model
):
    assert client.get(reverse("admin:courses_classcode_change", args=[class_code.pk])).status_code == 302  # not theirs
    helper = django_user_model.objects.create_user("helper", password=PASSWORD, is_staff=True)
    client.force_login(helper)
    assert client.get(reverse("admin:courses_classcode_changelist")).status_code == 403

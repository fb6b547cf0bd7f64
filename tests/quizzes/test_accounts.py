"""Sign up, log in, log out and password reset; anonymous work carried over to the account."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse

from quizzes.models import Attempt, ReviewItem


@pytest.fixture
def anonymous_practice(client, make_question, lesson):
    """An anonymous student who answered one practice question wrong."""
    make_question()
    client.post(reverse("quizzes:practice", args=[lesson.slug]))
    attempt = Attempt.objects.get()
    order = attempt.choice_orders[str(attempt.question_ids[0])]
    from quizzes.models import Choice

    wrong = next(i for i, cid in enumerate(order) if not Choice.objects.get(id=cid).is_correct)
    client.post(reverse("quizzes:answer", args=[attempt.pk, 1]), {"answer": "ABCD"[wrong]})
    assert attempt.user is None and ReviewItem.objects.get().anon_id
    return attempt


def test_signup_carries_anonymous_work_over(client, anonymous_practice, clock):
    response = client.post(
        reverse("quizzes:signup"),
        {"username": "newbie", "email": "", "password1": "a-long-passphrase-42", "password2": "a-long-passphrase-42"},
    )
    assert response.status_code == 302 and response.url == reverse("quizzes:progress")
    anonymous_practice.refresh_from_db()
    assert anonymous_practice.user.username == "newbie" and anonymous_practice.anon_id == ""
    assert ReviewItem.objects.get().user.username == "newbie"
    clock.advance(timedelta(minutes=1))  # the missed question's first learning step
    page = client.get(reverse("quizzes:progress")).content.decode()
    assert "1 due" in page and "Log out newbie" in page


def test_login_carries_anonymous_work_over(client, anonymous_practice, django_user_model):
    django_user_model.objects.create_user("old", password="pw-123456789")
    response = client.post(reverse("login"), {"username": "old", "password": "pw-123456789"})
    assert response.status_code == 302
    anonymous_practice.refresh_from_db()
    assert anonymous_practice.user.username == "old"
    assert client.get(reverse("quizzes:attempt", args=[anonymous_practice.pk])).status_code == 302


def test_logout_is_a_post_and_forgets_the_student(client, anonymous_practice, django_user_model):
    user = django_user_model.objects.create_user("old", password="pw-123456789")
    client.force_login(user)
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("quizzes:attempt", args=[anonymous_practice.pk])).status_code == 404


def test_auth_pages_render(client):
    for name in ("login", "password_reset", "quizzes:signup"):
        response = client.get(reverse(name))
        assert response.status_code == 200 and b"<form" in response.content


@pytest.fixture
def eager_tasks():
    """Queued tasks run at once, in this process (the reset mail is sent by a task)."""
    from config.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.mark.django_db
def test_password_reset_sends_a_working_link(client, django_user_model, eager_tasks, django_capture_on_commit_callbacks):
    django_user_model.objects.create_user("forgetful", email="f@example.com", password="pw-123456789")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("password_reset"), {"email": "f@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = next(line for line in mail.outbox[0].body.splitlines() if "/reset/" in line).strip()
    path = link.split("testserver", 1)[1]
    response = client.get(path, follow=True)
    assert b"Choose a new password" in response.content
    form_url = response.redirect_chain[-1][0]
    response = client.post(form_url, {"new_password1": "another-long-pass-7", "new_password2": "another-long-pass-7"})
    assert response.status_code == 302
    assert client.login(username="forgetful", password="another-long-pass-7")


@pytest.mark.django_db
def test_signup_rejects_a_weak_password(client):
    response = client.post(reverse("quizzes:signup"), {"username": "x", "password1": "123", "password2": "123"})
    assert response.status_code == 200
    assert response.context["form"].errors["password2"]


@pytest.mark.django_db
def test_signup_ignores_an_offsite_next(client):
    response = client.post(
        reverse("quizzes:signup"),
        {
            "username": "n",
            "password1": "a-long-passphrase-42",
            "password2": "a-long-passphrase-42",
            "next": "https://evil.example/",
        },
    )
    assert response.url == reverse("quizzes:progress")

"""Rate limits: log-in and password reset refuse POSTs beyond the limit with 429."""
import pytest
from django.test import override_settings
from django.urls import reverse


@pytest.mark.django_db
@override_settings(RATE_LIMITS={"login": (3, 300), "signup": (5, 3600), "password_reset": (2, 3600), "lab_submit": (30, 3600), "lab_predict": (5, 3600)})
def test_login_is_refused_after_too_many_attempts_from_one_address(client):
    """The 4th log-in POST in the window gets 429 with Retry-After; another address still can."""
    url = reverse("login")
    for _ in range(3):
        assert client.post(url, {"username": "x", "password": "wrong"}, REMOTE_ADDR="10.0.0.1").status_code == 200
    refused = client.post(url, {"username": "x", "password": "wrong"}, REMOTE_ADDR="10.0.0.1")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "300"
    assert 'data-code="rate_limited"' in refused.content.decode()
    assert client.post(url, {"username": "x", "password": "wrong"}, REMOTE_ADDR="10.0.0.2").status_code == 200
    assert client.get(url, REMOTE_ADDR="10.0.0.1").status_code == 200, "reading the form is never limited"


@pytest.mark.django_db
@override_settings(RATE_LIMITS={"login": (3, 300), "signup": (5, 3600), "password_reset": (2, 3600), "lab_submit": (30, 3600), "lab_predict": (5, 3600)})
def test_password_reset_is_rate_limited(client):
    """Password-reset requests are limited too, so nobody can flood a mailbox."""
    url = reverse("password_reset")
    codes = [client.post(url, {"email": "a@example.org"}).status_code for _ in range(3)]
    assert codes == [302, 302, 429]

"""Rate limits: log-in, sign-up and password reset refuse POSTs beyond the limit with 429; the owner's browser keeps its own log-in allowance."""

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse

from common.ratelimit import DEVICE_COOKIE


@pytest.mark.django_db
@override_settings(
    RATE_LIMITS={
        "login": (3, 300),
        "login_account": (10, 300),
        "signup": (5, 3600),
        "password_reset": (2, 3600),
        "lab_submit": (30, 3600),
        "lab_predict": (5, 3600),
    }
)
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
@override_settings(
    RATE_LIMITS={
        "login": (3, 300),
        "login_account": (10, 300),
        "signup": (5, 3600),
        "password_reset": (2, 3600),
        "lab_submit": (30, 3600),
        "lab_predict": (5, 3600),
    }
)
def test_password_reset_is_rate_limited(client):
    """Password-reset requests are limited too, so nobody can flood a mailbox."""
    url = reverse("password_reset")
    codes = [client.post(url, {"email": "a@example.org"}).status_code for _ in range(3)]
    assert codes == [302, 302, 429]


LIMITS = {
    "login": (3, 300),
    "login_account": (4, 600),
    "signup": (2, 3600),
    "password_reset": (2, 3600),
    "lab_submit": (30, 3600),
    "lab_predict": (5, 3600),
}


def _guess(client, username="alice", addr="10.0.0.1", path=None):
    return client.post(path or reverse("login"), {"username": username, "password": "wrong"}, REMOTE_ADDR=addr)


@pytest.mark.django_db
@override_settings(RATE_LIMITS=LIMITS)
def test_signing_in_does_not_give_an_address_a_fresh_log_in_count(client, django_user_model):
    """Log-in POSTs count per address whatever the session: guesses made while signed in (as
    any of one's own accounts) share the address's count with anonymous ones."""
    mallory = django_user_model.objects.create_user("mallory", password="a-long-pass-42")
    eve = django_user_model.objects.create_user("eve", password="a-long-pass-42")
    assert _guess(client, "victim1").status_code == 200
    client.force_login(mallory)
    assert _guess(client, "victim2").status_code == 200
    client.force_login(eve)
    assert _guess(client, "victim3").status_code == 200
    refused = _guess(client, "victim4")
    assert refused.status_code == 429 and refused["Retry-After"] == "300"
    assert _guess(client, "victim5", addr="10.0.0.9").status_code == 200, "another address is counted apart"


@pytest.mark.django_db
@override_settings(RATE_LIMITS=LIMITS)
def test_guesses_at_one_account_are_limited_from_any_address(client, django_user_model):
    """The account named is counted however it is typed (case, spaces, Unicode forms), from
    any address; over its limit even the right password is refused. Other accounts still work."""
    django_user_model.objects.create_user("alice", password="a-long-pass-42")
    codes = [
        _guess(client, name, addr=f"10.0.1.{i}").status_code for i, name in enumerate(["alice", " ALICE ", "Alice", "\uff41lice"])
    ]  # fullwidth a: NFKC gives a
    assert codes == [200, 200, 200, 200]
    refused = client.post(reverse("login"), {"username": "alice", "password": "a-long-pass-42"}, REMOTE_ADDR="10.0.1.99")
    assert refused.status_code == 429 and refused["Retry-After"] == "600"
    assert "_auth_user_id" not in client.session
    assert _guess(client, "bob", addr="10.0.1.98").status_code == 200


@pytest.mark.django_db
@override_settings(RATE_LIMITS=LIMITS)
def test_the_admin_log_in_shares_the_log_in_limits(client):
    """/admin/login/ is a log-in form too: it counts against the same address and account."""
    assert _guess(client, "root", path="/admin/login/").status_code == 200
    assert _guess(client, "root", path=reverse("login")).status_code == 200
    assert _guess(client, "root", path="/admin/login/").status_code == 200
    assert _guess(client, "root", path="/admin/login/").status_code == 429
    assert _guess(client, "root", path="/admin/login/", addr="10.0.2.1").status_code == 429, "the account's limit"
    assert client.get("/admin/login/").status_code == 200


@pytest.mark.django_db
@override_settings(RATE_LIMITS=LIMITS)
def test_signing_up_does_not_give_an_address_a_fresh_sign_up_count(client, django_user_model):
    """Each sign-up signs the new account in; the next sign-up from that address is still
    counted against the address, so one address cannot create accounts without end."""
    url = reverse("quizzes:signup")
    for name in ("first", "second"):
        response = client.post(
            url,
            {"username": name, "password1": "a-long-passphrase-42", "password2": "a-long-passphrase-42"},
            REMOTE_ADDR="10.0.3.1",
        )
        assert response.status_code == 302
    third = client.post(
        url,
        {"username": "third", "password1": "a-long-passphrase-42", "password2": "a-long-passphrase-42"},
        REMOTE_ADDR="10.0.3.1",
    )
    assert third.status_code == 429
    assert not django_user_model.objects.filter(username="third").exists()


@pytest.mark.django_db
@override_settings(RATE_LIMITS=LIMITS)
def test_password_reset_is_counted_per_address_when_signed_in(client, django_user_model):
    client.post(reverse("password_reset"), {"email": "a@example.org"}, REMOTE_ADDR="10.0.4.1")
    client.force_login(django_user_model.objects.create_user("someone", password="a-long-pass-42"))
    assert client.post(reverse("password_reset"), {"email": "a@example.org"}, REMOTE_ADDR="10.0.4.1").status_code == 302
    assert client.post(reverse("password_reset"), {"email": "a@example.org"}, REMOTE_ADDR="10.0.4.1").status_code == 429


# ----------------------------------------------------------------------------- device cookies (issue 22, finding 15)


def _sign_in(client, username="alice", password="a-long-pass-42", addr="10.0.5.1", path=None):
    return client.post(path or reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=addr)


@pytest.mark.django_db
@override_settings(RATE_LIMITS=LIMITS)
def test_the_owners_browser_still_signs_in_while_an_attacker_has_used_up_the_account(client, django_user_model):
    """A browser that signed in to the account before carries a device cookie and keeps its own
    allowance: guesses from everywhere else lock out everyone else, not the owner."""
    from django.test import Client

    django_user_model.objects.create_user("alice", password="a-long-pass-42")
    response = _sign_in(client)
    assert response.status_code == 302 and response.cookies[DEVICE_COOKIE]["httponly"]
    client.post(reverse("logout"))  # signing out keeps the device cookie (the test client's logout() drops every cookie)
    attacker = Client()  # the owner's sign-in counted once against the account: three guesses left
    assert [_guess(attacker, addr=f"10.0.6.{i}").status_code for i in range(3)] == [200] * 3
    assert _sign_in(attacker, addr="10.0.6.9").status_code == 429, "the attacker is locked out, even with the password"
    owner = _sign_in(client, addr="10.0.5.2")
    assert owner.status_code == 302 and client.session["_auth_user_id"]


@pytest.mark.django_db
@override_settings(RATE_LIMITS=LIMITS)
def test_a_device_cookie_has_its_own_limit_and_counts_for_its_own_account_only(client, django_user_model):
    """Guesses from the owner's browser run into the device's own limit; its cookie does not
    lift the limit of another account, and a forged or altered cookie counts as none."""
    from django.test import Client

    django_user_model.objects.create_user("alice", password="a-long-pass-42")
    django_user_model.objects.create_user("bob", password="a-long-pass-42")
    _sign_in(client)
    cookie = client.cookies[DEVICE_COOKIE].value
    client.post(reverse("logout"))  # signing out keeps the device cookie (the test client's logout() drops every cookie)
    assert [_guess(client, addr=f"10.0.7.{i}").status_code for i in range(4)] == [200] * 4
    assert _sign_in(client, addr="10.0.7.9").status_code == 429, "this device's own allowance is spent"
    assert _sign_in(Client(), addr="10.0.7.10").status_code == 302, "others' allowance for alice is untouched"
    cache.clear()
    for forged in (cookie[:-2] + "xx", cookie.replace(":", ":z", 1)):
        other = Client()
        other.cookies[DEVICE_COOKIE] = forged
        assert [_guess(other, addr=f"10.0.8.{i}").status_code for i in range(2)] == [200] * 2
    assert _guess(Client(), addr="10.0.8.9").status_code == 429, "the forged cookies' guesses counted against alice"
    cache.clear()
    assert [_guess(Client(), "bob", addr=f"10.0.9.{i}").status_code for i in range(4)] == [200] * 4
    thief = Client()
    thief.cookies[DEVICE_COOKIE] = cookie
    assert _guess(thief, "bob", addr="10.0.9.5").status_code == 429, "alice's cookie gives no allowance for bob"


@pytest.mark.django_db
@override_settings(RATE_LIMITS=LIMITS)
def test_the_admin_log_in_gives_a_device_cookie_too(client, django_user_model):
    django_user_model.objects.create_superuser("root", "root@example.org", "a-long-pass-42")
    response = _sign_in(client, "root", path="/admin/login/")
    assert response.status_code == 302 and DEVICE_COOKIE in response.cookies
    assert _guess(client, "nobody").cookies.get(DEVICE_COOKIE) is None, "a failed log-in gives none"

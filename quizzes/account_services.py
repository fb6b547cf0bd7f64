"""The password-reset mail, queued so that a reset request does the same work for any address."""
from django.contrib.auth.forms import PasswordResetForm
from django.db import transaction


def password_reset_queue(*, email: str, domain: str, use_https: bool) -> None:
    """Queue the reset mail for `email` once the transaction commits.

    Nothing here looks the address up: a request for an address with an account and one
    without cost the same, so the response time tells nobody which addresses have accounts.
    The task (on the `default` queue) does the lookup and the sending.
    """
    from quizzes.tasks import send_password_reset

    transaction.on_commit(lambda: send_password_reset.delay(email, domain, use_https))


def password_reset_send(*, email: str, domain: str, use_https: bool) -> None:
    """Mail a reset link to each active account at `email` that has a usable password, by
    Django's rules and templates (registration/password_reset_email.html); to an address with
    no account, nothing. Links point at `domain` over https when `use_https`."""
    form = PasswordResetForm({"email": email})
    if form.is_valid():
        form.save(domain_override=domain, use_https=use_https)

"""The password-reset mail itself, sent by the worker's task (`accounts.password_reset_queue` queues it)."""

from django.contrib.auth.forms import PasswordResetForm


def password_reset_send(*, email: str, domain: str, use_https: bool) -> None:
    """Mail a reset link to each active account at `email` that has a usable password, by
    Django's rules and templates (registration/password_reset_email.html); to an address with
    no account, nothing. Links point at `domain` over https when `use_https`."""
    form = PasswordResetForm({"email": email})
    if form.is_valid():
        form.save(domain_override=domain, use_https=use_https)

"""The sign-up form, and reading the letters a student picked from an answer form."""
from django import forms
from django.contrib.auth.forms import PasswordResetForm, UserCreationForm
from django.contrib.auth.models import User
from django.contrib.sites.shortcuts import get_current_site

from quizzes import account_services


class SignupForm(UserCreationForm):
    email = forms.EmailField(required=False, help_text="Optional; needed only to reset a forgotten password.")

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")


class QueuedPasswordResetForm(PasswordResetForm):
    """Django's password-reset form, except that save() only queues the mail: the request
    looks no address up, so it takes the same time whether or not an account has it."""

    def save(self, domain_override=None, use_https=False, request=None, **django_defaults):
        # The view passes Django's default templates, token generator and sender; the task
        # sends with those same defaults (account_services.password_reset_send).
        domain = domain_override or get_current_site(request).domain
        account_services.password_reset_queue(email=self.cleaned_data["email"], domain=domain, use_https=use_https)


def answer_letters(data) -> list[str]:
    """The letters a student picked: what the answer form posts as `answer` (one or several)."""
    return [x.strip().upper() for x in data.getlist("answer") if x.strip()][:26]

"""Forms of the quiz pages: sign-up, the letters or typed text an answer posts, a flashcard's rating."""

from django import forms
from django.contrib.auth.forms import PasswordResetForm, UserCreationForm
from django.contrib.auth.models import User
from django.contrib.sites.shortcuts import get_current_site

from courses.classes import class_code_check
from quizzes.scheduler import RATINGS
from quizzes.services.accounts import password_reset_queue


class SignupForm(UserCreationForm):
    email = forms.EmailField(required=False, help_text="Optional; needed only to reset a forgotten password.")
    class_code = forms.CharField(
        required=False, max_length=32, label="Class code", help_text="Optional; the code your teacher gave the class, to join it."
    )

    def clean_class_code(self) -> str:
        code = self.cleaned_data.get("class_code", "")
        if code.strip():
            class_code_check(code=code)  # unknown or expired: the field says so; a full class is the service's to say
        return code

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")


class QueuedPasswordResetForm(PasswordResetForm):
    """Django's password-reset form, except that save() only queues the mail: the request
    looks no address up, so it takes the same time whether or not an account has it."""

    def save(self, domain_override=None, use_https=False, request=None, **django_defaults):
        # The view passes Django's default templates, token generator and sender; the task
        # sends with those same defaults (services.reset_mail.password_reset_send).
        domain = domain_override or get_current_site(request).domain
        password_reset_queue(email=self.cleaned_data["email"], domain=domain, use_https=use_https)


def answer_letters(data) -> list[str]:
    """The letters a student picked: what the answer form posts as `answer` (one or several)."""
    return [x.strip().upper() for x in data.getlist("answer") if x.strip()][:26]


def answer_typed(data) -> str:
    """What a student typed for a numeric or short-answer question (`typed`), as sent: the service
    cleans it and refuses an empty or overlong one with its own message."""
    return data.get("typed", "")


class FlashcardRatingForm(forms.Form):
    """A rating as a turned flashcard's form posts it: which card, how many ratings it had, which button."""

    _STALE = dict.fromkeys(("required", "invalid", "min_value"), "This card's form is incomplete: turn the card over again.")
    card = forms.IntegerField(min_value=1, error_messages=_STALE)
    reviews = forms.IntegerField(min_value=0, error_messages=_STALE)
    rating = forms.ChoiceField(
        choices=[(name, name.title()) for name in RATINGS],
        error_messages={
            "required": "Rate the card: Again, Hard, Good or Easy.",
            "invalid_choice": "Rate the card: Again, Hard, Good or Easy.",
        },
    )

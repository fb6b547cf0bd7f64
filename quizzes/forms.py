"""The sign-up form, and reading the letters a student picked from an answer form."""
from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User


class SignupForm(UserCreationForm):
    email = forms.EmailField(required=False, help_text="Optional; needed only to reset a forgotten password.")

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")


def answer_letters(data) -> list[str]:
    """The letters a student picked: what the answer form posts as `answer` (one or several)."""
    return [x.strip().upper() for x in data.getlist("answer") if x.strip()][:26]

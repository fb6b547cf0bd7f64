"""The question change form and its inlines, checked like the loader, read as the content question_save writes.

Weights are typed in percent as in the lesson files and GIFT (-100..100, shown `100`, `0`,
`-50`) and stored as today's fraction. A choice names its common mistake by number: the
mistakes inline's order (1 the first row kept), so a mistake added in the same save can be
linked at once; the number is resolved when the question is saved.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from quizzes.authoring.questions import ChoiceContent, QuestionContent
from quizzes.grading import validate_choices, validate_no_letter_reference
from quizzes.models import Choice, Hint, Mistake, SolutionStep
from quizzes.typed import tolerance_decimal, validate_answers
from quizzes.vocabulary import TYPED_KINDS

# Error code: a choice names a mistake number the mistakes inline has no row for.
NO_SUCH_MISTAKE = "no_such_mistake"

_HUNDRED = Decimal(100)


def percent_text(fraction: Decimal) -> str:
    """A stored fraction as the percent an author types: 1 -> "100", 0 -> "0", -0.5 -> "-50", 1/3 -> "33.33333"."""
    text = f"{(Decimal(fraction) * _HUNDRED).normalize():f}"
    return "0" if text in ("-0", "0") else text


def _kept(formset) -> list:
    """The formset's rows that stay, in the order of their position field."""
    forms_ = [f for f in formset.forms if getattr(f, "cleaned_data", None) and not f.cleaned_data.get("DELETE")]
    return sorted(forms_, key=lambda f: (f.cleaned_data.get("position") or 0, formset.forms.index(f)))


def _kept_mistakes(formset) -> list:
    return [f for f in _kept(formset) if f.cleaned_data.get("text")]


class ChoiceFormSet(forms.BaseInlineFormSet):
    """The same rules as the content loader: quizzes.grading.validate_choices, or for a typed
    question (its choices are the answers typed text is matched against) quizzes.typed.validate_answers.
    `mistakes_formset` (set by the admin) is the same page's mistakes inline, which mistake numbers name."""

    mistakes_formset = None

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        rows = [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get("text")
        ]
        if self.instance.kind in TYPED_KINDS:
            validate_answers(
                self.instance.kind, [(row["text"], row["fraction"], tolerance_decimal(row.get("tolerance") or 0)) for row in rows]
            )
        else:
            validate_choices(self.instance.kind, [row["fraction"] for row in rows])
        count = len(_kept_mistakes(self.mistakes_formset)) if self.mistakes_formset is not None else 0
        for row in rows:
            number = row.get("mistake_number")
            if number and number > count:
                raise ValidationError(
                    "A choice names mistake %(number)s; the common mistakes above have %(count)s.",
                    code=NO_SUCH_MISTAKE,
                    params={"number": number, "count": count},
                )


class LetterFreeForm(forms.ModelForm):
    """Text that explains an answer must name choices by content, never by letter."""

    letter_free_fields: tuple[str, ...] = ()

    def clean(self):
        data = super().clean()
        for name in self.letter_free_fields:
            try:
                validate_no_letter_reference(data.get(name, ""))
            except ValidationError as exc:
                self.add_error(name, exc)
        return data


class ChoiceForm(LetterFreeForm):
    letter_free_fields = ("feedback",)

    fraction = forms.DecimalField(
        label="Weight %",
        min_value=-100,
        max_value=100,
        decimal_places=5,
        initial=0,
        widget=forms.NumberInput(attrs={"step": "any", "class": "weight-input"}),
        help_text="Percent of the marks, -100 to 100 as in the lesson files. Correct choices are those above 0.",
    )
    mistake_number = forms.IntegerField(
        label="Mistake #",
        required=False,
        min_value=1,
        widget=forms.NumberInput(attrs={"class": "mistake-number-input"}),
        help_text="The number of a row of the common mistakes above (1 is the first), saved with the question; empty: none.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tolerance"].required = False  # only numeric answers have one; empty is 0
        if self.instance.pk:
            self.initial["fraction"] = percent_text(self.instance.fraction)
            if self.instance.mistake_id:
                order = list(self.instance.question.mistakes.order_by("position", "id").values_list("id", flat=True))
                self.initial["mistake_number"] = order.index(self.instance.mistake_id) + 1

    def clean_fraction(self):
        return (self.cleaned_data["fraction"] / _HUNDRED).quantize(Decimal("0.0000001"))

    def clean_tolerance(self):
        return self.cleaned_data.get("tolerance") or 0


class StepForm(LetterFreeForm):
    letter_free_fields = ("title", "body")


class HintForm(LetterFreeForm):
    letter_free_fields = ("text",)


class QuestionForm(LetterFreeForm):
    letter_free_fields = ("quick_check",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "position" in self.fields:
            self.fields["position"].required = False
            self.fields["position"].help_text = "Empty: after the lesson's last question."
            if not self.instance.pk:
                self.initial.pop("position", None)
                self.fields["position"].initial = None


def admin_content(form, formsets) -> QuestionContent:
    """The question form and its inlines as the content question_save compares and writes."""
    by_model = {fs.model: fs for fs in formsets}
    mistakes = _kept_mistakes(by_model[Mistake])
    choices = []
    for f in _kept(by_model[Choice]):
        row = f.cleaned_data
        if not row.get("text"):
            continue
        choices.append(
            ChoiceContent(
                text=row["text"],
                fraction=row["fraction"],
                feedback=row.get("feedback") or "",
                tolerance=row.get("tolerance") or 0,
                mistake=row.get("mistake_number") or None,
                lineage=row["id"].lineage_id if row.get("id") else None,
            )
        )
    data = form.cleaned_data
    return QuestionContent(
        kind=data["kind"],
        stem=data["stem"],
        quick_check=data.get("quick_check") or "",
        choices=tuple(choices),
        steps=tuple((f.cleaned_data["title"], f.cleaned_data["body"]) for f in _kept(by_model[SolutionStep])),
        hints=tuple(f.cleaned_data["text"] for f in _kept(by_model[Hint])),
        mistakes=tuple(f.cleaned_data["text"] for f in mistakes),
    )

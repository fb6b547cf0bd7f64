"""A question as one student sees it: choices in their order and lettered, with their answer and its grade (and the staff preview)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils import timezone

from quizzes.grading import Grade, grade, letter
from quizzes.models import Choice, Question, Response
from quizzes.typed import MAX_TYPED_LENGTH, TypedAnswer, TypedGrade, clean_typed, grade_typed, tolerance_decimal
from quizzes.vocabulary import TYPED_KINDS

# Error codes of an answer that cannot be graded (a typed one's are quizzes.typed's).
NO_CHOICE = "no_choice"
UNKNOWN_CHOICE = "unknown_choice"


def full_questions():
    return Question.objects.prefetch_related(
        Prefetch("choices", queryset=Choice.objects.select_related("mistake")), "steps", "hints", "mistakes"
    )


@dataclass
class ShownChoice:
    letter: str
    choice: Choice
    chosen: bool = False


@dataclass
class ShownQuestion:
    """A question as one student sees it: choices in their order, lettered, with their answer.
    A typed question has no choices; its `answers` are what the typed text was matched against."""

    number: int
    question: Question
    choices: list[ShownChoice]
    response: Response | None = None
    hints: list = field(default_factory=list)  # the hints revealed so far
    answers: list[Choice] = field(default_factory=list)  # typed kinds only, in authored order
    typed_max_length = MAX_TYPED_LENGTH  # the answer field's maxlength

    @property
    def answered(self) -> bool:
        return bool(self.response and self.response.answered)

    @property
    def typed(self) -> bool:
        return self.question.kind in TYPED_KINDS

    @property
    def accepted_answers(self) -> list[Choice]:
        """A typed question's answers that earn full credit."""
        return [a for a in self.answers if a.fraction >= 1]

    @property
    def matched_answer(self) -> Choice | None:
        """The answer the typed text matched, None when it matched none (or nothing was typed yet)."""
        chosen = set(self.response.chosen_choice_ids) if self.response else set()
        return next((a for a in self.answers if a.id in chosen), None)

    @property
    def correct_choices(self) -> list[ShownChoice]:
        return [c for c in self.choices if c.choice.is_correct]

    @property
    def chosen_choices(self) -> list[ShownChoice]:
        return [c for c in self.choices if c.chosen]

    @property
    def input_type(self) -> str:
        return "checkbox" if self.question.kind == "multiple" else "radio"


def shown_question(question: Question, order: list[int], response: Response | None, number: int = 1) -> ShownQuestion:
    hints = list(question.hints.all())[: response.hints_used] if response else []
    if question.kind in TYPED_KINDS:
        return ShownQuestion(number, question, [], response, hints, answers=list(question.choices.all()))
    by_id = {c.id: c for c in question.choices.all()}
    ids = [i for i in (response.shown_choice_ids if response and response.shown_choice_ids else order) if i in by_id]
    ids += [i for i in by_id if i not in ids]  # a choice added after the attempt began
    chosen = set(response.chosen_choice_ids) if response else set()
    choices = [ShownChoice(letter(n), by_id[i], i in chosen) for n, i in enumerate(ids)]
    return ShownQuestion(number, question, choices, response, hints)


def answer_grade(
    *, question: Question, order: list[int], letters: list[str] = (), typed: str = ""
) -> tuple[list[int], Grade | TypedGrade]:
    """How an answer to `question` is marked, writing nothing: the letters picked among the choices
    shown in `order`, or for a typed question what was typed. Returns (the ids of the choices
    chosen, or of the typed answer matched, and the grade). Raises ValidationError (NO_CHOICE,
    UNKNOWN_CHOICE, or quizzes.typed's codes) for an answer that cannot be graded."""
    if question.kind in TYPED_KINDS:
        answers = [TypedAnswer(c.id, c.text, c.fraction, tolerance_decimal(c.tolerance)) for c in question.choices.all()]
        result = grade_typed(question.kind, answers, typed)
        return ([result.answer_id] if result.answer_id is not None else []), result
    by_letter = {letter(i): choice_id for i, choice_id in enumerate(order)}
    if not letters:
        raise ValidationError("Choose an answer first.", code=NO_CHOICE)
    if any(x not in by_letter for x in letters):
        raise ValidationError("That choice is not one of this question's.", code=UNKNOWN_CHOICE)
    chosen = [by_letter[x] for x in sorted(set(letters), key=lambda x: (len(x), x))]
    return chosen, grade(question.kind, {c.id: c.fraction for c in question.choices.all()}, chosen)


@dataclass
class Preview:
    """The staff preview of a question answered as the author chose, as a student would see it."""

    shown: ShownQuestion  # the answer form, with the author's answer filled in
    answered: ShownQuestion | None  # that answer graded; None when it could not be graded
    error: ValidationError | None  # why it could not (what a student would be told)
    filled_correct: bool  # the answer is the question's correct one, filled in by the preview
    typed: str  # what the author typed, kept in the form ("" when the correct answer was filled in)


def question_preview(*, pk: int, letters: list[str] | None = None, typed: str | None = None) -> Preview:
    """A question answered with `letters` (choices in authored order) or `typed`, graded as a
    student's answer is but saved nowhere, for staff. With neither, the correct answer is filled
    in: every correct choice, or a typed question's first full-credit answer as written."""
    question = get_object_or_404(full_questions().select_related("lesson"), pk=pk)
    is_typed = question.kind in TYPED_KINDS
    order = [] if is_typed else [c.id for c in question.choices.all()]
    filled = letters is None and typed is None
    if filled and is_typed:
        typed = next((c.text for c in question.choices.all() if c.fraction >= 1), "")
    elif filled:
        letters = [letter(n) for n, c in enumerate(question.choices.all()) if c.is_correct]
    letters, typed = letters or [], typed or ""
    form = Response(shown_choice_ids=order, chosen_choice_ids=[i for n, i in enumerate(order) if letter(n) in letters])
    shown = shown_question(question, order, None if filled else form)  # the correct answer is not ticked "before answering"
    typed_shown = "" if filled else typed
    try:
        chosen, result = answer_grade(question=question, order=order, letters=letters, typed=typed)
    except ValidationError as exc:
        return Preview(shown, None, exc, filled, typed_shown)
    response = Response(
        shown_choice_ids=order,
        chosen_choice_ids=chosen,
        typed_answer=clean_typed(typed) if is_typed else "",
        correct=result.correct,
        marks=Decimal(result.marks),
        answered_at=timezone.now(),
    )
    return Preview(shown, shown_question(question, order, response), None, filled, typed_shown)

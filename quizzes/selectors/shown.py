"""A question as one student sees it: choices in their order and lettered, with their answer (and the staff preview)."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils import timezone

from quizzes.grading import letter
from quizzes.models import Choice, Question, Response
from quizzes.typed import MAX_TYPED_LENGTH
from quizzes.vocabulary import TYPED_KINDS


def full_questions():
    return Question.objects.prefetch_related(
        Prefetch("choices", queryset=Choice.objects.select_related("mistake")),
        "steps", "hints", "mistakes",
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


def question_preview(*, pk: int) -> tuple[ShownQuestion, ShownQuestion]:
    """A question before and after a (made-up, unsaved) correct answer, for staff."""
    question = get_object_or_404(full_questions().select_related("lesson"), pk=pk)
    order = [] if question.kind in TYPED_KINDS else [c.id for c in question.choices.all()]
    if question.kind in TYPED_KINDS:  # typed as the first full-credit answer is written
        first = next((c for c in question.choices.all() if c.fraction >= 1), None)
        chosen, typed = ([first.id], first.text) if first else ([], "")
    else:
        chosen, typed = [c.id for c in question.choices.all() if c.is_correct], ""
    right = Response(
        shown_choice_ids=order, chosen_choice_ids=chosen, typed_answer=typed,
        correct=True, marks=Decimal("1"), answered_at=timezone.now(),
    )
    return shown_question(question, order, None), shown_question(question, order, right)

"""Answering a question of an attempt in the browser, whatever its kind: ticking choices, or typing
into a typed question's box (one of its full-credit answers, or a known wrong one)."""

from quizzes.models import Choice, Question
from quizzes.vocabulary import TYPED_KINDS


def right_positions(attempt, qid) -> list[int]:
    """Where the correct choices of a choice question sit in the order this attempt shows."""
    order = attempt.choice_orders[str(qid)]
    return [i for i, cid in enumerate(order) if Choice.objects.get(pk=cid).is_correct]


def typed_text(question: Question, *, right: bool) -> str:
    """What to type: the first full-credit answer, or the first known wrong one ("0" when there is none)."""
    answers = list(question.choices.all())
    if right:
        return next(a.text for a in answers if a.fraction >= 1)
    return next((a.text for a in answers if a.fraction <= 0), "0")


def fill_answer(page, attempt, qid, *, right: bool = True) -> None:
    """Fill in question `qid` on the page: every correct choice (right) or the first wrong one, or typed text."""
    question = Question.objects.get(pk=qid)
    if question.kind in TYPED_KINDS:
        page.get_by_label("Your answer").fill(typed_text(question, right=right))
        return
    positions = right_positions(attempt, qid)
    if not right:
        positions = [next(i for i in range(len(attempt.choice_orders[str(qid)])) if i not in positions)]
    for i in positions:
        page.locator("input[name=answer]").nth(i).check()

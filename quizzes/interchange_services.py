"""Export of a lesson's questions as GIFT or Aiken, and how both formats map to the site's questions
(the import itself: quizzes/authoring/importing.py).

The parsers and writers are pure (`quizzes.interchange`); this module maps their
`QuestionData` to and from the quiz models and checks every imported question with the same
rules the admin and the lesson loader enforce (`quizzes.grading.validate_choices`,
`validate_no_letter_reference`).

Where the model and the formats differ:

* General feedback (GIFT's `####`) has no field of its own: it becomes the question's last
  worked step, titled `GENERAL_FEEDBACK_TITLE`, and such a step is written back as `####`.
* A GIFT single-answer question may give partial credit to wrong answers (`~%50%almost`);
  our single-answer questions have exactly one correct choice, so partial credit is dropped
  to 0% and the report says so for that question.
* Aiken has no true/false questions: a single-answer question whose choices are exactly
  `True` and `False` is imported as true/false.
* GIFT titles become the question's key; export writes the key as the title, so a round trip
  keeps keys. A title the lesson already has as a key is, as the importer chooses (`existing`):
  an update of that question (a new version, or none when nothing changed: see
  quizzes/authoring/questions.py), skipped, or added as a new question under a fresh key
  (`name-2`). A lesson file's question is never updated by an import: it is skipped and the
  report names the file. The report says which happened to each question.
* Numeric and short-answer questions (GIFT `{#...}` and `{=a =b}`) keep their answers as
  choices: the number and its tolerance (`Choice.tolerance`), or the accepted text. Moodle's
  answer `*` ("any other answer", `~#feedback` or `=%0%*#feedback`) is kept as a choice whose text
  is `*` (quizzes.vocabulary.ANY_ANSWER), matched only by what no other answer matches; a `*`
  inside a short answer is matched as the character (Moodle: any characters), and noted.
* Aiken cannot hold numeric or short questions, GIFT cannot hold a short answer with `->`
  (Moodle reads it as matching): export skips them, each with a Problem naming it.
* Which choice illustrates which common mistake is not carried by either format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import QuerySet

from courses.models import Lesson
from quizzes.interchange import (
    ChoiceData,
    Problem,
    QuestionData,
    aiken_losses,
    aiken_problem,
    check_format,
    dump_aiken,
    dump_gift,
    gift_problem,
)
from quizzes.models import Question

GENERAL_FEEDBACK_TITLE = "General feedback"


@dataclass
class ExportResult:
    text: str
    format: str
    exported: list[Question]
    skipped: list[Question]  # questions the format cannot hold (Aiken: multiple answers, numeric, ...)
    problems: list[Problem] = field(default_factory=list)  # one per skipped question: its key and why
    losses: list[Problem] = field(default_factory=list)  # what written questions lost (Aiken: a stem's layout)

    def notes(self) -> list[str]:
        """What the export left out, for people: each skipped question and each loss, with its code."""
        return [f"skipped {p.message} [{p.code}]" for p in self.problems] + [f"{p.message} [{p.code}]" for p in self.losses]


# --------------------------------------------------------------------------------------------------
# Export


def question_data(question: Question, *, category: str = "") -> QuestionData:
    """A stored question as the interchange formats see it."""
    steps = [(s.title, s.body) for s in question.steps.all()]
    general = ""
    if steps and steps[-1][0] == GENERAL_FEEDBACK_TITLE:
        general = steps.pop()[1]
    return QuestionData(
        kind=question.kind,
        stem=question.stem,
        choices=[
            ChoiceData(text=c.text, fraction=c.fraction, feedback=c.feedback, tolerance=Decimal(repr(c.tolerance)).normalize())
            for c in question.choices.all()
        ],
        title=question.key,
        general_feedback=general,
        difficulty=question.difficulty,
        category=category,
        steps=steps,
        hints=[h.text for h in question.hints.all()],
        mistakes=[m.text for m in question.mistakes.all()],
        quick_check=question.quick_check,
    )


def questions_export(
    *, fmt: str, lesson: Lesson | None = None, questions: QuerySet | list[Question] | None = None
) -> ExportResult:
    """Write a lesson's questions (the model quiz and the bank), or the given ones, as GIFT or Aiken.
    GIFT carries the lesson's slug as the category and the difficulty in the category path."""
    check_format(fmt)
    if questions is None:
        if lesson is None:
            raise ValueError("give a lesson or questions")
        questions = Question.objects.filter(lesson=lesson, current=True)
    if isinstance(questions, QuerySet):
        questions = questions.select_related("lesson").prefetch_related("choices", "steps", "hints", "mistakes")
        questions = list(questions.order_by("lesson", "role", "position", "id"))
    data = [question_data(q, category=q.lesson.slug) for q in questions]
    problem_of = gift_problem if fmt == "gift" else aiken_problem
    problems = [problem_of(d) for d in data]
    writable = [d for d, p in zip(data, problems, strict=True) if p is None]
    text = dump_gift(writable) if fmt == "gift" else dump_aiken(writable)[0]
    return ExportResult(
        text=text,
        format=fmt,
        exported=[q for q, p in zip(questions, problems, strict=True) if p is None],
        skipped=[q for q, p in zip(questions, problems, strict=True) if p is not None],
        problems=[p for p in problems if p is not None],
        losses=[loss for d in writable for loss in aiken_losses(d)] if fmt == "aiken" else [],
    )

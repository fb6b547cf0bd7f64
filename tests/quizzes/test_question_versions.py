"""Question versions and ownership: one service saves every question; the loader owns only its file's; import can update."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from courses.content import load_lesson_text
from quizzes.authoring.importing import NEW, SKIP, UPDATE, questions_import
from quizzes.authoring.questions import (
    CREATED,
    NEW_VERSION,
    UNCHANGED,
    ChoiceContent,
    QuestionContent,
    QuestionPlace,
    question_content,
    question_save,
)
from quizzes.identity import Student
from quizzes.models import Question, Response, ReviewItem, Source
from quizzes.selectors.attempts import missed_question_ids
from quizzes.selectors.responses import question_ids_seen
from quizzes.services.attempts import attempt_start
from quizzes.services.responses import response_submit

FILE = """\
course: {slug: c, title: Course, track: ml}
lesson: {slug: l, title: Lesson}
questions:
  practice:
    - key: from-file
      difficulty: easy
      stem: From the file?
      choices:
        - {text: Yes, correct: true}
        - {text: No}
"""

GIFT = """\
::imported-q::Which layer trains when the backbone is frozen? {
  =The new head#Right.
  ~The backbone#It is frozen.
}
"""


def _content(stem="Which?", right=0, texts=("Alpha", "Beta", "Gamma")):
    return QuestionContent(
        kind="single",
        stem=stem,
        choices=tuple(
            ChoiceContent(text=t, fraction=Decimal(1 if i == right else 0), feedback=f"About {t}.") for i, t in enumerate(texts)
        ),
        steps=(("Think", "Carefully."),),
        hints=("Look again.",),
    )


def _save(lesson, content, **place):
    return question_save(lesson=lesson, key="k", content=content, place=QuestionPlace(**place), source=Source.ADMIN)


def test_an_unchanged_save_makes_no_version_and_moves_the_place_in_place(lesson):
    """Saving the same content again changes only where it is asked, on the same row."""
    first = _save(lesson, _content())
    again = _save(lesson, _content(stem="Which?\r\n"), position=5, difficulty="hard")
    assert (first.outcome, again.outcome) == (CREATED, UNCHANGED)
    assert again.question.pk == first.question.pk and (again.question.position, again.question.difficulty) == (5, "hard")
    assert Question.objects.count() == 1


def test_a_changed_question_is_a_new_version_and_the_old_one_is_kept(lesson):
    """Rewording a choice, moving the key and reordering make version 2; version 1 keeps every row it had."""
    v1 = _save(lesson, _content()).question
    old_choices = list(v1.choices.values_list("id", "text", "fraction"))
    saved = _save(lesson, _content(right=1, texts=("Gamma", "Beta, reworded", "Alpha")))
    v2 = saved.question
    v1.refresh_from_db()
    assert saved.outcome == NEW_VERSION and (v2.version, v2.current, v2.active) == (2, True, True)
    assert (v1.current, v1.active) == (False, False)
    assert list(v1.choices.values_list("id", "text", "fraction")) == old_choices
    # lineage: same text, and the one reworded choice continues the one unmatched
    lineage = {c.text: c.lineage_id for c in v2.choices.all()}
    by_text = {text: pk for pk, text, _ in old_choices}
    assert lineage == {"Gamma": by_text["Gamma"], "Beta, reworded": by_text["Beta"], "Alpha": by_text["Alpha"]}
    assert question_content(v2) == _content(right=1, texts=("Gamma", "Beta, reworded", "Alpha"))


def test_the_review_deck_follows_the_question_to_its_new_version(lesson):
    """A student's scheduled review of version 1 is a review of version 2 once it exists."""
    v1 = _save(lesson, _content()).question
    student = Student(user_id=None, anon_id="anon-1")
    attempt = attempt_start(student=student, lesson=lesson, mode="practice")
    wrong = next(i for i, c in enumerate(attempt.choice_orders[str(v1.pk)]) if c != v1.choices.get(fraction=1).pk)
    response_submit(attempt=attempt, question_id=v1.pk, letters=["ABC"[wrong]])
    assert ReviewItem.objects.get().question_id == v1.pk
    v2 = _save(lesson, _content(stem="Which one?")).question
    assert ReviewItem.objects.get().question_id == v2.pk


def test_an_answer_to_the_version_an_attempt_showed_schedules_the_current_version(lesson):
    """A practice round begun before an author's edit is answered on the version it showed, and
    the review it schedules asks the corrected version (the old one is never asked again)."""
    v1 = _save(lesson, _content()).question
    attempt = attempt_start(student=Student(user_id=None, anon_id="anon-2"), lesson=lesson, mode="practice")
    v2 = _save(lesson, _content(stem="Which one?")).question
    wrong = next(i for i, c in enumerate(attempt.choice_orders[str(v1.pk)]) if c != v1.choices.get(fraction=1).pk)
    response_submit(attempt=attempt, question_id=v1.pk, letters=["ABC"[wrong]])
    assert Response.objects.get().question_id == v1.pk
    assert ReviewItem.objects.get().question_id == v2.pk


def test_a_retry_and_the_next_draw_follow_an_edited_question_to_its_current_version(lesson):
    """ "Retry the N you missed" after an author's edit asks each missed question's current version, none
    dropped; and a question seen before the edit still counts as seen, so the next test draws unseen ones first."""
    v1 = {
        k: question_save(
            lesson=lesson, key=k, content=_content(stem=f"Which {k}?"), place=QuestionPlace(), source=Source.ADMIN
        ).question
        for k in ("a", "b", "c")
    }
    student = Student(user_id=None, anon_id="anon-3")
    attempt = attempt_start(student=student, lesson=lesson, mode="practice")
    right = attempt.choice_orders[str(v1["b"].pk)].index(v1["b"].choices.get(fraction=1).pk)
    response_submit(attempt=attempt, question_id=v1["b"].pk, letters=["ABC"[(right + 1) % 3]])  # b answered wrong
    edited = question_save(
        lesson=lesson, key="b", content=_content(stem="Which b, reworded?"), place=QuestionPlace(), source=Source.ADMIN
    )
    assert edited.outcome == NEW_VERSION
    retry = attempt_start(student=student, lesson=lesson, mode="practice", question_ids=missed_question_ids(attempt=attempt))
    assert sorted(retry.question_ids) == sorted([v1["a"].pk, edited.question.pk, v1["c"].pk])
    assert edited.question.pk in question_ids_seen(student=student, lesson=lesson)


def _load(text=FILE):
    return load_lesson_text(text, source="lesson.yaml")


@pytest.mark.django_db
def test_a_reload_leaves_admin_and_imported_questions_alone():
    """Questions authored in the admin or imported are neither deactivated nor deleted by the loader."""
    lesson = _load().lesson
    _save(lesson, _content())
    questions_import(lesson=lesson, data=GIFT)
    _load()
    _load(FILE.replace("From the file?", "From the file, edited?"))
    assert sorted(Question.objects.filter(current=True, active=True).values_list("key", "source")) == [
        ("from-file", "file"),
        ("imported-q", "import"),
        ("k", "admin"),
    ]
    assert Question.objects.get(key="from-file", current=True).version == 2


@pytest.mark.django_db
def test_a_file_key_held_by_an_authors_question_is_not_loaded_and_said():
    """The file never overwrites an author's question of another source: the load reports the clash."""
    lesson = _load(FILE.replace("from-file", "other")).lesson
    question_save(lesson=lesson, key="from-file", content=_content(), place=QuestionPlace(), source=Source.ADMIN)
    result = _load()
    assert result.notes == [
        "question 'from-file' not loaded: the lesson already has a question with that key from admin; "
        "rename it in the file or in the admin"
    ]
    assert Question.objects.get(key="from-file").stem == "Which?"


@pytest.mark.django_db
def test_loadcontent_prints_the_clash(tmp_path):
    path = tmp_path / "lesson.yaml"
    path.write_text(FILE)
    call_command("loadcontent", str(path), stdout=StringIO())
    lesson = Question.objects.get().lesson
    Question.objects.filter(key="from-file").update(source=Source.ADMIN)
    out = StringIO()
    call_command("loadcontent", str(path), stdout=out)
    assert f"{path}: question 'from-file' not loaded" in out.getvalue()
    assert lesson.questions.count() == 1


@pytest.mark.parametrize(
    "existing, outcome, versions, keys",
    [
        (UPDATE, "updated (version 2)", 2, ["imported-q"]),
        (SKIP, "skipped, as asked", 1, ["imported-q"]),
        (NEW, None, 1, ["imported-q", "imported-q-2"]),
    ],
)
def test_importing_a_name_the_lesson_has_updates_skips_or_adds(lesson, existing, outcome, versions, keys):
    """Re-importing a fixed GIFT file updates the question it made (a new version), skips it, or adds a copy."""
    questions_import(lesson=lesson, data=GIFT)
    report = questions_import(
        lesson=lesson, data=GIFT.replace("=The new head#Right.", "=The new head#Right: only it trains."), existing=existing
    )
    assert sorted(Question.objects.filter(current=True).values_list("key", flat=True)) == keys
    assert Question.objects.filter(key="imported-q").count() == versions
    if outcome:
        assert report.lines()[1] == f"line 1: 'imported-q' {outcome}"
        assert "1 the lesson already had" in report.lines()[0]


def test_importing_the_same_file_as_an_update_changes_nothing(lesson):
    questions_import(lesson=lesson, data=GIFT)
    report = questions_import(lesson=lesson, data=GIFT, existing=UPDATE)
    assert report.lines()[1] == "line 1: 'imported-q' unchanged (version 1)"
    assert Question.objects.count() == 1


@pytest.mark.django_db
def test_an_import_never_updates_a_file_question():
    lesson = _load().lesson
    report = questions_import(lesson=lesson, data="::from-file::From the file? {=Yes ~No ~Maybe}", existing=UPDATE)
    assert report.lines()[1] == "line 1: 'from-file' skipped: it comes from the lesson file lesson.yaml; edit it there"
    assert Question.objects.count() == 1


def test_the_lesson_page_quiz_shows_the_version_the_learner_answered(lesson, client):
    """A model-quiz answer stays shown with the question it answered; the open attempt keeps taking answers to it."""
    first = question_save(
        lesson=lesson, key="q1", content=_content(), source=Source.ADMIN, place=QuestionPlace(role="quiz", position=1)
    ).question
    question_save(
        lesson=lesson,
        key="q2",
        content=_content(stem="Second?"),
        source=Source.ADMIN,
        place=QuestionPlace(role="quiz", position=2),
    )
    client.post(reverse("quizzes:quiz_answer", args=[lesson.slug]), {"question": first.pk, "answer": "A"})
    question_save(
        lesson=lesson,
        key="q1",
        content=_content(stem="Which, reworded?"),
        source=Source.ADMIN,
        place=QuestionPlace(role="quiz", position=1),
    )
    page = client.get(lesson.get_absolute_url()).content.decode()
    assert "Which?" in page and "Which, reworded?" not in page
    second = Question.objects.get(key="q2")
    client.post(reverse("quizzes:quiz_answer", args=[lesson.slug]), {"question": second.pk, "answer": "A"})
    assert sorted(Response.objects.values_list("question_id", flat=True)) == [first.pk, second.pk]

"""The question bank in the admin: duplicate, bulk edit, the list's columns, positions, mistakes in one save, weights in percent."""

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courses.content import load_lesson_text
from courses.models import Lesson
from quizzes.authoring.bank import ANSWERED, FILE_QUESTION, KEY_TAKEN, NOT_CURRENT, question_bulk_edit
from quizzes.authoring.questions import ChoiceContent, QuestionContent, QuestionPlace, question_save
from quizzes.grading import letter
from quizzes.identity import Student
from quizzes.models import Question, Source
from quizzes.services.attempts import attempt_start
from quizzes.services.responses import response_submit

CHANGELIST = "admin:quizzes_question_changelist"


@pytest.fixture
def staff(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("admin", "a@example.com", "pw-123456789"))
    return client


def _save(lesson, key="k", stem="Which layer trains?", position=1, difficulty="easy", fractions=(1, 0, 0)):
    content = QuestionContent(
        kind="single",
        stem=stem,
        quick_check="Only the head.",
        choices=tuple(
            ChoiceContent(text=f"Choice {i}", fraction=Decimal(f), feedback=f"Why {i}", mistake=1 if f <= 0 else None)
            for i, f in enumerate(fractions)
        ),
        steps=(("Look", "At the head."),),
        hints=("Think of the frozen part.",),
        mistakes=("Training everything",),
    )
    return question_save(
        lesson=lesson,
        key=key,
        content=content,
        source=Source.ADMIN,
        place=QuestionPlace(position=position, difficulty=difficulty),
    ).question


def _answer(lesson, question, anon="a1"):
    attempt = attempt_start(student=Student(user_id=None, anon_id=anon), lesson=lesson, mode="practice")
    response_submit(attempt=attempt, question_id=question.pk, letters=[letter(0)])


def _file_question():
    load_lesson_text(
        """\
course: {slug: c, title: Course, track: ml}
lesson: {slug: l, title: Lesson}
questions:
  practice:
    - key: from-file
      stem: First?
      difficulty: easy
      choices:
        - {text: Right, correct: true}
        - {text: Wrong}
""",
        source="content/lessons/l.yaml",
    )
    return Question.objects.get(key="from-file")


def _formset(prefix, rows):
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    return data | {f"{prefix}-{i}-{k}": v for i, row in enumerate(rows) for k, v in row.items()}


def _add(staff, lesson, choices, mistakes=(), position=""):
    data = {
        "lesson": lesson.pk,
        "key": "new-q",
        "role": "practice",
        "position": position,
        "difficulty": "easy",
        "kind": "single",
        "stem": "Which?",
        "quick_check": "",
        "active": "on",
    }
    data |= _formset("mistakes", [{"position": i, "text": t} for i, t in enumerate(mistakes, start=1)])
    data |= _formset("choices", [{"position": i, "text": f"c{i}", "feedback": "", **row} for i, row in enumerate(choices)])
    data |= _formset("steps", []) | _formset("hints", [])
    return staff.post(reverse("admin:quizzes_question_add"), data)


def test_duplicate_copies_every_part_under_a_fresh_key(staff, lesson):
    """The action (and the change page's button, which posts it) saves a new admin question, inactive, after the last."""
    original = _save(lesson)
    _save(lesson, key="other", position=7)
    assert 'id="duplicate-question"' in staff.get(reverse("admin:quizzes_question_change", args=[original.pk])).content.decode()
    response = staff.post(reverse(CHANGELIST), {"action": "duplicate_action", "_selected_action": [original.pk]})
    copy = Question.objects.get(key="k-copy")
    assert response.status_code == 302 and response["Location"] == reverse("admin:quizzes_question_change", args=[copy.pk])
    assert (copy.source, copy.version, copy.active, copy.position, copy.stem) == (Source.ADMIN, 1, False, 8, original.stem)
    assert [(c.text, c.fraction, c.feedback, c.mistake.text if c.mistake else None) for c in copy.choices.all()] == [
        (c.text, c.fraction, c.feedback, c.mistake.text if c.mistake else None) for c in original.choices.all()
    ]
    assert [s.title for s in copy.steps.all()] == ["Look"] and [h.text for h in copy.hints.all()] == ["Think of the frozen part."]
    staff.post(reverse(CHANGELIST), {"action": "duplicate_action", "_selected_action": [original.pk]})
    assert Question.objects.filter(key="k-copy-2").exists()


@pytest.mark.django_db
def test_a_lesson_files_question_can_be_duplicated_into_an_admin_question(staff):
    question = _file_question()
    staff.post(reverse(CHANGELIST), {"action": "duplicate_action", "_selected_action": [question.pk]})
    copy = Question.objects.get(key="from-file-copy")
    assert (copy.source, copy.source_file, [c.text for c in copy.choices.all()]) == (Source.ADMIN, "", ["Right", "Wrong"])


def test_bulk_edit_shows_a_form_then_changes_difficulty_and_active_in_place(staff, lesson):
    a, b = _save(lesson, key="a"), _save(lesson, key="b", difficulty="medium")
    url = reverse(CHANGELIST)
    page = staff.post(url, {"action": "bulk_edit_action", "_selected_action": [a.pk, b.pk]})
    assert page.status_code == 200 and 'id="bulk-edit-apply"' in page.content.decode()
    assert Question.objects.get(pk=b.pk).difficulty == "medium"  # the form changed nothing
    response = staff.post(
        url,
        {
            "action": "bulk_edit_action",
            "_selected_action": [a.pk, b.pk],
            "apply": "yes",
            "difficulty": "hard",
            "active": "no",
            "lesson": "",
        },
    )
    assert response.status_code == 302
    assert list(Question.objects.order_by("key").values_list("key", "version", "difficulty", "active")) == [
        ("a", 1, "hard", False),
        ("b", 1, "hard", False),
    ]


def test_bulk_edit_refuses_a_lesson_files_question_naming_the_file(staff, lesson):
    question, authored = _file_question(), _save(lesson, key="mine")
    response = staff.post(
        reverse(CHANGELIST),
        {
            "action": "bulk_edit_action",
            "_selected_action": [question.pk, authored.pk],
            "apply": "yes",
            "difficulty": "hard",
            "active": "",
            "lesson": "",
        },
    )
    notes = [str(m) for m in get_messages(response.wsgi_request)]
    assert notes == ["from-file comes from the lesson file content/lessons/l.yaml: edit it there.", "Changed 1 of 2 question(s)."]
    assert Question.objects.get(pk=question.pk).difficulty == "easy" and Question.objects.get(pk=authored.pk).difficulty == "hard"
    with pytest.raises(ValidationError) as refused:
        question_bulk_edit(question, difficulty="hard")
    assert refused.value.code == FILE_QUESTION


def test_moving_a_question_moves_every_version_and_only_while_unanswered(staff, lesson):
    other = Lesson.objects.create(course=lesson.course, slug="other", title="Other", published=True)
    _save(other, key="there", position=4)
    _save(lesson, key="k")
    v2 = _save(lesson, key="k", stem="Which layer trains now?")
    staff.post(
        reverse(CHANGELIST),
        {
            "action": "bulk_edit_action",
            "_selected_action": [v2.pk],
            "apply": "yes",
            "difficulty": "",
            "active": "",
            "lesson": other.pk,
        },
    )
    assert list(Question.objects.filter(key="k").values_list("lesson_id", flat=True)) == [other.pk, other.pk]
    assert Question.objects.get(key="k", current=True).position == 5
    with pytest.raises(ValidationError) as old:
        question_bulk_edit(Question.objects.get(key="k", version=1), lesson=lesson)
    assert old.value.code == NOT_CURRENT
    _save(lesson, key="k")  # the key again in the first lesson
    with pytest.raises(ValidationError) as taken:
        question_bulk_edit(Question.objects.get(key="k", lesson=other, current=True), lesson=lesson)
    assert taken.value.code == KEY_TAKEN
    answered = _save(lesson, key="answered")
    _answer(lesson, answered)
    with pytest.raises(ValidationError) as refused:
        question_bulk_edit(answered, lesson=other)
    assert refused.value.code == ANSWERED and Question.objects.get(pk=answered.pk).lesson_id == lesson.pk


def test_the_list_shows_stem_kind_difficulty_usage_and_lint_count_in_a_constant_number_of_queries(staff, lesson):
    question = _save(lesson, stem="Which **layer** trains\nwhen the backbone is frozen? " + "Long words. " * 20)
    _answer(lesson, question, "a1")
    _answer(lesson, question, "a2")
    _save(lesson, key="k", stem="Which layer trains, version two?")  # usage counts every version's attempts
    with CaptureQueriesContext(connection) as few:
        page = staff.get(reverse(CHANGELIST)).content.decode()
    assert "Which layer trains, version two?" in page and "Single answer" in page and "Easy" in page
    row = page[page.index('class="field-used_in"') :]
    assert row.startswith('class="field-used_in">2 attempts<')
    lint = page[page.index('class="field-lint_count"') :]
    assert lint.startswith('class="field-lint_count">0<')
    long_stem = _save(lesson, key="long", stem="Which **layer** trains\nwhen the backbone is frozen? " + "Long words. " * 20)
    listed = staff.get(reverse(CHANGELIST)).content.decode()
    assert "Which **layer** trains when the backbone is frozen? Long words." in listed and long_stem.stem not in listed
    for n in range(4):
        _save(lesson, key=f"more{n}", fractions=(1, 0))
    with CaptureQueriesContext(connection) as many:
        staff.get(reverse(CHANGELIST))
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_lint_count_counts_the_linters_findings(staff, lesson):
    """A hint that repeats the correct choice is a finding on the list as on the change page."""
    question_save(
        lesson=lesson,
        key="giveaway",
        source=Source.ADMIN,
        place=QuestionPlace(),
        content=QuestionContent(
            kind="single",
            stem="Which layer trains?",
            hints=("The answer is: Only the new head",),
            choices=(
                ChoiceContent(text="Only the new head", fraction=Decimal(1), feedback="Yes."),
                ChoiceContent(text="Every layer", fraction=Decimal(0), feedback="No."),
            ),
        ),
    )
    page = staff.get(reverse(CHANGELIST)).content.decode()
    count = int(page[page.index('class="field-lint_count">') + len('class="field-lint_count">') :].split("<")[0])
    assert count >= 1


def test_a_new_question_goes_after_the_lessons_last_question(staff, lesson):
    _save(lesson, key="a", position=3)
    _save(lesson, key="b", position=9)
    assert _add(staff, lesson, [{"fraction": "100"}, {"fraction": "0"}]).status_code == 302
    assert Question.objects.get(key="new-q").position == 10


def test_a_choice_links_a_mistake_added_in_the_same_save(staff, lesson):
    response = _add(
        staff,
        lesson,
        [{"fraction": "100"}, {"fraction": "0", "mistake_number": "2"}],
        mistakes=["Training everything", "Freezing the head"],
    )
    assert response.status_code == 302
    question = Question.objects.get(key="new-q")
    assert [c.mistake.text if c.mistake else None for c in question.choices.all()] == [None, "Freezing the head"]
    page = staff.get(reverse("admin:quizzes_question_change", args=[question.pk])).content.decode()
    assert 'name="choices-1-mistake_number" value="2"' in page


def test_a_mistake_number_with_no_such_mistake_is_refused(staff, lesson):
    response = _add(staff, lesson, [{"fraction": "100"}, {"fraction": "0", "mistake_number": "2"}], mistakes=["Only one"])
    assert response.status_code == 200 and not Question.objects.exists()
    errors = response.context["inline_admin_formsets"][1].formset.non_form_errors().as_data()
    assert [e.code for e in errors] == ["no_such_mistake"]


def test_weights_are_percent_in_the_admin_and_fractions_in_the_database(staff, lesson):
    question_save(
        lesson=lesson,
        key="m",
        source=Source.ADMIN,
        place=QuestionPlace(),
        content=QuestionContent(
            kind="multiple",
            stem="Which two?",
            choices=(
                ChoiceContent(text="A", fraction=Decimal("0.5")),
                ChoiceContent(text="B", fraction=Decimal("0.5")),
                ChoiceContent(text="C", fraction=Decimal("-0.5")),
                ChoiceContent(text="D", fraction=Decimal(0)),
            ),
        ),
    )
    page = staff.get(reverse("admin:quizzes_question_change", args=[Question.objects.get().pk])).content.decode()
    values = [page.split(f'name="choices-{i}-fraction" value="')[1].split('"')[0] for i in range(4)]
    assert values == ["50", "50", "-50", "0"] and "E-7" not in page
    response = _add(staff, lesson, [{"fraction": "100"}, {"fraction": "-33.33333"}])
    assert response.status_code == 302
    assert [c.fraction for c in Question.objects.get(key="new-q").choices.all()] == [Decimal(1), Decimal("-0.3333333")]
    refused = _add(staff, lesson, [{"fraction": "1.5"}, {"fraction": "150"}])
    assert [e.code for e in refused.context["inline_admin_formsets"][1].formset.forms[1].errors.as_data()["fraction"]] == [
        "max_value"
    ]


@pytest.mark.django_db
def test_a_read_only_question_shows_weights_in_percent_and_mistake_numbers(staff):
    """A lesson file's question, read-only in the admin, shows `100` and `0`, never `1.0000000` or `0E-7`."""
    question = _file_question()
    page = staff.get(reverse("admin:quizzes_question_change", args=[question.pk])).content.decode()
    weights = [cell.split("</div>")[0].strip() for cell in page.split('<div class="readonly">')[1:]]
    assert "100" in weights and "0" in weights and "1.0000000" not in page and "E-7" not in page
    assert "Mistake #" in page

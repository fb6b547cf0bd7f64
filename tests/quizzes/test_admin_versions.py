"""The admin and versions: an edit is a new version with its changes listed, a file's question is edited in its file, regrade is an action."""

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from courses.content import load_lesson_text
from quizzes.admin_forms import percent_text
from quizzes.authoring.questions import ChoiceContent, QuestionContent, QuestionPlace, question_save
from quizzes.grading import letter
from quizzes.identity import Student
from quizzes.models import Attempt, Question, Response, Source
from quizzes.services.attempts import attempt_start
from quizzes.services.responses import response_submit


@pytest.fixture
def staff(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("admin", "a@example.com", "pw-123456789"))
    return client


def _question(lesson):
    content = QuestionContent(
        kind="single",
        stem="Which?",
        choices=(ChoiceContent(text="Alpha", fraction=Decimal(1)), ChoiceContent(text="Beta", fraction=Decimal(0))),
    )
    return question_save(lesson=lesson, key="k", content=content, place=QuestionPlace(), source=Source.ADMIN).question


def _change_data(question, **choice_changes):
    """The change form's POST as the page sends it, with `choice_changes` (index -> fields) applied."""
    data = {
        "role": question.role,
        "position": question.position,
        "difficulty": question.difficulty,
        "kind": question.kind,
        "stem": question.stem,
        "quick_check": question.quick_check,
        "active": "on",
    }
    for prefix in ("mistakes", "steps", "hints"):
        data |= {
            f"{prefix}-TOTAL_FORMS": "0",
            f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-MIN_NUM_FORMS": "0",
            f"{prefix}-MAX_NUM_FORMS": "1000",
        }
    choices = list(question.choices.all())
    data |= {
        "choices-TOTAL_FORMS": str(len(choices)),
        "choices-INITIAL_FORMS": str(len(choices)),
        "choices-MIN_NUM_FORMS": "1",
        "choices-MAX_NUM_FORMS": "1000",
    }
    for i, c in enumerate(choices):
        row = {
            "id": c.pk,
            "question": question.pk,
            "position": c.position,
            "fraction": percent_text(c.fraction),
            "tolerance": 0,
            "text": c.text,
            "feedback": c.feedback,
            "mistake_number": "",
        } | choice_changes.get(str(i), {})
        data |= {f"choices-{i}-{k}": v for k, v in row.items()}
    return data


def test_an_admin_edit_is_a_new_version_listed_with_its_changes(staff, lesson):
    """Moving the key in the admin makes version 2; the page lists both versions, their answers and the diff."""
    v1 = _question(lesson)
    url = reverse("admin:quizzes_question_change", args=[v1.pk])
    response = staff.post(url, _change_data(v1, **{"0": {"fraction": "0"}, "1": {"fraction": "100"}}))
    assert response.status_code == 302
    v2 = Question.objects.get(key="k", current=True)
    assert v2.version == 2 and [c.fraction for c in v2.choices.all()] == [0, 1]
    assert [c.fraction for c in Question.objects.get(pk=v1.pk).choices.all()] == [1, 0]
    page = staff.get(reverse("admin:quizzes_question_change", args=[v2.pk])).content.decode()
    assert 'id="version-2"' in page and 'id="version-1"' in page
    assert "-choice 1 (100%): Alpha" in page and "+choice 1 (0%): Alpha" in page
    assert 'name="key"' not in page and 'name="stem"' in page  # the key names every version: fixed
    changelist = reverse("admin:quizzes_question_changelist")
    assert staff.get(changelist).context["cl"].result_count == 1  # current versions
    assert staff.get(changelist + "?versions=all").context["cl"].result_count == 2
    # unchanged: no third version
    assert staff.post(reverse("admin:quizzes_question_change", args=[v2.pk]), _change_data(v2)).status_code == 302
    assert Question.objects.filter(key="k").count() == 2


def test_editing_a_question_with_answers_warns_first(staff, lesson):
    question = _question(lesson)
    attempt = attempt_start(student=Student(user_id=None, anon_id="a1"), lesson=lesson, mode="practice")
    response_submit(attempt=attempt, question_id=question.pk, letters=[letter(0)])
    response = staff.get(reverse("admin:quizzes_question_change", args=[question.pk]))
    warning = [str(m) for m in get_messages(response.wsgi_request)]
    assert warning == [
        "Learners have answered this question 1 time(s). Saving a change to what they see or how it is "
        "marked makes version 2; their attempts keep the version they saw until you regrade them."
    ]


@pytest.mark.django_db
def test_a_lesson_files_question_is_edited_in_its_file(staff):
    """The admin shows a file's question read-only, naming the file, and refuses a post."""
    load_lesson_text(
        """\
course: {slug: c, title: Course, track: ml}
lesson: {slug: l, title: Lesson}
questions:
  quiz:
    - key: q1
      stem: First?
      choices:
        - {text: Right, correct: true}
        - {text: Wrong}
""",
        source="content/lessons/l.yaml",
    )
    question = Question.objects.get()
    url = reverse("admin:quizzes_question_change", args=[question.pk])
    response = staff.get(url)
    assert [str(m) for m in get_messages(response.wsgi_request)][0].startswith(
        "This question comes from the lesson file content/lessons/l.yaml: edit it there"
    )
    assert 'name="stem"' not in response.content.decode()
    assert staff.post(url, _change_data(question)).status_code == 403
    assert Question.objects.get().stem == "First?"


def test_regrade_action_shows_the_dry_run_then_regrades(staff, lesson):
    v1 = _question(lesson)
    attempt = attempt_start(student=Student(user_id=None, anon_id="a1"), lesson=lesson, mode="practice")
    order = attempt.choice_orders[str(v1.pk)]
    response_submit(attempt=attempt, question_id=v1.pk, letters=[letter(order.index(v1.choices.get(text="Beta").pk))])
    v2 = question_save(
        lesson=lesson,
        key="k",
        place=QuestionPlace(),
        source=Source.ADMIN,
        content=QuestionContent(
            kind="single",
            stem="Which?",
            choices=(ChoiceContent(text="Alpha", fraction=Decimal(0)), ChoiceContent(text="Beta", fraction=Decimal(1))),
        ),
    ).question
    url = reverse("admin:quizzes_question_changelist")
    page = staff.post(url, {"action": "regrade_action", "_selected_action": [v2.pk]}).content.decode()
    assert f"attempt {attempt.pk} (Practice, anonymous a1): 0% -&gt; 100%" in page and 'id="regrade-apply"' in page
    assert Response.objects.get().question_id == v1.pk
    response = staff.post(url, {"action": "regrade_action", "_selected_action": [v2.pk], "apply": "yes"})
    assert response.status_code == 302
    assert Response.objects.get().question_id == v2.pk and Response.objects.get().correct


def test_deleting_an_answered_question_in_the_admin_keeps_it_inactive(staff, lesson):
    """An answered question is retired, not deleted: its versions stay for the attempts that showed them."""
    question = _question(lesson)
    attempt = attempt_start(student=Student(user_id=None, anon_id="a1"), lesson=lesson, mode="practice")
    response_submit(attempt=attempt, question_id=question.pk, letters=[letter(0)])
    staff.post(reverse("admin:quizzes_question_delete", args=[question.pk]), {"post": "yes"})
    question.refresh_from_db()
    assert (question.current, question.active, question.responses.count()) == (True, False, 1)


def test_a_key_whose_current_version_was_deleted_starts_after_the_kept_versions(lesson):
    _question(lesson)
    question_save(
        lesson=lesson,
        key="k",
        place=QuestionPlace(),
        source=Source.ADMIN,
        content=QuestionContent(
            kind="single",
            stem="Which now?",
            choices=(ChoiceContent(text="A", fraction=Decimal(1)), ChoiceContent(text="B", fraction=Decimal(0))),
        ),
    )
    Question.objects.filter(key="k", current=True).delete()
    assert _question(lesson).version == 2 and Question.objects.filter(key="k", version=1, current=False).exists()


def test_item_statistics_list_each_version_apart(staff, lesson):
    """Answers to version 1 are counted under version 1, not mixed with the corrected version."""
    v1 = _question(lesson)
    attempt = Attempt.objects.create(
        mode="test", lesson=lesson, anon_id="a1", question_ids=[v1.pk], finished_at=timezone.now(), score=1
    )
    Response.objects.create(
        attempt=attempt, question=v1, chosen_choice_ids=[v1.choices.first().pk], correct=True, marks=1, answered_at=timezone.now()
    )
    question_save(
        lesson=lesson,
        key="k",
        place=QuestionPlace(),
        source=Source.ADMIN,
        content=QuestionContent(
            kind="single",
            stem="Which one?",
            choices=(ChoiceContent(text="A", fraction=Decimal(1)), ChoiceContent(text="B", fraction=Decimal(0))),
        ),
    )
    page = staff.get(reverse("admin:quizzes_lesson_statistics", args=[lesson.pk])).content.decode()
    assert ">k</a> (version 1) (inactive)</td>" in page and ">k</a> (version 2)</td>" in page

"""A question skipped in a finished test counts as wrong and as seen, and its solution stays
hidden (issue 15, finding 3): finishing a test at once reveals no solutions."""

import pytest
from django.test import Client
from django.urls import reverse

from quizzes.identity import Student
from quizzes.models import Attempt, Choice, Mode, Question, Role
from quizzes.selectors.responses import question_ids_seen
from quizzes.services import attempts as attempt_services


@pytest.fixture
def student(django_user_model):
    client = Client()
    client.force_login(django_user_model.objects.create_user("sam", password="pw-123456789"))
    return client


def start_test(client, lesson) -> Attempt:
    assert client.post(reverse("quizzes:test_start", args=[lesson.slug]), {"new": "1"}).status_code == 302
    return Attempt.objects.filter(mode=Mode.TEST).latest("id")


def finish(client, attempt) -> str:
    client.post(reverse("quizzes:finish", args=[attempt.pk]))
    return client.get(reverse("quizzes:result", args=[attempt.pk])).content.decode()


def test_finishing_a_test_at_once_reveals_no_solution(student, lesson, make_question):
    """No worked step, final answer, quick check or correct choice's feedback of any of the 10
    questions; each says it was skipped and offers to practise it; the score is 0."""
    for d in ["easy"] * 3 + ["medium"] * 4 + ["hard"] * 3:
        make_question(difficulty=d)
    attempt = start_test(student, lesson)
    result = finish(student, attempt)
    attempt.refresh_from_db()
    assert attempt.score == 0 and result.count("not answered (skipped, counts as wrong)") == 10
    for secret in ("Step title", "Step body", "Final Answer", "Quick Check", "Check it.", "RIGHT-EXPLAINED", "Option "):
        assert secret not in result, f"{secret!r} shown for a skipped question"
    assert result.count('data-code="skipped"') == 10
    assert result.count('name="question"') == 10 and "Practise question 10" in result


def test_answered_questions_keep_their_solutions_and_skipped_ones_do_not(student, lesson, make_question):
    for d in ["easy"] * 3 + ["medium"] * 4 + ["hard"] * 3:
        make_question(difficulty=d)
    attempt = start_test(student, lesson)
    first = Question.objects.get(id=attempt.question_ids[0])
    order = attempt.choice_orders[str(first.id)]
    right = next(i for i, cid in enumerate(order) if Choice.objects.get(id=cid).is_correct)
    student.post(reverse("quizzes:answer", args=[attempt.pk, 1]), {"answer": "ABCD"[right]})
    result = finish(student, attempt)
    assert result.count("Step title 0") == 1 and result.count('data-code="skipped"') == 9
    assert "Retry the 9 you missed" in result, "skipped questions count as wrong"


def test_a_skipped_question_counts_as_seen_for_the_next_draw(student, seed_lesson, monkeypatch):
    """The next test draws the never-seen questions first: with enough of each difficulty left,
    the second test asks only questions the first left out, though the first was finished
    without an answer."""
    seeds = iter([101, 202])  # fixed draws, so the check below is the same on every run
    monkeypatch.setattr(attempt_services.secrets, "randbits", lambda bits: next(seeds))
    pool = set(Question.objects.filter(lesson=seed_lesson, role=Role.PRACTICE, active=True).values_list("id", flat=True))
    first = start_test(student, seed_lesson)
    finish(student, first)
    never_drawn = pool - set(first.question_ids)
    assert len(pool) == 25 and len(never_drawn) == 15  # 5 easy, 6 medium, 4 hard: more than a 3/4/3 draw
    second = start_test(student, seed_lesson)
    assert set(second.question_ids) <= never_drawn


def test_an_unfinished_test_does_not_mark_its_questions_seen(student, seed_lesson):
    first = start_test(student, seed_lesson)
    assert question_ids_seen(student=Student(user_id=first.user_id), lesson=seed_lesson) == set()


def test_practising_one_skipped_question_shows_its_solution_after_an_answer(student, lesson, make_question):
    for d in ["easy"] * 3 + ["medium"] * 4 + ["hard"] * 3:
        make_question(difficulty=d)
    attempt = start_test(student, lesson)
    finish(student, attempt)
    skipped = attempt.question_ids[4]
    response = student.post(reverse("quizzes:practice", args=[lesson.slug]), {"question": skipped})
    practice = Attempt.objects.filter(mode=Mode.PRACTICE).get()
    assert response.url == reverse("quizzes:question", args=[practice.pk, 1]) + "#question"
    assert practice.question_ids == [skipped]
    student.post(reverse("quizzes:answer", args=[practice.pk, 1]), {"answer": "A"})
    page = student.get(reverse("quizzes:question", args=[practice.pk, 1])).content.decode()
    assert "Final Answer" in page and "Step title 0" in page


@pytest.mark.parametrize("value", ["not-a-number", "999999999", "-1", "9" * 30])
def test_practising_a_question_that_is_not_in_the_bank_starts_nothing(student, lesson, make_question, value):
    make_question()
    quiz_question = make_question(role="quiz")
    for sent in (value, str(quiz_question.id)):
        response = student.post(reverse("quizzes:practice", args=[lesson.slug]), {"question": sent})
        assert response.status_code == 302 and response.url == reverse("quizzes:practice", args=[lesson.slug])
    assert not Attempt.objects.exists()


def test_a_finished_practice_still_shows_every_solution(student, lesson, make_question):
    """The rule is for tests: practice shows solutions anyway once a question is answered."""
    make_question()
    make_question()
    student.post(reverse("quizzes:practice", args=[lesson.slug]))
    practice = Attempt.objects.get()
    result = finish(student, practice)
    assert result.count("Step title 0") == 2 and 'data-code="skipped"' not in result

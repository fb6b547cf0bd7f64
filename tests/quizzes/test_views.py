"""Every mode through HTTP, anonymous and signed in; the answer-leak rule; double submits,
finished attempts, per-student isolation and fixed query counts."""

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from quizzes.grading import letter
from quizzes.models import Attempt, Response, ReviewItem


class Elements(HTMLParser):
    """Every start tag with its attributes, in document order, and the visible text."""

    def __init__(self, html):
        super().__init__()
        self.tags, self.text = [], []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


@pytest.fixture
def bank(make_question, lesson):
    return [make_question(difficulty=d) for d in ["easy"] * 4 + ["medium"] * 5 + ["hard"] * 4]


def start(client, lesson, mode):
    url = reverse(f"quizzes:{'test_start' if mode == 'test' else mode}", args=[lesson.slug])
    response = client.post(url)
    assert response.status_code == 302, response
    return Attempt.objects.latest("id")


def letters_for(attempt, question_id, correct=True):
    from quizzes.models import Choice

    order = attempt.choice_orders[str(question_id)]
    right = set(Choice.objects.filter(id__in=order, fraction__gt=0).values_list("id", flat=True))
    return [letter(i) for i, cid in enumerate(order) if (cid in right) == correct][:1]


def answer(client, attempt, number, correct=True):
    qid = attempt.question_ids[number - 1]
    return client.post(reverse("quizzes:answer", args=[attempt.pk, number]), {"answer": letters_for(attempt, qid, correct)})


def assert_no_answer_marker(html, correct_texts=("RIGHT-EXPLAINED",)):
    """Nothing in the page tells the correct choice from the others."""
    for marker in (*correct_texts, "wrong-explained", "Correct answer", "is-correct", "is-wrong", "Final Answer"):
        assert marker not in html, marker
    page = Elements(html)
    inputs = [a for t, a in page.tags if t == "input" and a.get("name") == "answer"]
    labels = [a for t, a in page.tags if t == "label" and a.get("for", "").startswith(("answer-", "quiz-"))]
    assert inputs and labels

    # the choices' inputs and labels differ only by their letter
    def strip(attrs, keys):
        return {k: re.sub(r"[A-Z]+$", "", v or "") for k, v in attrs.items() if k not in keys}

    for elements, skip, key in ((inputs, {"checked"}, "id"), (labels, set(), "for")):
        per_question = {}
        for attrs in elements:
            clean = strip(attrs, skip)
            per_question.setdefault(clean[key], set()).add(tuple(sorted(clean.items())))
        assert all(len(variants) == 1 for variants in per_question.values()), per_question


# --- the model quiz on the lesson page --------------------------------------------------


def test_model_quiz_answer_shows_feedback(client_as, lesson, make_question):
    q1, q2 = make_question(role="quiz"), make_question(role="quiz")
    page = client_as.get(lesson.get_absolute_url()).content.decode()
    assert_no_answer_marker(page)
    assert 'aria-live="polite"' in page and "<fieldset>" in page and "<legend>" in page
    response = client_as.post(reverse("quizzes:quiz_answer", args=[lesson.slug]), {"question": q1.id, "answer": "B"})
    assert response.status_code == 302 and response.url.endswith(f"#quiz-q-{q1.id}")
    page = client_as.get(lesson.get_absolute_url()).content.decode()
    assert "Incorrect" in page and "Feedback 1: wrong-explained" in page and "Correct answer" in page
    client_as.post(reverse("quizzes:quiz_answer", args=[lesson.slug]), {"question": q2.id, "answer": "A"})
    page = client_as.get(lesson.get_absolute_url()).content.decode()
    assert "You answered 1 of 2 correctly." in page
    # try again starts a fresh attempt whose questions are unanswered
    client_as.post(reverse("quizzes:quiz_restart", args=[lesson.slug]))
    assert_no_answer_marker(client_as.get(lesson.get_absolute_url()).content.decode())


def test_refused_model_quiz_answer_saves_nothing(client_as, lesson, make_question):
    """An answer to a question not in the quiz is refused with a message and leaves no attempt."""
    make_question(role="quiz")
    stray = make_question(role="practice")
    response = client_as.post(
        reverse("quizzes:quiz_answer", args=[lesson.slug]), {"question": stray.id, "answer": "A"}, follow=True
    )
    assert "That question is not part of this attempt." in response.content.decode()
    assert not Attempt.objects.exists()


# --- practice -----------------------------------------------------------------------


def test_practice_hint_then_solution(client_as, lesson, bank):
    assert client_as.get(reverse("quizzes:practice", args=[lesson.slug])).status_code == 200
    attempt = start(client_as, lesson, "practice")
    url = reverse("quizzes:question", args=[attempt.pk, 1])
    page = client_as.get(url).content.decode()
    assert_no_answer_marker(page)
    assert "Hint text 0" not in page and "Show a hint" in page
    client_as.post(reverse("quizzes:hint", args=[attempt.pk, 1]))
    page = client_as.get(url).content.decode()
    assert "Hint text 0" in page and "Hint text 1" not in page
    assert_no_answer_marker(page)
    response = answer(client_as, attempt, 1, correct=False)
    assert response.url.endswith("#feedback")
    page = client_as.get(url).content.decode()
    for text in [
        "Incorrect",
        "Step title 0",
        "Step body 1",
        "Final Answer",
        "Quick Check",
        "Common Mistakes",
        "Mistake 0",
        "RIGHT-EXPLAINED",
    ]:
        assert text in page, text
    assert Response.objects.get(attempt=attempt, question_id=attempt.question_ids[0]).hints_used == 1
    # the final answer prints the letter this student saw for the correct choice
    correct = letters_for(attempt, attempt.question_ids[0])[0]
    assert f"Option {correct}</strong>" in page


def test_practice_retry_only_the_missed(client_as, lesson, bank):
    attempt = start(client_as, lesson, "practice")
    for n in range(1, len(attempt.question_ids) + 1):
        answer(client_as, attempt, n, correct=n % 3 != 0)
    result = client_as.get(reverse("quizzes:result", args=[attempt.pk])).content.decode()
    assert "Retry the 4 you missed" in result
    client_as.post(reverse("quizzes:practice", args=[lesson.slug]), {"retry": attempt.pk})
    retry = Attempt.objects.latest("id")
    assert retry.question_ids == [attempt.question_ids[n - 1] for n in (3, 6, 9, 12)]


def test_practice_page_and_lesson_page_count_the_same_bank(client, lesson, make_question):
    """Both count the lesson's active practice questions by difficulty, never a quiz or inactive one."""
    for difficulty in ["easy", "easy", "hard"]:
        make_question(difficulty=difficulty)
    make_question(difficulty="medium", role="quiz")
    retired = make_question(difficulty="medium")
    retired.active = False
    retired.save()
    practice = client.get(reverse("quizzes:practice", args=[lesson.slug])).content.decode()
    assert "3 questions: 2 easy, 0 medium, 1 hard." in practice
    lesson_page = " ".join(client.get(lesson.get_absolute_url()).content.decode().split())
    assert "3 questions with hints and worked solutions: 2 easy, 1 hard." in lesson_page


# --- test this pattern -------------------------------------------------------------


def test_test_mode_hides_feedback_until_finished(client_as, lesson, bank):
    assert "3 easy, 4 medium, 3 hard" in client_as.get(reverse("quizzes:test_start", args=[lesson.slug])).content.decode()
    attempt = start(client_as, lesson, "test")
    assert len(attempt.question_ids) == 10
    response = answer(client_as, attempt, 1, correct=True)
    assert response.url == reverse("quizzes:question", args=[attempt.pk, 2]) + "#question"
    # a test in progress: the answered question and the next one show no marker
    answered_page = client_as.get(reverse("quizzes:question", args=[attempt.pk, 1])).content.decode()
    assert "Answer saved" in answered_page and "Correct." not in answered_page and "RIGHT-EXPLAINED" not in answered_page
    next_page = client_as.get(reverse("quizzes:question", args=[attempt.pk, 2])).content.decode()
    assert_no_answer_marker(next_page)
    assert "Show a hint" not in next_page
    # the result is not available before the end
    assert client_as.get(reverse("quizzes:result", args=[attempt.pk])).status_code == 302
    for n in range(2, 11):
        response = answer(client_as, attempt, n, correct=n <= 8)
    assert response.url == reverse("quizzes:result", args=[attempt.pk])
    result = client_as.get(response.url).content.decode()
    assert "80%" in result and "Pattern strength" in result and "Strong" in result
    assert "Breakdown by difficulty" in result and "Hard" in result and "1 of 3" in result
    assert result.count("Step title 0") == 10  # every question with its solution


def test_abandoned_test_resumes_where_it_stopped(client_as, lesson, bank):
    attempt = start(client_as, lesson, "test")
    answer(client_as, attempt, 1)
    answer(client_as, attempt, 2)
    page = client_as.get(reverse("quizzes:test_start", args=[lesson.slug])).content.decode()
    assert "Resume where you left off" in page
    response = client_as.get(reverse("quizzes:attempt", args=[attempt.pk]))
    assert response.url == reverse("quizzes:question", args=[attempt.pk, 3]) + "#question"

    # choices keep their order on reload
    def choice_labels():
        return re.findall(r'<label for="answer-[A-Z]+">(.*?)</label>', client_as.get(response.url).content.decode())

    first = choice_labels()
    assert len(first) == 4 and first == choice_labels()


def test_finishing_early_scores_unanswered_as_zero(client_as, lesson, bank):
    attempt = start(client_as, lesson, "test")
    answer(client_as, attempt, 1)
    client_as.post(reverse("quizzes:finish", args=[attempt.pk]))
    attempt.refresh_from_db()
    assert attempt.finished and attempt.score_percent == 10
    result = client_as.get(reverse("quizzes:result", args=[attempt.pk])).content.decode()
    assert "not answered" in result and "Needs work" in result


def _due_shown(client, lesson) -> tuple[list[str], list[str]]:
    """The stems the review page lists as due, and the progress page's due column for the lesson."""
    review = client.get(reverse("quizzes:review", args=[lesson.slug])).content.decode()
    progress = client.get(reverse("quizzes:progress")).content.decode()
    row = progress[progress.index(lesson.title) :] if lesson.title in progress else ""
    due_cell = re.search(r"<td>(?:<a [^>]*>)?(\d+ due|0)(?:</a>)?</td>\s*</tr>", row)
    return re.findall(r"<li>(Stem \d+\?)</li>", review), [due_cell.group(1)] if due_cell else []


def test_a_test_in_progress_tells_nothing_about_its_answers(client_as, lesson, make_question, clock):
    """Answers given in a test reach the review deck only when the test is finished, all at once:
    until then the review and progress pages show the same due questions whether the answers
    were right or wrong (here one due question answered right, others wrong), even later on."""
    bank = [make_question(difficulty=d) for d in ["easy"] * 3 + ["medium"] * 4 + ["hard"] * 3]
    practice = start(client_as, lesson, "practice")
    answer(client_as, practice, 1, correct=False)  # in the deck, due a minute later
    clock.advance(timedelta(minutes=1))
    before = _due_shown(client_as, lesson)
    assert before == (["Stem 1?"], ["1 due"])
    attempt = start(client_as, lesson, "test")  # the blueprint draws all ten
    for number, qid in enumerate(attempt.question_ids[:-1], start=1):
        answer(client_as, attempt, number, correct=qid == bank[0].id)
    assert _due_shown(client_as, lesson) == before
    clock.advance(timedelta(minutes=20))  # the wrong answers would have fallen due by now
    assert _due_shown(client_as, lesson) == before
    # finished: the deck takes every answer now (the last one is wrong, the due one is right)
    answer(client_as, attempt, 10, correct=False)
    attempt.refresh_from_db()
    assert attempt.finished and ReviewItem.objects.count() == 10
    clock.advance(timedelta(minutes=1))
    due_stems, _ = _due_shown(client_as, lesson)
    assert sorted(due_stems) == sorted(f"Stem {n}?" for n in range(2, 11))


# --- review and progress ----------------------------------------------------------


def test_review_asks_the_missed_questions(client_as, lesson, bank, clock):
    page = client_as.get(reverse("quizzes:review", args=[lesson.slug])).content.decode()
    assert "Nothing is due" in page
    attempt = start(client_as, lesson, "practice")
    answer(client_as, attempt, 1, correct=False)
    answer(client_as, attempt, 2, correct=True)
    assert "Nothing is due" in client_as.get(reverse("quizzes:review", args=[lesson.slug])).content.decode()
    clock.advance(timedelta(minutes=1))  # FSRS's first learning step
    page = client_as.get(reverse("quizzes:review", args=[lesson.slug])).content.decode()
    assert "1</strong> question due now" in page
    review = start(client_as, lesson, "review")
    assert review.mode == "review" and review.question_ids == [attempt.question_ids[0]]
    answer(client_as, review, 1, correct=True)
    assert "Nothing is due" in client_as.get(reverse("quizzes:review", args=[lesson.slug])).content.decode()


def test_progress_shows_best_and_last_test_and_due(client_as, lesson, bank, clock):
    for correct_until in (8, 5):
        attempt = start(client_as, lesson, "test")
        for n in range(1, 11):
            answer(client_as, attempt, n, correct=n <= correct_until)
    clock.advance(timedelta(minutes=1))  # the missed questions' first learning step
    page = client_as.get(reverse("quizzes:progress")).content.decode()
    row = page[page.index(lesson.title) :]
    assert re.search(r"<td>80%</td>\s*<td>50%</td>\s*<td>2</td>", row), row[:400]
    assert "due" in row


# --- the rules ----------------------------------------------------------------------


def test_double_submit_through_the_form(client, lesson, bank):
    attempt = start(client, lesson, "practice")
    answer(client, attempt, 1, correct=True)
    answer(client, attempt, 1, correct=False)
    responses = Response.objects.filter(attempt=attempt)
    assert responses.count() == 1 and responses.get().correct


def test_finished_attempt_is_immutable_through_the_form(client, lesson, bank):
    attempt = start(client, lesson, "test")
    answer(client, attempt, 1, correct=False)
    client.post(reverse("quizzes:finish", args=[attempt.pk]))
    response = answer(client, attempt, 1, correct=True)
    assert response.url == reverse("quizzes:result", args=[attempt.pk])
    response = answer(client, attempt, 2, correct=True)
    assert Response.objects.filter(attempt=attempt).count() == 1
    assert not Response.objects.get(attempt=attempt).correct
    attempt.refresh_from_db()
    assert attempt.score == 0


def test_students_never_see_each_others_attempts(client, lesson, bank, django_user_model):
    """Another user, another anonymous session, or nobody: 404 for every attempt page."""
    owner = django_user_model.objects.create_user("owner", password="pw-123456789")
    client.force_login(owner)
    attempt = start(client, lesson, "test")
    answer(client, attempt, 1)
    client.post(reverse("quizzes:finish", args=[attempt.pk]))
    assert "10%" in client.get(reverse("quizzes:progress")).content.decode()
    client.logout()
    intruder = django_user_model.objects.create_user("intruder", password="pw-123456789")
    for who in (None, intruder):
        if who:
            client.force_login(who)
        for name, args in [("attempt", [attempt.pk]), ("question", [attempt.pk, 1]), ("result", [attempt.pk])]:
            assert client.get(reverse(f"quizzes:{name}", args=args)).status_code == 404
        for name, args in [("answer", [attempt.pk, 2]), ("hint", [attempt.pk, 2]), ("finish", [attempt.pk])]:
            assert client.post(reverse(f"quizzes:{name}", args=args), {"answer": "A"}).status_code == 404
        assert "10%" not in client.get(reverse("quizzes:progress")).content.decode()
    assert Response.objects.filter(attempt=attempt).count() == 1


def test_anonymous_sessions_are_separate(client, lesson, bank):
    from django.test import Client

    attempt = start(client, lesson, "practice")
    other = Client()
    assert other.get(reverse("quizzes:question", args=[attempt.pk, 1])).status_code == 404


# --- fixed query counts -------------------------------------------------------------


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("mode", ["practice", "test"])
def test_question_pages_use_a_fixed_number_of_queries(client, lesson, make_question, mode, django_assert_num_queries):
    """A 2-choice question with no steps or hints costs as many queries as an 8-choice
    question with 6 steps, 5 hints and 4 mistakes, unanswered and answered."""
    small = make_question(choices=2, steps=0, hints=0, mistakes=0, difficulty="easy")
    large = make_question(choices=8, correct=(1,), steps=6, hints=5, mistakes=4, difficulty="easy")
    if mode == "test":
        from quizzes.models import LessonQuizSettings

        LessonQuizSettings.objects.create(lesson=lesson, easy=2, medium=0, hard=0)
    attempt = start(client, lesson, mode)
    number = {qid: n for n, qid in enumerate(attempt.question_ids, start=1)}

    def url(q):
        return reverse("quizzes:question", args=[attempt.pk, number[q.id]])

    counts = {q.key: _queries(client, url(q)) for q in (small, large)}
    assert counts[small.key] == counts[large.key], counts
    with django_assert_num_queries(counts[small.key]):
        client.get(url(large))
    if mode == "practice":
        client.post(reverse("quizzes:hint", args=[attempt.pk, number[large.id]]))
        answer(client, attempt, number[small.id])
        answer(client, attempt, number[large.id])
        answered = {q.key: _queries(client, url(q)) for q in (small, large)}
        assert answered[small.key] == answered[large.key], answered
    else:
        client.post(reverse("quizzes:finish", args=[attempt.pk]))
        assert _queries(client, reverse("quizzes:result", args=[attempt.pk])) <= counts[small.key] + 2


def test_result_page_query_count_does_not_grow_with_questions(client, lesson, make_question):
    for _ in range(3):
        make_question(choices=2, steps=1, hints=1)
    small = start(client, lesson, "practice")
    client.post(reverse("quizzes:finish", args=[small.pk]))
    for _ in range(6):
        make_question(choices=6, steps=4, hints=3, mistakes=3)
    large = start(client, lesson, "practice")
    client.post(reverse("quizzes:finish", args=[large.pk]))
    assert _queries(client, reverse("quizzes:result", args=[small.pk])) == _queries(
        client, reverse("quizzes:result", args=[large.pk])
    )


# --- the seed lesson end to end over HTTP -----------------------------------------------


def test_seed_lesson_page_lists_modes_and_quiz(client, seed_lesson):
    page = client.get(seed_lesson.get_absolute_url()).content.decode()
    for url_name in ("practice", "test_start", "review"):
        assert f'href="{reverse(f"quizzes:{url_name}", args=[seed_lesson.slug])}"' in page
    assert "Model Quiz - 3 Questions" in page and "Why does using a pre-trained model save training time?" in page
    assert "25 questions with hints and worked solutions" in page
    for feedback in ("Right. The convolutional layers", "Frozen layers receive no weight updates"):
        assert feedback not in page


def test_a_bank_smaller_than_the_blueprint_says_what_it_will_really_draw(client, lesson, make_question):
    """Nine practice questions (3 easy, 4 medium, 2 hard) under the default 3/4/3: the lesson, test and
    exam pages promise 9 questions, 2 of them hard, never "10 questions (3 easy, 4 medium, 3 hard)"."""
    for difficulty in ["easy"] * 3 + ["medium"] * 4 + ["hard"] * 2:
        make_question(difficulty=difficulty)
    test_page = client.get(reverse("quizzes:test_start", args=[lesson.slug])).content.decode()
    assert "9 questions across easy, medium and hard (3 easy, 4 medium, 2 hard)" in test_page
    exam_page = client.get(reverse("quizzes:exam", args=[lesson.slug])).content.decode()
    assert "9 questions across easy, medium and hard (3 easy, 4 medium, 2 hard)" in exam_page
    lesson_page = client.get(reverse("courses:lesson", args=[lesson.slug])).content.decode()
    assert "9 questions: 3 easy, 4 medium, 2 hard" in lesson_page
    assert "10 questions" not in test_page + exam_page + lesson_page

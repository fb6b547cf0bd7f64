"""The course around its lessons: the course page's lessons in order with the student's progress,
previous and next lesson links, the progress page grouped by course, course-wide flashcards and review."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from courses.models import Course, Lesson
from modellab.models import Dataset, Experiment
from quizzes.identity import Student
from quizzes.models import Attempt, FlashcardSchedule, Mode, Question, ReviewItem, Role
from quizzes.services.attempts import attempt_start
from quizzes.services.responses import response_submit
from tests.courses.second_lesson import load_second_lesson


@pytest.fixture
def course(seed_lesson):
    load_second_lesson()
    return Course.objects.get(slug="computer-vision")


@pytest.fixture
def learner(django_user_model, client):
    user = django_user_model.objects.create_user("learner", password="pw-long-enough-1")
    client.force_login(user)
    return user


def _answer_all(student, lesson, mode, *, right: bool):
    attempt = attempt_start(student=student, lesson=lesson, mode=mode)
    for qid in attempt.question_ids:
        choices = Question.objects.get(pk=qid).choices.all()
        pick = next(c for c in choices if (c.fraction > 0) == right)
        response_submit(attempt=attempt, question_id=qid, letters=[_letter(attempt, qid, pick.pk)])
    return attempt


def _letter(attempt, qid, choice_id):
    return "ABCDEFGH"[attempt.choice_orders[str(qid)].index(choice_id)]


def _cells(page: str, slug: str) -> str:
    start = page.index(f'data-lesson="{slug}"')
    return page[start : page.index("</li>", start)]


def test_course_page_lists_lessons_in_order_with_each_ones_progress(course, learner, client):
    first, second = Lesson.objects.order_by("position")
    student = Student(learner.pk)
    _answer_all(student, second, Mode.QUIZ, right=True)
    test = attempt_start(student=student, lesson=first, mode=Mode.TEST)
    Attempt.objects.filter(pk=test.pk).update(finished_at=timezone.now(), score="0.70000")
    dataset = Dataset.objects.create(owner=learner, name="d", kind=Dataset.Kind.UPLOAD, folder="x")
    for _ in range(2):
        Experiment.objects.create(
            owner=learner,
            dataset=dataset,
            lesson_slug=first.slug,
            backbone="tiny",
            strategy="scratch",
            epochs=1,
            lr=0.01,
            batch_size=8,
        )
    page = client.get(reverse("courses:course", args=["computer-vision"])).content.decode()
    assert page.index(first.title) < page.index(second.title)
    first_cells, second_cells = _cells(page, first.slug), _cells(page, second.slug)
    assert "<dt>Read</dt><dd>Not yet</dd>" in first_cells and "<dt>Best test</dt><dd>70%</dd>" in first_cells
    assert "<dt>Lab runs</dt><dd>2</dd>" in first_cells
    assert "<dt>Read</dt><dd>Read</dd>" in second_cells
    assert "<dt>Questions answered</dt><dd>1</dd>" in second_cells
    assert "<dt>Best test</dt><dd>-</dd>" in second_cells and "<dt>Lab runs</dt><dd>-</dd>" in second_cells


def test_a_lesson_is_read_only_once_every_model_quiz_question_is_answered(course):
    from quizzes.selectors.course import lessons_read

    first = Lesson.objects.get(position=1)
    student = Student(None, anon_id="a" * 32)
    attempt = attempt_start(student=student, lesson=first, mode=Mode.QUIZ)
    qid = attempt.question_ids[0]
    pick = Question.objects.get(pk=qid).choices.first()
    response_submit(attempt=attempt, question_id=qid, letters=[_letter(attempt, qid, pick.pk)])
    assert lessons_read(student=student, lessons=[first]) == {first.pk: False}
    for qid in attempt.question_ids[1:]:
        pick = Question.objects.get(pk=qid).choices.first()
        response_submit(attempt=attempt, question_id=qid, letters=[_letter(attempt, qid, pick.pk)])
    assert lessons_read(student=student, lessons=[first]) == {first.pk: True}


def test_each_lesson_links_the_previous_and_next_lesson_of_its_course(course, client):
    first, second = Lesson.objects.order_by("position")
    first_page = client.get(first.get_absolute_url()).content.decode()
    second_page = client.get(second.get_absolute_url()).content.decode()
    assert f'rel="next" href="{second.get_absolute_url()}"' in first_page and 'rel="prev"' not in first_page
    assert f'rel="prev" href="{first.get_absolute_url()}"' in second_page and 'rel="next"' not in second_page
    second.published = False
    second.save()
    assert 'class="lesson-nav"' not in client.get(first.get_absolute_url()).content.decode()


def test_progress_page_groups_lessons_under_their_course(course, learner, client):
    other = Course.objects.create(slug="other", title="Another course", track="ml")
    third = Lesson.objects.create(course=other, slug="third", title="Third lesson", published=True)
    Question.objects.create(lesson=third, key="q", role=Role.PRACTICE, position=1, difficulty="easy", stem="S?")
    for lesson in Lesson.objects.all():
        Attempt.objects.create(mode=Mode.PRACTICE, lesson=lesson, seed=1, question_ids=[], user=learner)
    page = client.get(reverse("quizzes:progress")).content.decode()
    cv, another = page.index(">Computer Vision</a></h2>"), page.index(">Another course</a></h2>")
    first, second = Lesson.objects.filter(course__slug="computer-vision").order_by("position")
    assert cv < page.index(first.title) < page.index(second.title) < another < page.index("Third lesson")


def test_course_flashcards_deal_the_cards_of_every_lesson_and_rate_them_in_their_lesson(course, learner, client):
    url = reverse("quizzes:course_flashcards", args=["computer-vision"])
    total = sum(lesson.flashcards.count() for lesson in Lesson.objects.all())
    page = client.get(url).content.decode()
    assert "every lesson of Computer Vision" in page and f"{min(total, 20)} new cards left today" in page
    second_card = Lesson.objects.get(position=2).flashcards.get()
    turned = client.get(url, {"card": second_card.pk}).content.decode()
    assert "Back of the second lesson&#x27;s card" in turned or "Back of the second lesson's card" in turned
    response = client.post(url, {"card": second_card.pk, "reviews": 0, "rating": "good"})
    assert response.status_code == 302 and response.url == url
    assert FlashcardSchedule.objects.filter(user=learner, card=second_card).exists()
    lesson_deck = client.get(reverse("quizzes:flashcards", args=[second_card.lesson.slug])).content.decode()
    assert "0 new cards left today" in lesson_deck or "Nothing is due right now" in lesson_deck


def test_course_flashcards_refuse_a_card_of_another_course(course, learner, client):
    other = Course.objects.create(slug="other", title="Another course", track="ml")
    lesson = Lesson.objects.create(course=other, slug="third", title="Third lesson", published=True)
    card = lesson.flashcards.create(key="k", position=1, front="F", back="B")
    url = reverse("quizzes:course_flashcards", args=["computer-vision"])
    assert client.get(url, {"card": card.pk}).status_code == 404
    client.post(url, {"card": card.pk, "reviews": 0, "rating": "good"})
    assert not FlashcardSchedule.objects.filter(card=card).exists()


def test_course_review_asks_the_due_questions_of_every_lesson_in_one_round(course, learner, client):
    first, second = Lesson.objects.order_by("position")
    now = timezone.now()
    due = [first.questions.filter(role=Role.PRACTICE).first(), second.questions.get()]
    for i, question in enumerate(due):
        ReviewItem.objects.create(question=question, user=learner, due_at=now - timedelta(hours=2 - i))
    url = reverse("quizzes:course_review", args=["computer-vision"])
    page = client.get(url).content.decode()
    assert "2</strong> questions due now" in page and f"({second.title})" in page
    response = client.post(url)
    attempt = Attempt.objects.get(user=learner, mode=Mode.REVIEW)
    assert attempt.question_ids == [q.pk for q in due] and (attempt.lesson, attempt.course) == (None, course)
    assert response.url.startswith(reverse("quizzes:question", args=[attempt.pk, 1]))
    course_page = client.get(reverse("courses:course", args=["computer-vision"])).content.decode()
    assert "2 questions due" in course_page


def test_a_course_review_is_the_courses_and_each_answer_counts_in_its_questions_lesson(course, learner, client):
    """Not kept under the lesson of its first question: its pages name the course, only the course
    offers to resume it, and the second lesson's question answered in it makes that lesson read."""
    first, second = Lesson.objects.order_by("position")
    due = [first.questions.filter(role=Role.PRACTICE).first(), second.questions.get()]
    for question in due:
        ReviewItem.objects.create(question=question, user=learner, due_at=timezone.now() - timedelta(hours=1))
    review_url = reverse("quizzes:course_review", args=["computer-vision"])
    client.post(review_url)
    attempt = Attempt.objects.get(user=learner, mode=Mode.REVIEW)

    def answer(question):
        right = question.choices.get(fraction__gt=0)
        response_submit(attempt=attempt, question_id=question.pk, letters=[_letter(attempt, question.pk, right.pk)])

    answer(due[0])
    question_page = client.get(reverse("quizzes:question", args=[attempt.pk, 2])).content.decode()
    assert f'class="breadcrumb"><a href="{course.get_absolute_url()}">Computer Vision</a> / Review' in question_page
    assert f"From {second.title}" in question_page
    resume = "Resume where you left off"
    assert resume in client.get(review_url).content.decode()
    assert resume not in client.get(reverse("quizzes:review", args=[first.slug])).content.decode()

    answer(due[1])  # the last answer finishes the round
    page = client.get(reverse("courses:course", args=["computer-vision"])).content.decode()
    first_cells, second_cells = _cells(page, first.slug), _cells(page, second.slug)
    assert "<dt>Questions answered</dt><dd>1</dd>" in first_cells and "<dt>Read</dt><dd>Not yet</dd>" in first_cells
    assert "<dt>Questions answered</dt><dd>1</dd>" in second_cells and "<dt>Read</dt><dd>Read</dd>" in second_cells
    result = client.get(reverse("quizzes:result", args=[attempt.pk])).content.decode()
    assert f'href="{review_url}">See what is due for review' in result


def test_an_attempt_is_of_a_lesson_or_a_course_review_never_both_nor_neither(course, learner):
    from django.db import IntegrityError, transaction

    lesson = course.lessons.first()
    for mode, fields in (
        (Mode.REVIEW, {"course": course, "lesson": lesson}),
        (Mode.PRACTICE, {"course": course}),
        (Mode.REVIEW, {}),
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            Attempt.objects.create(mode=mode, seed=1, question_ids=[], user=learner, **fields)
    Attempt.objects.create(mode=Mode.REVIEW, seed=1, question_ids=[], user=learner, course=course)

"""The Flashcards page through HTTP, anonymous and signed in: the front without its answer,
turning a card over, rating it, the done state, bad input, the lesson's mode picker."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from quizzes.models import Flashcard, FlashcardSchedule


@pytest.fixture
def cards(lesson):
    return [
        Flashcard.objects.create(lesson=lesson, key=f"c{i}", position=i, front=f"Front {i}?", back=f"Back {i}, with `code`.")
        for i in range(1, 4)
    ]


def url(lesson, **query):
    return reverse("quizzes:flashcards", args=[lesson.slug]) + (
        "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""
    )


def rate(client, lesson, card, rating, reviews=0):
    return client.post(url(lesson), {"card": card.pk, "reviews": reviews, "rating": rating})


def test_the_front_shows_no_answer_until_the_card_is_turned(client_as, lesson, cards):
    page = client_as.get(url(lesson)).content.decode()
    assert "Front 1?" in page and "Back 1" not in page and "Back" not in re.sub(r"<[^>]+>", " ", page).split()
    form = re.search(r'<form method="get" action="#answer">(.*?)</form>', page, re.S).group(1)
    assert f'name="card" value="{cards[0].pk}"' in form and "Show answer</button>" in form
    assert "0 cards due now, 3 new cards left today." in page
    turned = client_as.get(url(lesson, card=cards[0].pk)).content.decode()
    assert "Front 1?" in turned and "Back 1, with <code>code</code>." in turned and 'id="answer"' in turned
    buttons = re.findall(
        r'<button type="submit" name="rating" value="(\w+)"[^>]*>(\w+) <span class="rating-when">\(again in ([^)]+)\)', turned
    )
    assert buttons == [
        ("again", "Again", "1\xa0minute"),
        ("hard", "Hard", "5\xa0minutes"),
        ("good", "Good", "10\xa0minutes"),
        ("easy", "Easy", "1\xa0week, 1\xa0day"),
    ]
    assert 'name="reviews" value="0"' in turned and "csrfmiddlewaretoken" in turned


def test_rating_schedules_the_card_and_shows_the_next(client_as, lesson, cards):
    response = rate(client_as, lesson, cards[0], "good")
    assert response.status_code == 302 and response.url == url(lesson)
    page = client_as.get(response.url).content.decode()
    assert "Good: that card comes back in 10\xa0minutes." in page and "Front 2?" in page
    assert FlashcardSchedule.objects.get().step == 1
    # the same form sent again (a double click) changes nothing
    rate(client_as, lesson, cards[0], "good")
    schedule = FlashcardSchedule.objects.get()
    assert schedule.reviews == 1 and schedule.step == 1
    assert 'name="reviews" value="1"' in client_as.get(url(lesson, card=cards[0].pk)).content.decode()


def test_all_rated_the_page_says_when_the_next_card_is_due(client_as, lesson, cards, clock):
    for card in cards:
        rate(client_as, lesson, card, "easy")
    page = client_as.get(url(lesson)).content.decode()
    assert (
        "Nothing is due right now." in page and "The next card is due" in page and "(in 1\xa0week" in page
    )  # Easy on a new card: 8 days
    assert "Show answer" not in page and "Front" not in page
    clock.advance(timedelta(days=8, minutes=1))
    assert "Front 1?" in client_as.get(url(lesson)).content.decode()


@pytest.mark.parametrize(
    "data, message",
    [
        ({"rating": "maybe"}, "Rate the card: Again, Hard, Good or Easy."),
        ({"rating": ""}, "Rate the card: Again, Hard, Good or Easy."),
        ({"reviews": "x"}, "This card&#x27;s form is incomplete: turn the card over again."),
        ({"card": ""}, "This card&#x27;s form is incomplete: turn the card over again."),
        ({"card": "999999"}, "That card is not one of this lesson&#x27;s flashcards."),
    ],
)
def test_a_bad_rating_form_says_what_is_wrong_and_saves_nothing(client_as, lesson, cards, data, message):
    form = {"card": cards[0].pk, "reviews": 0, "rating": "good"} | data
    response = client_as.post(url(lesson), form, follow=True)
    assert response.status_code == 200 and message in response.content.decode()
    assert not FlashcardSchedule.objects.exists()


def test_turning_a_card_of_another_lesson_or_none_is_404(client_as, lesson, cards):
    from courses.models import Lesson

    other = Lesson.objects.create(course=lesson.course, slug="other", title="Other", published=True)
    stranger = Flashcard.objects.create(lesson=other, key="x", front="F", back="Secret back")
    for card in (stranger.pk, "abc", "99999999999999999999"):
        assert client_as.get(url(lesson, card=card)).status_code == 404


def test_a_lesson_without_cards(client_as, lesson):
    assert "This lesson has no flashcards yet." in client_as.get(url(lesson)).content.decode()


def test_the_lesson_pages_mode_picker_shows_the_students_cards(client_as, lesson, cards):
    def picker():
        page = client_as.get(lesson.get_absolute_url()).content.decode()
        return re.search(r'<li class="mode mode-flashcards">(.*?)</li>', page, re.S).group(1)

    assert url(lesson) in picker() and "3 new" in picker()
    rate(client_as, lesson, cards[0], "again")
    FlashcardSchedule.objects.update(due_at=FlashcardSchedule.objects.get().due_at - timedelta(minutes=2))
    assert '<span class="mode-state">1 card due, 2 new</span>' in picker()


def test_signing_up_keeps_the_cards_rated_anonymously(client, lesson, cards):
    rate(client, lesson, cards[0], "easy")
    assert FlashcardSchedule.objects.get().anon_id
    client.post(
        reverse("quizzes:signup"),
        {"username": "newbie", "email": "", "password1": "a-long-passphrase-42", "password2": "a-long-passphrase-42"},
    )
    schedule = FlashcardSchedule.objects.get()
    assert schedule.user.username == "newbie" and schedule.anon_id == ""
    assert "Front 2?" in client.get(url(lesson)).content.decode()


def test_the_page_costs_the_same_queries_for_3_cards_or_30(client, lesson, cards):
    rate(client, lesson, cards[0], "good")
    counts = []
    for extra in (0, 27):
        for i in range(extra):
            Flashcard.objects.create(lesson=lesson, key=f"more{i}", position=10 + i, front="F", back="B")
        client.get(url(lesson))  # warm the session
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url(lesson)).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts

"""The result page offers the next round of the mode just taken: a review or a Numbers & shapes round is
not followed by "Take another test"."""

import re
from datetime import timedelta

from django.urls import reverse

from tests.quizzes.test_typed_views import practise, submit
from tests.quizzes.test_views import answer, start


def next_action(client, attempt) -> tuple[str, str]:
    """(href, text) of the result page's link to another round."""
    page = client.get(reverse("quizzes:result", args=[attempt.pk])).content.decode()
    actions = page[page.index('class="result-actions"') : page.index("Your progress")]
    return re.findall(r'<a class="button secondary" href="([^"]+)">([^<]+)</a>', actions)[0]


def test_numbers_and_review_results_offer_their_own_next_round(client, lesson, make_typed, clock):
    make_typed()
    numbers = practise(client, lesson)
    submit(client, numbers, "1536")  # wrong: the question comes back in review
    numbers.refresh_from_db()
    assert numbers.finished
    assert next_action(client, numbers) == (
        reverse("quizzes:numbers", args=[lesson.slug]),
        "Another round of numbers &amp; shapes",
    )
    clock.advance(timedelta(minutes=1))
    review = start(client, lesson, "review")
    submit(client, review, "1539")
    review.refresh_from_db()
    assert review.finished
    assert next_action(client, review) == (reverse("quizzes:review", args=[lesson.slug]), "See what is due for review")


def test_practice_results_offer_practice_again(client, lesson, make_question):
    make_question()
    practice = start(client, lesson, "practice")
    answer(client, practice, 1)
    assert next_action(client, practice) == (reverse("quizzes:practice", args=[lesson.slug]), "Practise again")

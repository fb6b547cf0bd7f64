"""The Flashcards page of a lesson or of a whole course: a card's front; the same card turned over (a GET with
?card=); its rating (a POST, then a redirect to the next card); and its line in the mode picker. Plain forms:
no JavaScript needed."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.timesince import timeuntil
from django.views.decorators.http import require_http_methods

from courses.selectors import course_get_with_lessons
from quizzes import scheduler
from quizzes.forms import FlashcardRatingForm
from quizzes.identity import student_for
from quizzes.selectors.bank import lesson_get
from quizzes.selectors.flashcards import NEW_PER_DAY, flashcard_deck, flashcard_turned
from quizzes.services.flashcards import flashcard_rate


@require_http_methods(["GET", "POST"])
def flashcards(request, slug):
    return _deck_page(request, {"lesson": lesson_get(slug=slug)})


@require_http_methods(["GET", "POST"])
def course_flashcards(request, slug):
    """The due and new cards of every published lesson of the course, in one deck."""
    return _deck_page(request, {"course": course_get_with_lessons(slug=slug)})


def _deck_page(request, scope: dict):
    """scope: {"lesson": lesson} or {"course": course}, passed to the selectors and the service as it is."""
    if request.method == "POST":
        return _rate(request, scope)
    student, now = student_for(request), timezone.now()
    turned = None
    if "card" in request.GET:
        try:
            card_id = int(request.GET["card"])
        except ValueError:
            raise Http404("No such flashcard here.") from None
        turned = flashcard_turned(student=student, card_id=card_id, now=now, **scope)
    deck = flashcard_deck(student=student, now=now, **scope)
    return render(
        request,
        "quizzes/flashcards.html",
        {**scope, "scope": next(iter(scope.values())), "deck": deck, "turned": turned, "now": now, "new_per_day": NEW_PER_DAY},
    )


def _rate(request, scope: dict):
    form = FlashcardRatingForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(dict.fromkeys(e for errors in form.errors.values() for e in errors)))
        return redirect(request.path)
    rating, now = scheduler.RATINGS[form.cleaned_data["rating"]], timezone.now()
    try:
        schedule, rated = flashcard_rate(
            student=student_for(request, create=True),
            card_id=form.cleaned_data["card"],
            rating=rating,
            seen_reviews=form.cleaned_data["reviews"],
            now=now,
            **scope,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(request.path)
    if rated:
        messages.success(request, f"{rating.name}: that card comes back in {timeuntil(schedule.due_at, now)}.")
    return redirect(request.path)


def flashcards_state(lesson, request) -> str:
    """The Flashcards line of the lesson's mode picker: how many cards are due and new."""
    deck = flashcard_deck(student=student_for(request), lesson=lesson, now=timezone.now())
    return deck.summary

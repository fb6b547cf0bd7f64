"""CSRF on every form: every POST form of every page carries the token, and every POST endpoint
refuses a POST without it (403), whoever sends it."""

from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

from quizzes.models import Question
from tests.security.test_access_matrix import ENTRIES, ROLES, client_for, rule_for


class FormParser(HTMLParser):
    """Collects each <form method="post"> with the names of its inputs."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._current = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._current = {"action": attrs.get("action", ""), "method": (attrs.get("method") or "get").lower(), "inputs": []}
            self.forms.append(self._current)
        elif tag == "input" and self._current is not None:
            self._current["inputs"].append(attrs.get("name"))

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def post_forms(html: str) -> list[dict]:
    parser = FormParser()
    parser.feed(html)
    return [f for f in parser.forms if f["method"] == "post"]


def _viewer(rule) -> str | None:
    """The first of owner/admin (then anon) that gets the page itself with a 200."""
    for role in ("owner", "admin", "anon"):
        if rule.get[ROLES.index(role)] == 200:
            return role
    return None


def _actor(rule) -> str:
    """Who a POST is meant for: owner unless only staff get through, then the admin."""
    owner_outcome = rule.post[ROLES.index("owner")]
    return "owner" if owner_outcome not in ("login", 404, 403) else "admin"


PAGES = [e for e in ENTRIES if (rule := rule_for(e)) and _viewer(rule)]
POSTS = [e for e in ENTRIES if (rule := rule_for(e)) and rule.post is not None]


def extra_pages(w) -> list[tuple[str, str]]:
    """Pages whose forms show only in a state the matrix's URLs do not reach."""
    return [
        ("owner", reverse("modellab:experiment", args=[w.experiment2.pk])),  # a queued run: the cancel form
        ("owner", reverse("modellab:size_sweep", args=[w.sweep_group])),  # a queued sweep: its cancel form
        ("owner", reverse("courses:lesson", args=[w.lesson.slug])),  # signed in: the presets' run buttons
        ("owner", reverse("quizzes:question", args=[w.practice.pk, 2])),
        ("owner", reverse("quizzes:practice", args=[w.lesson.slug])),  # with an unfinished attempt
        ("owner", reverse("quizzes:question", args=[w.exam.pk, 1])),  # the exam's clock
        ("owner", reverse("quizzes:question", args=[w.drill.pk, 1])),  # a drill question
        ("owner", reverse("quizzes:flashcards", args=[w.lesson.slug]) + f"?card={w.card.pk}"),  # a card turned over
        ("admin", reverse("admin:quizzes_question_change", args=[w.question.pk])),
        ("admin", reverse("admin:auth_user_change", args=[w.alice.pk])),
    ]


@pytest.mark.parametrize("entry", PAGES, ids=[e.key for e in PAGES])
def test_every_post_form_carries_the_csrf_token(entry, world):
    rule = rule_for(entry)
    role = _viewer(rule)
    response = client_for(role, world).get(rule.url(world))
    assert response.status_code == 200
    if "html" not in response.get("Content-Type", ""):
        return
    for form in post_forms(response.content.decode()):
        assert "csrfmiddlewaretoken" in form["inputs"], f"{entry.key}: form posting to {form['action']!r} has no CSRF token"


def test_forms_of_pages_in_other_states_carry_the_csrf_token(world):
    seen = 0
    for role, url in extra_pages(world):
        response = client_for(role, world).get(url)
        assert response.status_code == 200, url
        for form in post_forms(response.content.decode()):
            seen += 1
            assert "csrfmiddlewaretoken" in form["inputs"], f"{url}: form to {form['action']!r} has no CSRF token"
    assert seen >= len(extra_pages(world))


def test_the_numbers_and_shapes_start_form_carries_the_csrf_token(world):
    """The form shows only for a lesson with a typed-answer question, which the seed has not yet."""
    Question.objects.create(
        lesson=world.lesson, key="typed", role="practice", kind="numeric", difficulty="easy", stem="How many parameters?"
    )
    html = client_for("owner", world).get(reverse("quizzes:numbers", args=[world.lesson.slug])).content.decode()
    starts = [f for f in post_forms(html) if f["action"] == ""]
    assert len(starts) == 1 and "csrfmiddlewaretoken" in starts[0]["inputs"]


def test_the_lesson_page_has_post_forms(world):
    """The parser sees the forms (guards against the test above passing on pages it cannot read)."""
    html = Client().get(reverse("courses:lesson", args=[world.lesson.slug])).content.decode()
    assert len(post_forms(html)) >= 2


@pytest.mark.parametrize("entry", POSTS, ids=[e.key for e in POSTS])
def test_a_post_without_the_token_is_refused(entry, world):
    rule = rule_for(entry)
    for role in (_actor(rule), "anon"):
        client = Client(enforce_csrf_checks=True)
        if role != "anon":
            client.force_login({"owner": world.alice, "admin": world.admin}[role])
        response = client.post(rule.url(world), rule.data(world))
        assert response.status_code == 403, f"{entry.key} as {role}: {response.status_code}"

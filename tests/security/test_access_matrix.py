"""Who gets what: every URL of the site, for an anonymous visitor, the owner (student A), another
student (B) and an admin.

The URL patterns are enumerated from the URL conf, so a new page with no rule in RULES fails
`test_every_url_pattern_has_an_access_rule` ("no access rule for URL name X") and its own case.
The admin is covered by model: every registered ModelAdmin's changelist/add/change/delete/history
pages follow one rule; the admin's own and custom views have rules of their own.

Outcomes: 200/400/403/404/405 are exact status codes; LOGIN is a redirect to a log-in page
(the site's or the admin's); REDIRECT is any other redirect. Each GET and POST of an anonymous
visitor or of B must leave A's objects exactly as they were.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from modellab.models import Dataset, EpochRecord, Experiment
from quizzes.models import Attempt, FlashcardSchedule, Response
from tests.security.conftest import UPLOAD_DIGEST

LOGIN = "login"
REDIRECT = "redirect"
ROLES = ("anon", "owner", "other", "admin")
LOGIN_PATHS = ("/accounts/login/", "/admin/login/")


# ----------------------------------------------------------------------------- enumeration


@dataclass(frozen=True)
class Entry:
    key: str  # the URL name with its namespace ("quizzes:answer"), or "route:<route>" when unnamed
    route: str
    converters: tuple[str, ...]


def _walk(patterns, prefix="", namespace=None):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = namespace
            if p.namespace:
                ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            route = prefix + str(p.pattern)
            if p.name:
                key = f"{namespace}:{p.name}" if namespace else p.name
            else:
                key = f"route:{route}"
            yield Entry(key, route, tuple(re.findall(r"<(?:\w+:)?(\w+)>", route)))


def site_entries() -> list[Entry]:
    seen, out = set(), []
    for entry in _walk(get_resolver().url_patterns):
        if entry.key not in seen:  # a name defined twice (log-in behind its rate limit) is one page
            seen.add(entry.key)
            out.append(entry)
    return out


def admin_models() -> dict[str, type]:
    """'app_model' -> model, for every ModelAdmin of the default admin site."""
    return {f"{m._meta.app_label}_{m._meta.model_name}": m for m in admin.site._registry}


ADMIN_SUFFIXES = ("changelist", "add", "change", "delete", "history")


def admin_generic(entry: Entry) -> tuple[type, str] | None:
    """(model, page) for a standard ModelAdmin page, else None."""
    models = admin_models()
    m = re.fullmatch(r"admin:(\w+?)_(changelist|add|change|delete|history)", entry.key)
    if m and m.group(1) in models:
        return models[m.group(1)], m.group(2)
    m = re.fullmatch(r"route:admin/(\w+)/(\w+)/<path:object_id>/", entry.key)
    if m and f"{m.group(1)}_{m.group(2)}" in models:
        return models[f"{m.group(1)}_{m.group(2)}"], "redirect"
    return None


# ----------------------------------------------------------------------------- the rules


@dataclass
class Rule:
    url: Callable  # world -> URL
    get: tuple  # expected outcome per role (anon, owner, other, admin)
    post: tuple | None = None  # expected outcome of a POST per role; None: not a form endpoint
    data: Callable = lambda w: {}  # world -> POST data
    notes: str = ""


def everyone(outcome):
    return (outcome,) * 4


def r(name, *args, query=""):
    return lambda w: reverse(name, args=[a(w) if callable(a) else a for a in args]) + query


LESSON = lambda w: w.lesson.slug  # noqa: E731
PRACTICE = lambda w: w.practice.pk  # noqa: E731
TEST_DONE = lambda w: w.test_done.pk  # noqa: E731
EXP = lambda w: w.experiment.pk  # noqa: E731
STAFF_ONLY = (LOGIN, LOGIN, LOGIN, 200)  # staff_member_required: non-staff go to the admin log-in
OWNER_ONLY = (404, 200, 404, 404)  # quiz attempts: nobody but the student, not even an admin, on student pages
LAB_OWNER = (LOGIN, 200, 404, 200)  # lab objects: the owner and staff
COMPARE_QUERY = lambda w: f"?ids={w.experiment.pk}&ids={w.experiment2.pk}"  # noqa: E731

RULES: dict[str, Rule] = {
    # courses
    "courses:home": Rule(r("courses:home"), everyone(200)),
    "courses:course": Rule(r("courses:course", lambda w: w.course.slug), everyone(200)),
    "courses:lesson": Rule(r("courses:lesson", LESSON), everyone(200)),
    "courses:lesson_preview": Rule(r("courses:lesson_preview", lambda w: w.draft.slug), STAFF_ONLY),
    # quizzes: lesson-level forms (anyone, anonymous included, may practise)
    "quizzes:quiz_answer": Rule(
        r("quizzes:quiz_answer", LESSON),
        everyone(405),
        everyone(REDIRECT),
        data=lambda w: {"question": w.lesson.questions.filter(role="quiz").first().pk, "answer": "A"},
    ),
    "quizzes:quiz_restart": Rule(r("quizzes:quiz_restart", LESSON), everyone(405), everyone(REDIRECT)),
    "quizzes:practice": Rule(r("quizzes:practice", LESSON), everyone(200), everyone(REDIRECT)),
    "quizzes:test_start": Rule(r("quizzes:test_start", LESSON), everyone(200), everyone(REDIRECT)),
    "quizzes:review": Rule(r("quizzes:review", LESSON), everyone(200), everyone(REDIRECT)),
    "quizzes:exam": Rule(
        r("quizzes:exam", LESSON), everyone(200), everyone(REDIRECT), notes="A resumes her running exam; the others start one"
    ),
    "quizzes:drill": Rule(
        r("quizzes:drill", LESSON),
        everyone(200),
        everyone(REDIRECT),
        notes="A resumes her drill round; the others have no mistakes and are sent back",
    ),
    "quizzes:flashcards": Rule(
        r("quizzes:flashcards", LESSON),
        everyone(200),
        everyone(REDIRECT),
        data=lambda w: {"card": w.card.pk, "reviews": 0, "rating": "good"},
        notes="each visitor rates the card in their own schedule; A's is not touched",
    ),
    "quizzes:numbers": Rule(
        r("quizzes:numbers", LESSON),
        everyone(200),
        everyone(REDIRECT),
        notes="the seed has no typed-answer question yet: each visitor is sent back with a message",
    ),
    "quizzes:sheet": Rule(r("quizzes:sheet", LESSON), everyone(200)),
    # quizzes: course-wide review and flashcards (anyone, as the lesson's)
    "quizzes:course_review": Rule(r("quizzes:course_review", lambda w: w.course.slug), everyone(200), everyone(REDIRECT)),
    "quizzes:course_flashcards": Rule(
        r("quizzes:course_flashcards", lambda w: w.course.slug),
        everyone(200),
        everyone(REDIRECT),
        data=lambda w: {"card": w.card.pk, "reviews": 0, "rating": "good"},
        notes="each visitor rates the card in their own schedule; A's is not touched",
    ),
    # quizzes: one attempt of A
    "quizzes:attempt": Rule(r("quizzes:attempt", PRACTICE), (404, REDIRECT, 404, 404)),
    "quizzes:question": Rule(r("quizzes:question", PRACTICE, 1), OWNER_ONLY),
    "quizzes:answer": Rule(
        r("quizzes:answer", PRACTICE, 1), everyone(405), (404, REDIRECT, 404, 404), data=lambda w: {"answer": "A"}
    ),
    "quizzes:hint": Rule(r("quizzes:hint", PRACTICE, 1), everyone(405), (404, REDIRECT, 404, 404)),
    "quizzes:finish": Rule(r("quizzes:finish", PRACTICE), everyone(405), (404, REDIRECT, 404, 404)),
    "quizzes:result": Rule(r("quizzes:result", TEST_DONE), OWNER_ONLY),
    "quizzes:progress": Rule(r("quizzes:progress"), everyone(200)),
    "quizzes:question_preview": Rule(r("quizzes:question_preview", lambda w: w.question.pk), STAFF_ONLY),
    # accounts
    "quizzes:signup": Rule(r("quizzes:signup"), everyone(200), everyone(200), data=lambda w: {"username": ""}),
    "login": Rule(r("login"), everyone(200), everyone(200), data=lambda w: {"username": "x", "password": "y"}),
    "logout": Rule(r("logout"), everyone(405), everyone(REDIRECT)),
    "password_change": Rule(r("password_change"), (LOGIN, 200, 200, 200), (LOGIN, 200, 200, 200)),
    "password_change_done": Rule(r("password_change_done"), (LOGIN, 200, 200, 200)),
    "password_reset": Rule(r("password_reset"), everyone(200), everyone(200), data=lambda w: {"email": "not-an-email"}),
    "password_reset_done": Rule(r("password_reset_done"), everyone(200)),
    "password_reset_confirm": Rule(
        r("password_reset_confirm", "MQ", "bad-token"), everyone(200), notes="an invalid link shows the 'link is invalid' page"
    ),
    "password_reset_complete": Rule(r("password_reset_complete"), everyone(200)),
    # the lab: everything needs a sign-in; objects are the owner's (and staff's)
    "modellab:home": Rule(r("modellab:home"), (LOGIN, 200, 200, 200)),
    "modellab:new": Rule(
        r("modellab:new"),
        (LOGIN, 200, 200, 200),
        (LOGIN, REDIRECT, 400, REDIRECT),
        data=lambda w: {
            "dataset": f"upload:{w.dataset.pk}",
            "backbone": "tiny",
            "strategy": "scratch",
            "epochs": "1",
            "lr": "0.01",
            "batch_size": "8",
            "action": "run",
        },
    ),
    "modellab:dataset_upload": Rule(r("modellab:dataset_upload"), (LOGIN, 405, 405, 405), (LOGIN, 400, 400, 400)),
    "modellab:dataset": Rule(r("modellab:dataset", lambda w: w.dataset.pk), LAB_OWNER),
    "modellab:experiment": Rule(r("modellab:experiment", EXP), LAB_OWNER),
    "modellab:experiment_trace": Rule(r("modellab:experiment_trace", EXP), LAB_OWNER),
    "modellab:experiment_cancel": Rule(
        r("modellab:experiment_cancel", lambda w: w.experiment2.pk), (LOGIN, 405, 405, 405), (LOGIN, REDIRECT, 404, REDIRECT)
    ),
    "modellab:experiment_predict": Rule(r("modellab:experiment_predict", EXP), (LOGIN, 405, 405, 405), (LOGIN, 400, 404, 400)),
    "modellab:experiment_image": Rule(r("modellab:experiment_image", EXP, 0), LAB_OWNER),
    "modellab:experiment_model": Rule(r("modellab:experiment_model", EXP), LAB_OWNER),
    "modellab:experiment_heatmap": Rule(r("modellab:experiment_heatmap", EXP, 0, "predicted"), LAB_OWNER),
    "modellab:experiment_upload_heatmap": Rule(r("modellab:experiment_upload_heatmap", EXP, UPLOAD_DIGEST), LAB_OWNER),
    "modellab:compare": Rule(lambda w: reverse("modellab:compare") + COMPARE_QUERY(w), LAB_OWNER),
    "modellab:compare_trace": Rule(lambda w: reverse("modellab:compare_trace") + COMPARE_QUERY(w), LAB_OWNER),
    # the health check for load balancers: public, it says only ok or unavailable
    "health": Rule(r("health"), everyone(200)),
    "modellab:size_sweep": Rule(r("modellab:size_sweep", lambda w: w.sweep_group), LAB_OWNER),
    "modellab:size_sweep_trace": Rule(r("modellab:size_sweep_trace", lambda w: w.sweep_group), LAB_OWNER),
    "modellab:size_sweep_cancel": Rule(
        r("modellab:size_sweep_cancel", lambda w: w.sweep_group), (LOGIN, 405, 405, 405), (LOGIN, REDIRECT, 404, REDIRECT)
    ),
    # a lesson's preset: anyone signed in may run it, as their own runs
    "modellab:preset_run": Rule(
        r("modellab:preset_run", lambda w: w.preset.pk), (LOGIN, 405, 405, 405), (LOGIN, REDIRECT, REDIRECT, REDIRECT)
    ),
    # the admin's own views
    "admin:index": Rule(r("admin:index"), STAFF_ONLY),
    "admin:modellab_lab_status": Rule(r("admin:modellab_lab_status"), STAFF_ONLY),
    "admin:login": Rule(
        r("admin:login"), (200, 200, 200, REDIRECT), everyone(200), data=lambda w: {"username": "x", "password": "y"}
    ),
    # config/urls.py puts the admin's log-in behind the log-in rate limit, ahead of the admin's own route
    "route:admin/login/": Rule(
        lambda w: "/admin/login/", (200, 200, 200, REDIRECT), everyone(200), data=lambda w: {"username": "x", "password": "y"}
    ),
    "admin:logout": Rule(
        r("admin:logout"),
        (REDIRECT, REDIRECT, REDIRECT, 405),
        everyone(REDIRECT),
        notes="non-staff are sent to the admin index (which asks them to log in)",
    ),
    "admin:password_change": Rule(r("admin:password_change"), STAFF_ONLY, (LOGIN, LOGIN, LOGIN, 200)),
    "admin:password_change_done": Rule(r("admin:password_change_done"), STAFF_ONLY),
    "admin:autocomplete": Rule(
        r("admin:autocomplete"), (LOGIN, LOGIN, LOGIN, 403), notes="without a source field the autocomplete refuses"
    ),
    "admin:jsi18n": Rule(r("admin:jsi18n"), STAFF_ONLY),
    "admin:view_on_site": Rule(
        lambda w: reverse("admin:view_on_site", args=[ContentType.objects.get_for_model(w.lesson).pk, w.lesson.pk]),
        (LOGIN, LOGIN, LOGIN, REDIRECT),
    ),
    "admin:app_list": Rule(lambda w: reverse("admin:app_list", kwargs={"app_label": "quizzes"}), STAFF_ONLY),
    "admin:auth_user_password_change": Rule(r("admin:auth_user_password_change", lambda w: w.alice.pk), STAFF_ONLY),
    "route:admin/(?P<url>.*)$": Rule(lambda w: "/admin/no-such-page/", (LOGIN, LOGIN, LOGIN, 404)),
    # the admin's question pages (quizzes/admin_views.py)
    "admin:quizzes_lesson_statistics": Rule(r("admin:quizzes_lesson_statistics", lambda w: w.lesson.pk), STAFF_ONLY),
    "admin:quizzes_lesson_statistics_csv": Rule(r("admin:quizzes_lesson_statistics_csv", lambda w: w.lesson.pk), STAFF_ONLY),
    "admin:quizzes_lesson_import": Rule(
        r("admin:quizzes_lesson_import", lambda w: w.lesson.pk), STAFF_ONLY, (LOGIN, LOGIN, LOGIN, 200)
    ),
    "admin:quizzes_lesson_export": Rule(r("admin:quizzes_lesson_export", lambda w: w.lesson.pk), STAFF_ONLY),
}

# Admin model pages the ModelAdmin itself forbids (with the admin's own 403).
ADMIN_FORBIDDEN = {("quizzes_attempt", "add"), ("modellab_worker", "add")}  # workers write their own records


def admin_generic_rule(model: type, page: str) -> Rule:
    key = f"{model._meta.app_label}_{model._meta.model_name}"

    def url(w):
        if page == "changelist" or page == "add":
            return reverse(f"admin:{key}_{page}")
        obj = w.objects.get(model)
        assert obj is not None, f"the security world has no {model.__name__} for the admin pages: add one"
        if page == "redirect":
            return reverse(f"admin:{key}_change", args=[obj.pk]).removesuffix("change/")
        return reverse(f"admin:{key}_{page}", args=[obj.pk])

    staff = 403 if (key, page) in ADMIN_FORBIDDEN else (REDIRECT if page == "redirect" else 200)
    return Rule(url, (LOGIN, LOGIN, LOGIN, staff))


def rule_for(entry: Entry) -> Rule | None:
    generic = admin_generic(entry)
    if generic is not None:
        return admin_generic_rule(*generic)
    return RULES.get(entry.key)


ENTRIES = site_entries()


def test_every_url_pattern_has_an_access_rule():
    missing = [f"no access rule for URL name {e.key} ({e.route})" for e in ENTRIES if rule_for(e) is None]
    assert not missing, "\n".join(missing)
    stale = set(RULES) - {e.key for e in ENTRIES}
    assert not stale, f"rules for URL names that no longer exist: {sorted(stale)}"


def test_admin_pages_of_every_registered_model_are_enumerated():
    keys = {e.key for e in ENTRIES}
    for key in admin_models():
        for suffix in ADMIN_SUFFIXES:
            assert f"admin:{key}_{suffix}" in keys


# ----------------------------------------------------------------------------- checking


def snapshot(w) -> dict:
    """Everything of student A that another visitor must not change."""
    return {
        "attempts": sorted(Attempt.objects.filter(user=w.alice).values_list("pk", "finished_at", "score", "question_ids")),
        "responses": sorted(Response.objects.filter(attempt__user=w.alice).values_list("pk", "chosen_choice_ids", "hints_used")),
        "flashcards": sorted(FlashcardSchedule.objects.filter(user=w.alice).values_list("pk", "card_id", "reviews", "due_at")),
        "experiments": sorted(Experiment.objects.filter(owner=w.alice).values_list("pk", "status", "cancel_requested")),
        "epochs": EpochRecord.objects.filter(experiment__owner=w.alice).count(),
        "datasets": sorted(Dataset.objects.filter(owner=w.alice).values_list("pk", "name", "folder")),
        "password": type(w.alice).objects.get(pk=w.alice.pk).password,
    }


def client_for(role: str, w) -> Client:
    client = Client()
    user = {"anon": None, "owner": w.alice, "other": w.bob, "admin": w.admin}[role]
    if user is not None:
        client.force_login(user)
    return client


def outcome_matches(response, expected) -> bool:
    if expected == LOGIN:
        return response.status_code == 302 and urlsplit(response["Location"]).path in LOGIN_PATHS
    if expected == REDIRECT:
        return response.status_code == 302 and urlsplit(response["Location"]).path not in LOGIN_PATHS
    return response.status_code == expected


def describe(response) -> str:
    where = f" -> {response['Location']}" if response.has_header("Location") else ""
    return f"{response.status_code}{where}"


# The owner and the admin act last, so that what anonymous and B tried is checked against A's
# objects as the fixtures made them.
ORDER = ("anon", "other", "admin", "owner")


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.key for e in ENTRIES])
def test_access(entry, world):
    rule = rule_for(entry)
    assert rule is not None, f"no access rule for URL name {entry.key} ({entry.route})"
    url = rule.url(world)
    problems = []
    for method, expected_row in (("GET", rule.get), ("POST", rule.post)):
        if expected_row is None:
            continue
        for role in ORDER:
            expected = expected_row[ROLES.index(role)]
            before = snapshot(world) if role in ("anon", "other") else None
            client = client_for(role, world)
            response = client.get(url) if method == "GET" else client.post(url, rule.data(world))
            if not outcome_matches(response, expected):
                problems.append(f"{method} {url} as {role}: expected {expected}, got {describe(response)}")
            if before is not None and snapshot(world) != before:
                problems.append(f"{method} {url} as {role} changed student A's objects")
    assert not problems, "\n".join(problems)


def test_post_only_endpoints_have_post_rules():
    """An endpoint that answers GET with 405 is a POST endpoint: its POST must be in the matrix."""
    for entry in ENTRIES:
        rule = rule_for(entry)
        if rule and 405 in rule.get:
            assert rule.post is not None, f"{entry.key} is POST-only but has no POST expectations"


# ----------------------------------------------------------------------------- changing ids


def test_ids_of_another_student_lead_nowhere(world):
    """B trying A's objects through query strings and form fields instead of the URL path."""
    bob = client_for("other", world)
    before = snapshot(world)
    # a retry of A's attempt
    assert bob.post(reverse("quizzes:practice", args=[world.lesson.slug]), {"retry": world.test_done.pk}).status_code == 404
    # A's dataset offered on B's submit form: not shown, not accepted
    page = bob.get(reverse("modellab:new") + f"?dataset=upload:{world.dataset.pk}")
    assert page.status_code == 200 and world.dataset.name not in page.content.decode()
    response = bob.post(reverse("modellab:new"), RULES["modellab:new"].data(world) | {"epochs": "2", "strategy": "scratch"})
    assert response.status_code == 400 and not Experiment.objects.filter(owner=world.bob).exists()
    # a comparison that mixes B's own run with A's
    mine = Experiment.objects.create(
        owner=world.bob,
        dataset=world.dataset,
        backbone="tiny",
        strategy="scratch",
        epochs=1,
        lr=0.01,
        batch_size=8,
        status=Experiment.Status.QUEUED,
    )
    assert bob.get(reverse("modellab:compare") + f"?ids={mine.pk}&ids={world.experiment.pk}").status_code == 404
    # an admin page's lesson id that does not exist
    admin_client = client_for("admin", world)
    assert admin_client.get(reverse("admin:quizzes_lesson_statistics", args=[999_999])).status_code == 404
    assert snapshot(world) == before


def test_huge_ids_are_404_not_500(world):
    owner = client_for("owner", world)
    huge = "9" * 30
    for path in (
        f"/attempts/{huge}/",
        f"/attempts/{huge}/questions/1/",
        f"/lab/experiments/{huge}/",
        f"/lab/datasets/{huge}/",
        f"/lab/experiments/{world.experiment.pk}/images/{huge}/",
        f"/lab/compare/?ids={huge}&ids=1",
    ):
        assert owner.get(path).status_code == 404, path
    assert client_for("admin", world).get(f"/questions/{huge}/preview/").status_code == 404
    assert owner.post(f"/attempts/{world.practice.pk}/questions/{huge}/answer/", {"answer": "A"}).status_code in (302, 404)


def test_staff_without_permissions_cannot_use_the_question_pages(world, django_user_model):
    """Being staff is not enough for the statistics/import/export pages and the previews: each checks its permission."""
    staff = django_user_model.objects.create_user("helper", password="a-long-pass-42", is_staff=True)
    client = Client()
    client.force_login(staff)
    for name in ("statistics", "statistics_csv", "import", "export"):
        assert client.get(reverse(f"admin:quizzes_lesson_{name}", args=[world.lesson.pk])).status_code == 403, name
    assert client.post(reverse("admin:quizzes_lesson_import", args=[world.lesson.pk]), {}).status_code == 403
    assert client.get(reverse("admin:quizzes_attempt_changelist")).status_code == 403
    previews = (
        reverse("quizzes:question_preview", args=[world.question.pk]),
        reverse("courses:lesson_preview", args=[world.draft.slug]),
    )
    for url in previews:
        assert client.get(url).status_code == 403, url


def test_the_previews_open_with_the_view_permission_alone(world, django_user_model):
    """Staff with 'view question' see the question preview, with 'view lesson' the lesson preview; each only its own."""
    from django.contrib.auth.models import Permission

    question_url = reverse("quizzes:question_preview", args=[world.question.pk])
    lesson_url = reverse("courses:lesson_preview", args=[world.draft.slug])
    for codename, allowed, refused in (("view_question", question_url, lesson_url), ("view_lesson", lesson_url, question_url)):
        staff = django_user_model.objects.create_user(f"viewer-{codename}", password="a-long-pass-42", is_staff=True)
        staff.user_permissions.add(Permission.objects.get(codename=codename))
        client = Client()
        client.force_login(staff)
        assert client.get(allowed).status_code == 200, codename
        assert client.get(refused).status_code == 403, codename


def test_an_unpublished_lesson_is_404_except_in_the_staff_preview(world):
    for role in ("anon", "owner", "admin"):
        client = client_for(role, world)
        for name in (
            "courses:lesson",
            "quizzes:practice",
            "quizzes:test_start",
            "quizzes:review",
            "quizzes:exam",
            "quizzes:drill",
            "quizzes:flashcards",
            "quizzes:numbers",
            "quizzes:sheet",
        ):
            assert client.get(reverse(name, args=[world.draft.slug])).status_code == 404, (role, name)
        assert client.post(reverse("quizzes:test_start", args=[world.draft.slug])).status_code == 404, role
    assert client_for("admin", world).get(reverse("courses:lesson_preview", args=[world.draft.slug])).status_code == 200


def test_an_anonymous_students_attempt_is_theirs_alone(world):
    """Anonymous students are known by an id in their session: another session, anonymous or
    signed in, gets 404 for every page and POST of the attempt."""
    x, y = Client(), Client()
    response = x.post(reverse("quizzes:practice", args=[world.lesson.slug]))
    attempt = Attempt.objects.get(user__isnull=True, mode="practice")
    assert response.status_code == 302 and x.get(reverse("quizzes:question", args=[attempt.pk, 1])).status_code == 200
    for client in (y, client_for("other", world), client_for("admin", world)):
        assert client.get(reverse("quizzes:attempt", args=[attempt.pk])).status_code == 404
        assert client.get(reverse("quizzes:question", args=[attempt.pk, 1])).status_code == 404
        for name in ("answer", "hint"):
            assert client.post(reverse(f"quizzes:{name}", args=[attempt.pk, 1]), {"answer": "A"}).status_code == 404
        assert client.post(reverse("quizzes:finish", args=[attempt.pk])).status_code == 404
    attempt.refresh_from_db()
    assert not attempt.finished and not attempt.responses.exists()


def test_a_new_page_without_a_rule_is_reported():
    """The check above really catches a page nobody wrote a rule for."""
    from django.http import HttpResponse
    from django.urls import include, path

    new_page = [path("lab/", include(([path("secret/", lambda request: HttpResponse("x"), name="secret")], "modellab")))]
    (entry,) = list(_walk(new_page))
    assert entry.key == "modellab:secret" and rule_for(entry) is None

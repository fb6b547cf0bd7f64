"""A test's choice order cannot be worked out from what the student sees (issue 15, finding 1).

The prober's attack: the order was random.Random(f"{attempt id}:{question id}"), both visible,
and practice reveals each question's authored order, so every test's shuffle could be undone.
"""

import random

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from quizzes.services import attempts as attempt_services
from quizzes.services.attempts import attempt_start
from quizzes.identity import Student
from quizzes.models import Choice, Mode

KNOWN_SEED = 1_234_567_891  # distinctive, so finding it in a page means the seed leaked


def public_order(authored: list[int], attempt_id: int, question_id: int) -> list[int]:
    """The order the old code showed, computed from the attempt id and question id alone."""
    order = list(authored)
    random.Random(f"{attempt_id}:{question_id}").shuffle(order)
    return order


def authored(question_id: int) -> list[int]:
    return list(Choice.objects.filter(question_id=question_id).values_list("id", flat=True))


@pytest.fixture
def alice(django_user_model):
    return django_user_model.objects.create_user("alice", password="a-long-pass-42")


def test_the_attack_from_attempt_and_question_ids_no_longer_works(seed_lesson, alice, monkeypatch):
    """Knowing every authored order, the attempt id and the question id, the old formula now
    predicts no more than chance (1 in 24 for four choices), where it used to predict all but
    the true/false ones (never shuffled)."""
    seeds = iter([11, 22, 33])  # fixed, so the count below cannot vary from run to run
    monkeypatch.setattr(attempt_services.secrets, "randbits", lambda bits: next(seeds))
    student = Student(user_id=alice.pk)
    predicted = total = 0
    for _ in range(3):
        attempt = attempt_start(student=student, lesson=seed_lesson, mode=Mode.TEST)
        for qid in attempt.question_ids:
            total += 1
            predicted += attempt.choice_orders[str(qid)] == public_order(authored(qid), attempt.pk, qid)
    assert total == 30
    assert predicted <= 8, f"{predicted} of {total} test orders recomputed from public ids"


def test_the_order_depends_on_the_attempts_secret_and_the_servers_key(seed_lesson, alice):
    """Same attempt id, same question ids: another secret seed, or another SECRET_KEY, gives
    other orders. So nothing the student can see fixes the order."""
    attempt = attempt_start(student=Student(user_id=alice.pk), lesson=seed_lesson, mode=Mode.TEST)
    questions = list(seed_lesson.questions.filter(id__in=attempt.question_ids).prefetch_related("choices"))
    assert attempt_services._choice_orders(questions, attempt=attempt) == attempt.choice_orders, "stored as computed"
    attempt.seed += 1
    assert attempt_services._choice_orders(questions, attempt=attempt) != attempt.choice_orders
    attempt.seed -= 1
    with override_settings(SECRET_KEY="another-key-entirely-0123456789-abcdefghijklmnop"):
        assert attempt_services._choice_orders(questions, attempt=attempt) != attempt.choice_orders


def test_an_attempt_in_progress_keeps_its_stored_order(seed_lesson, alice):
    """The order is read from the attempt, not recomputed: a changed SECRET_KEY (a deploy)
    does not reshuffle a test someone is taking."""
    attempt = attempt_start(student=Student(user_id=alice.pk), lesson=seed_lesson, mode=Mode.TEST)
    with override_settings(SECRET_KEY="another-key-entirely-0123456789-abcdefghijklmnop"):
        client = Client()
        client.force_login(alice)
        for number, qid in enumerate(attempt.question_ids, start=1):
            shown = client.get(reverse("quizzes:question", args=[attempt.pk, number])).context["shown"]
            assert [c.choice.id for c in shown.choices] == attempt.choice_orders[str(qid)]


def test_the_secret_seed_never_reaches_a_page(seed_lesson, alice, django_user_model, monkeypatch):
    """Not on the question pages, the result page, the progress page, the lesson page, nor
    the admin's attempt page."""
    monkeypatch.setattr(attempt_services.secrets, "randbits", lambda bits: KNOWN_SEED)
    client = Client()
    client.force_login(alice)
    start = client.post(reverse("quizzes:test_start", args=[seed_lesson.slug]))
    assert start.status_code == 302
    attempt = alice.quiz_attempts.get(mode=Mode.TEST)
    assert attempt.seed == KNOWN_SEED
    pages = [reverse("quizzes:question", args=[attempt.pk, n]) for n in range(1, len(attempt.question_ids) + 1)]
    pages += [
        reverse("courses:lesson", args=[seed_lesson.slug]),
        reverse("quizzes:progress"),
        reverse("quizzes:test_start", args=[seed_lesson.slug]),
    ]
    seen = [client.get(url) for url in pages]
    finish = client.post(reverse("quizzes:finish", args=[attempt.pk]), follow=True)
    seen.append(finish)
    admin = django_user_model.objects.create_superuser("root", "root@example.org", "a-long-pass-42")
    staff = Client()
    staff.force_login(admin)
    seen.append(staff.get(reverse("admin:quizzes_attempt_change", args=[attempt.pk])))
    seen.append(staff.get(reverse("admin:quizzes_attempt_changelist")))
    for response in seen:
        assert response.status_code == 200
        body = response.content.decode()
        assert str(KNOWN_SEED) not in body and f"{KNOWN_SEED:,}" not in body, response.request["PATH_INFO"]
        assert str(KNOWN_SEED) not in str(response.headers)

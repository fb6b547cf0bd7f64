"""The last seats of a class, raced: twelve learners press "Sign up" at once for four seats; four get in.

A real gunicorn server (2 processes x 4 threads) on PostgreSQL, where the code's row lock is what
keeps the count right (SQLite runs one writer at a time anyway); the clients are released together
by a threading.Barrier.
"""

import threading

import pytest

from tests.conftest import require_postgres
from harness.http_client import Client, csrf_token
from harness.processes import running_site

pytestmark = pytest.mark.integration

SEATS, LEARNERS = 4, 12
CODE = "RACE2345"
MAKE_CODE = f"""
from datetime import timedelta
from django.utils import timezone
from courses.models import ClassCode, Course
ClassCode.objects.create(code="{CODE}", course=Course.objects.first(), name="Raced class", seats={SEATS},
                         expires_at=timezone.now() + timedelta(days=1))
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    require_postgres()
    with running_site(
        "postgres", tmp_path_factory.mktemp("class-race"), prefix="learn_class", DEBUG="1", workers=2, threads=4
    ) as site:
        site.manage("shell", "-c", MAKE_CODE)
        yield site


def test_the_last_seats_raced_are_never_oversubscribed(site):
    tabs = [Client(site.port) for _ in range(LEARNERS)]
    tokens = [csrf_token(tab.get("/accounts/signup/").body) for tab in tabs]
    barrier = threading.Barrier(LEARNERS)
    replies = [None] * LEARNERS

    def press(i):
        data = {
            "username": f"racer{i}",
            "password1": "a-long-passphrase-42",
            "password2": "a-long-passphrase-42",
            "class_code": CODE,
        }
        barrier.wait()
        replies[i] = tabs[i].post("/accounts/signup/", data, csrf=tokens[i])

    threads = [threading.Thread(target=press, args=(i,)) for i in range(LEARNERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    statuses = sorted(r.status for r in replies)
    assert statuses == [200] * (LEARNERS - SEATS) + [302] * SEATS, (statuses, site.log())
    assert all("Raced class" in r.body and "is full" in r.body for r in replies if r.status == 200)
    members = site.query("SELECT count(*) FROM courses_classmember")[0][0]
    users = site.query("SELECT count(*) FROM auth_user WHERE username LIKE %s", ("racer%",))[0][0]
    assert (members, users) == (SEATS, SEATS)

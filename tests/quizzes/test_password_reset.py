"""Password reset takes the same work for an address with an account and one without: the
request only queues a task, and the task sends the mail (issue 15, finding 4)."""

from pathlib import Path
from unittest import mock

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from harness.http_client import Client as HarnessClient
from harness.http_client import csrf_token
from config.celery import app
from quizzes.tasks import send_password_reset
from tests.modellab.lab_stack import LabStack

KNOWN, UNKNOWN = "f@example.com", "nobody@example.com"


@pytest.fixture
def forgetful(django_user_model):
    return django_user_model.objects.create_user("forgetful", email=KNOWN, password="pw-123456789")


def request_reset(client, email):
    with CaptureQueriesContext(connection) as queries:
        response = client.post(reverse("password_reset"), {"email": email})
    assert response.status_code == 302 and response.url == reverse("password_reset_done")
    return [q["sql"] for q in queries]


@pytest.mark.django_db
def test_a_known_and_an_unknown_address_cost_the_request_the_same(client, forgetful, django_capture_on_commit_callbacks):
    """Each request queues one task with the same kind of arguments, sends nothing itself and
    does not look the address up."""
    with mock.patch.object(send_password_reset, "delay") as delay, django_capture_on_commit_callbacks(execute=True):
        known = request_reset(client, KNOWN)
        unknown = request_reset(client, UNKNOWN)
    assert delay.call_args_list == [mock.call(KNOWN, "testserver", False), mock.call(UNKNOWN, "testserver", False)]
    assert mail.outbox == []
    assert len(known) == len(unknown)
    assert not [q for q in known + unknown if "auth_user" in q], "the request looked an account up"


@pytest.mark.django_db
def test_the_task_mails_a_working_link_to_a_known_address_only(client, forgetful):
    send_password_reset.apply(args=(UNKNOWN, "learn.example.org", True)).get()
    assert mail.outbox == []
    send_password_reset.apply(args=(KNOWN, "learn.example.org", True)).get()
    (message,) = mail.outbox
    assert message.to == [KNOWN]
    link = next(line for line in message.body.splitlines() if "/reset/" in line).strip()
    assert link.startswith("https://learn.example.org/accounts/reset/")
    response = client.get(link.removeprefix("https://learn.example.org"), follow=True)
    assert b"Choose a new password" in response.content


def test_the_task_goes_to_the_default_queue():
    """Where `make run`'s worker (-Q gpu,default) picks it up; the GPU workers take only `gpu`."""
    route = app.amqp.router.route({}, send_password_reset.name)
    assert route["queue"].name == "default"


@pytest.mark.integration
def test_a_real_worker_on_the_default_queue_sends_the_mail(tmp_path):
    """The site (runserver) queues the task on the embedded broker; a `celery worker -Q default`
    process sends the mail (the console backend writes it to the worker's log), the web
    process never does."""
    stack = LabStack(tmp_path)
    try:
        stack.migrate()
        stack.manage(
            "shell",
            "-c",
            "from django.contrib.auth import get_user_model; get_user_model().objects"
            f".create_user('forgetful', email='{KNOWN}', password='pw-123456789')",
        )
        client = HarnessClient(port=int(stack.start_web().rsplit(":", 1)[1]))
        worker = stack.start_worker("mail@test", queues="default")
        form = client.get("/accounts/password_reset/")
        reply = client.post("/accounts/password_reset/", {"email": KNOWN}, csrf=csrf_token(form.body))
        assert reply.status == 302, reply.body[:2000]
        mailed = lambda: "/accounts/reset/" in Path(worker.log_path).read_text()  # noqa: E731
        try:
            stack.wait_for(mailed, 90, "the reset mail in the worker's log")
        except TimeoutError:
            raise AssertionError(stack.logs()) from None
        assert f"To: {KNOWN}" in Path(worker.log_path).read_text()
        assert "/accounts/reset/" not in (tmp_path / "web.log").read_text(), "the web process sent mail"
    finally:
        stack.stop_all()

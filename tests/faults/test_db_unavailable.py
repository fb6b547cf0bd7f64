"""The database briefly unreachable when a learner submits a lab run.

The learner gets HTTP 503 with a page saying nothing was submitted and to try again; no
experiment is created (none lost half-way, none queued); submitting again afterwards
creates exactly one.

* test_submit_while_postgres_is_unreachable: a real gunicorn server (DEBUG=0) talks to a
  throwaway PostgreSQL database through a TCP proxy in this process; the proxy is stopped
  (every connection cut, the port refusing) for the submit, then started again.
* test_database_error_inside_the_submit_transaction: in process, the connection fails after
  the experiment row is written but before the transaction commits.
* test_database_failure_while_the_session_is_saved_is_a_503_page: the failure comes after the
  view, when the session middleware saves the session.
"""

import socket
import threading

import pytest
from django.db import OperationalError
from django.urls import reverse

from tests.conftest import require_postgres
from harness.processes import Site, free_port, postgres_database
from harness.http_client import Client, csrf_token

FORM = {"dataset": "builtin:digits-3", "backbone": "tiny", "strategy": "scratch", "epochs": "1", "lr": "0.01", "batch_size": "8"}


def assert_unavailable_page(status: int, body: str) -> None:
    assert status == 503, body[:1000]
    assert "Nothing was submitted" in body and "try again" in body
    assert 'data-code="database_unavailable"' in body


class TcpProxy:
    """127.0.0.1:<port> -> target, in threads; stop() cuts every connection and closes the port."""

    def __init__(self, target=("127.0.0.1", 5432)):
        self.target, self.port = target, free_port()
        self.listener, self.sockets, self.lock = None, [], threading.Lock()

    def start(self):
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.listener.listen(64)
        self.listener.settimeout(0.1)
        self.running = True
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def _accept(self, listener):
        while self.running:
            try:
                client, _ = listener.accept()
            except (TimeoutError, socket.timeout):
                continue
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src, dst):
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def stop(self):
        self.running = False
        self.listener.close()
        with self.lock:
            sockets, self.sockets = self.sockets, []
        for s in sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()


@pytest.mark.integration
def test_submit_while_postgres_is_unreachable(tmp_path):
    require_postgres()
    import psycopg

    with postgres_database("learn_dbdown") as direct_url:
        proxy = TcpProxy()
        proxy.start()
        name = direct_url.rsplit("/", 1)[1]
        site = Site(
            tmp_path,
            database_url=f"postgresql://postgres@127.0.0.1:{proxy.port}/{name}",
            LAB_CIFAR_ROOT=str(tmp_path / "no-cifar"),
        )
        try:
            site.prepare(content=False)
            site.manage(
                "shell",
                "-c",
                "from django.contrib.auth.models import User; User.objects.create_user('learner', password='pw-learner-123')",
            )
            site.start()

            def experiments():
                with psycopg.connect(direct_url) as con:
                    return con.execute("SELECT COUNT(*) FROM modellab_experiment").fetchone()[0]

            tab = Client(site.port)
            login = tab.get("/accounts/login/")
            reply = tab.post(
                "/accounts/login/", {"username": "learner", "password": "pw-learner-123"}, csrf=csrf_token(login.body)
            )
            assert reply.status == 302, reply.body[:500]
            form = tab.get("/lab/new/")
            assert form.status == 200
            token = csrf_token(form.body)

            proxy.stop()  # the database is unreachable: open connections cut, new ones refused
            try:
                down = tab.post("/lab/new/", FORM, csrf=token)
                assert_unavailable_page(down.status, down.body)
                assert down.headers.get("retry-after")
                again = tab.post("/lab/new/", FORM, csrf=token)  # a learner who retries at once
                assert_unavailable_page(again.status, again.body)
            finally:
                proxy.start()
            assert experiments() == 0

            up = tab.post("/lab/new/", FORM, csrf=token)
            assert up.status == 302 and "/lab/experiments/" in up.headers["location"], (up.status, up.body[:1000])
            assert experiments() == 1
            assert tab.get(up.headers["location"]).status == 200
        except Exception:
            print(site.log())
            raise
        finally:
            site.cleanup()
            proxy.stop()


@pytest.mark.django_db
def test_database_error_inside_the_submit_transaction(client, django_user_model, settings, tmp_path, monkeypatch):
    from modellab.models import Experiment
    from modellab.services import experiments

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LAB_CIFAR_ROOT = tmp_path / "no-cifar"
    user = django_user_model.objects.create_user("learner", password="pw-learner-123")
    client.force_login(user)
    written = []

    def connection_lost(experiment_id):
        written.append(Experiment.objects.filter(pk=experiment_id).exists())  # the row is written by now
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(experiments, "_enqueue", connection_lost)
    down = client.post(reverse("modellab:new"), FORM)
    assert_unavailable_page(down.status_code, down.content.decode())
    assert written == [True]
    assert Experiment.objects.count() == 0  # rolled back with the transaction

    monkeypatch.undo()
    queued = []
    monkeypatch.setattr(experiments, "_enqueue", queued.append)
    up = client.post(reverse("modellab:new"), FORM)
    assert up.status_code == 302
    assert Experiment.objects.count() == 1 and queued == [Experiment.objects.get().pk]


@pytest.mark.django_db
def test_database_failure_while_the_session_is_saved_is_a_503_page(client, seed_lesson, monkeypatch):
    """The session is saved by the middleware after the view answered: the database failing there
    gives the 503 page (saying the request may not have been saved), not a 500."""
    from django.contrib.sessions.backends.db import SessionStore

    def connection_lost(self, must_create=False):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(SessionStore, "save", connection_lost)
    # An anonymous student starting practice: the view gives them an id in the session, which is saved after it.
    response = client.post(reverse("quizzes:practice", args=[seed_lesson.slug]))
    body = response.content.decode()
    assert response.status_code == 503 and response["Retry-After"], body[:1000]
    assert 'data-code="database_unavailable"' in body and "may not have been saved" in body

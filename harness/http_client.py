"""A small HTTP client for the real site: one browser tab's cookies and CSRF, and the test pages read.

Standard library only. `Client` talks to a site on 127.0.0.1 (see `harness/processes.py` for starting
one); the helpers below read the question and result pages the way a student's browser uses them.
"""

from __future__ import annotations

import html
import http.client
import re
import time
import uuid
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

LESSON_SLUG = "why-pretrained-models-save-time"


@dataclass
class Reply:
    status: int
    headers: dict
    body: str
    seconds: float
    raw: bytes = b""  # the body's bytes, for a download

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


_CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_ANSWER_RE = re.compile(r'<input type="(radio|checkbox)" name="answer" id="[^"]*" value="([A-Z]+)"')


@dataclass
class Client:
    """One browser tab: a keep-alive connection to 127.0.0.1, a cookie jar, CSRF from the forms.

    Redirects are not followed automatically, so each request is timed on its own; `follow`
    follows them with GETs the way a browser does after a POST.
    """

    port: int
    timeout: float = 60
    cookies: dict = field(default_factory=dict)
    conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        return self.conn

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def new_identity(self) -> None:
        """Forget the cookies: the next request is a new visitor (the connection is kept)."""
        self.cookies = {}

    def request(self, method: str, path: str, data: dict | list | None = None, *, files: dict | None = None) -> Reply:
        """``files``: field name -> (file name, bytes, content type), sent as multipart/form-data."""
        headers = {"Host": f"127.0.0.1:{self.port}"}
        body = None
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method == "POST":
            if files:
                body, headers["Content-Type"] = multipart(data or [], files)
            else:
                body = urlencode(data or {}, doseq=True).encode()
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = f"http://127.0.0.1:{self.port}"
            headers["Referer"] = f"http://127.0.0.1:{self.port}{path}"
        # A GET on a connection the server closed while idle is resent once; a POST never is.
        for attempt in (1, 2):
            conn = self._connection()
            start = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                resp = conn.getresponse()
                raw = resp.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if method == "GET" and attempt == 1:
                    continue
                raise
            except Exception:
                self.close()
                raise
            seconds = time.perf_counter() - start
            break
        for header in resp.msg.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or morsel.value == "":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        if resp.getheader("Connection", "").lower() == "close":
            self.close()
        return Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, raw.decode("utf-8", "replace"), seconds, raw)

    def get(self, path: str) -> Reply:
        return self.request("GET", path)

    def post(self, path: str, data: dict | list | None = None, *, csrf: str | None = None, files: dict | None = None) -> Reply:
        data = list(data.items()) if isinstance(data, dict) else list(data or [])
        token = csrf or self.cookies.get("csrftoken", "")
        return self.request("POST", path, [("csrfmiddlewaretoken", token), *data], files=files)

    def follow(self, reply: Reply, limit: int = 5) -> Reply:
        while reply.status in (301, 302, 303) and limit:
            reply = self.get(path_of(reply.location))
            limit -= 1
        return reply


def multipart(fields: list, files: dict) -> tuple[bytes, str]:
    """(body, content type) of a multipart/form-data form: ``fields`` as (name, value) pairs,
    ``files`` as name -> (file name, bytes, content type)."""
    boundary = f"----lab-test-{uuid.uuid4().hex}"
    parts = []
    for name, value in fields:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, content, content_type) in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        )
        parts.append(head.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def path_of(location: str) -> str:
    """The path (and query) of a redirect's Location, without its #fragment."""
    parts = urlsplit(location)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def csrf_token(page: str) -> str:
    match = _CSRF_RE.search(page)
    return html.unescape(match.group(1)) if match else ""


def answer_options(page: str) -> tuple[str, list[str]]:
    """('radio' or 'checkbox', the letters) of the question form on a question page."""
    found = _ANSWER_RE.findall(page)
    if not found:
        return "", []
    return found[0][0], [letter for _, letter in found]


def first_answer(page: str) -> list[tuple[str, str]]:
    """Form fields that answer a question page: its first choice, or "1" typed into a typed-answer question."""
    _, letters = answer_options(page)
    if letters:
        return [("answer", letters[0])]
    return [("typed", "1")] if 'name="typed"' in page else []


_ATTEMPT_RE = re.compile(r"/attempts/(\d+)/questions/(\d+)/")
_RESULT_RE = re.compile(r"/attempts/(\d+)/result/")


def question_location(location: str) -> tuple[int, int] | None:
    """(attempt id, question number) of a question URL, else None."""
    match = _ATTEMPT_RE.search(location)
    return (int(match.group(1)), int(match.group(2))) if match else None


def is_result_location(location: str) -> bool:
    return bool(_RESULT_RE.search(location))


def start_test(client: Client, slug: str = LESSON_SLUG) -> tuple[int, Reply, Reply]:
    """Open the test page and start a new test; returns (attempt id, page reply, start reply)."""
    page = client.get(f"/lessons/{slug}/test/")
    if page.status != 200:
        raise RuntimeError(f"test page answered {page.status}")
    start = client.post(f"/lessons/{slug}/test/", {"new": "1"}, csrf=csrf_token(page.body))
    where = question_location(start.location) if start.status == 302 else None
    if where is None:
        raise RuntimeError(f"starting the test answered {start.status} {start.location!r}")
    return where[0], page, start

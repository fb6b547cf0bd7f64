"""The Content-Security-Policy on every HTML page, nothing inline for it to block, and the
request body cap (issue 15, finding 4). The browser's view of the policy: tests/e2e/test_csp.py."""

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.test.client import BOUNDARY, encode_multipart
from django.urls import reverse

from modellab.models import Dataset
from tests.security.test_access_matrix import client_for
from tests.security.test_csrf import PAGES, _viewer, extra_pages, rule_for
from tests.security.test_hardening import _production_settings

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIRS = [ROOT / "templates", *ROOT.glob("*/templates")]


class InlineCode(HTMLParser):
    """What a strict policy would block: <script> without src, <style>, style= and on*= attributes."""

    def __init__(self, html: str):
        super().__init__()
        self.found: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and not attrs.get("src"):
            self.found.append("<script> without src")
        if tag == "style":
            self.found.append("<style>")
        for name in attrs:
            if name == "style" or name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")


def test_the_policy_is_strict():
    directives = dict(d.strip().split(" ", 1) for d in settings.CONTENT_SECURITY_POLICY.split(";"))
    assert directives["default-src"] == "'self'" and directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert directives["form-action"] == "'self'" and directives["base-uri"] == "'self'"
    assert "unsafe" not in settings.CONTENT_SECURITY_POLICY


def test_every_html_page_sends_the_policy_and_holds_nothing_inline(world):
    """Every page of the access matrix (and the pages only reached in other states), as the
    first role that may see it: the policy header, and no inline code in what is rendered
    (templates, Markdown, the admin)."""
    pages = [(_viewer(rule_for(e)), rule_for(e).url(world)) for e in PAGES] + extra_pages(world)
    checked = 0
    for role, url in pages:
        response = client_for(role, world).get(url)
        assert response.status_code == 200, url
        if not response["Content-Type"].startswith("text/html"):
            continue
        checked += 1
        assert response["Content-Security-Policy"] == settings.CONTENT_SECURITY_POLICY, url
        assert not InlineCode(response.content.decode()).found, (url, InlineCode(response.content.decode()).found)
    assert checked >= 40


def test_the_lab_image_keeps_its_own_stricter_policy(world):
    client = client_for("owner", world)
    response = client.get(reverse("modellab:experiment_image", args=[world.experiment.pk, 0]))
    assert response["Content-Type"] == "image/png" and "sandbox" in response["Content-Security-Policy"]


@pytest.mark.parametrize("path", sorted(p for d in TEMPLATE_DIRS for p in d.rglob("*.html")), ids=lambda p: p.name)
def test_no_template_holds_inline_code(path):
    """Templates, including the ones rendered without a request (503, 413)."""
    text = re.sub(r"\{[%#{].*?[%#}]\}", "T", path.read_text(), flags=re.S)  # template tags out
    assert not InlineCode(text).found, InlineCode(text).found


# ----------------------------------------------------------------------------- body cap


class Unreadable:
    """A request body that fails the test if anything reads it."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = read


def test_an_oversized_post_is_refused_with_413_before_its_body_is_read(world):
    limit = settings.MAX_REQUEST_BODY_BYTES
    for client in (Client(), client_for("owner", world)):
        before = Dataset.objects.count()
        response = client.post(
            reverse("modellab:dataset_upload"),
            CONTENT_TYPE="multipart/form-data; boundary=x",
            CONTENT_LENGTH=str(limit + 1),
            **{"wsgi.input": Unreadable()},
        )
        assert response.status_code == 413
        page = response.content.decode()
        assert 'data-code="request_too_large"' in page and "Nothing was saved" in page
        assert f"at most {limit / 2**20:.1f} MB" in page and f"up to {settings.LAB_MAX_UPLOAD_MB} MB" in page
        assert response["Content-Security-Policy"] == settings.CONTENT_SECURITY_POLICY
        assert Dataset.objects.count() == before


@override_settings(MAX_REQUEST_BODY_BYTES=2000)
def test_a_body_at_the_cap_goes_through_and_one_byte_more_does_not(world):
    url = reverse("login")
    base = {"username": "x", "password": "y"}
    size = len(encode_multipart(BOUNDARY, base | {"pad": ""}))  # what the test client sends
    at_cap = base | {"pad": "p" * (2000 - size)}
    assert Client().post(url, at_cap).status_code == 200
    assert Client().post(url, at_cap | {"pad": at_cap["pad"] + "p"}).status_code == 413


def test_the_cap_follows_the_upload_limit(tmp_path):
    """LAB_MAX_UPLOAD_MB plus room for the form's other fields (Django's field limit)."""
    result = _production_settings(
        tmp_path,
        (
            "import django, json; django.setup(); from django.conf import settings as s; "
            "print(json.dumps([s.MAX_REQUEST_BODY_BYTES, s.DATA_UPLOAD_MAX_MEMORY_SIZE]))"
        ),
        LAB_MAX_UPLOAD_MB="7",
    )
    assert result.returncode == 0, result.stderr
    cap, fields = json.loads(result.stdout.strip().splitlines()[-1])
    assert cap == 7 * 2**20 + fields and fields == 2_621_440

"""Rate limits on the lab, production cookies and headers, and how uploads are (never) served."""

import io
import os
import subprocess
import sys
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse
from PIL import Image

from modellab import storage
from modellab.models import Dataset, Experiment
from tests.modellab.conftest import make_zip, png_bytes
from tests.modellab.hostile import EPS, record_ghostscript
from tests.security.conftest import finished_results

ROOT = Path(__file__).resolve().parents[2]
LIMITS = {
    "login": (10, 300),
    "login_account": (10, 300),
    "signup": (5, 3600),
    "password_reset": (5, 3600),
    "lab_submit": (3, 3600),
    "lab_predict": (2, 3600),
}


# ----------------------------------------------------------------------------- rate limits


def _submit_data(world, dataset="builtin:digits"):
    return {
        "dataset": dataset,
        "backbone": "tiny",
        "strategy": "scratch",
        "epochs": "1",
        "lr": "0.01",
        "batch_size": "8",
        "action": "run",
    }


@override_settings(RATE_LIMITS=LIMITS)
def test_lab_submissions_are_rate_limited_per_user(world):
    """The 4th submit in the window is refused with 429 and Retry-After, whatever the form holds;
    another user is counted apart and reading the form is never limited."""
    client = Client()
    client.force_login(world.alice)
    url = reverse("modellab:new")
    bad = _submit_data(world) | {"epochs": "not a number"}
    codes = [client.post(url, bad).status_code for _ in range(3)]
    assert codes == [400, 400, 400]
    before = Experiment.objects.count()
    refused = client.post(url, _submit_data(world, f"upload:{world.dataset.pk}"))
    assert refused.status_code == 429 and refused["Retry-After"] == "3600"
    assert 'data-code="rate_limited"' in refused.content.decode()
    assert Experiment.objects.count() == before, "a refused submit creates nothing"
    assert client.get(url).status_code == 200
    bob = Client()
    bob.force_login(world.bob)
    assert bob.post(url, bad).status_code == 400


@override_settings(RATE_LIMITS=LIMITS)
def test_compare_and_upload_count_against_the_same_limit(world):
    client = Client()
    client.force_login(world.alice)
    assert client.post(reverse("modellab:new"), _submit_data(world) | {"action": "compare", "epochs": "x"}).status_code == 400
    upload = reverse("modellab:dataset_upload")
    assert client.post(upload, {"name": "x"}).status_code == 400
    assert client.post(upload, {"name": "x"}).status_code == 400
    archive = SimpleUploadedFile("d.zip", make_zip({"a/1.png": png_bytes((1, 2, 3))}), content_type="application/zip")
    before = Dataset.objects.count()
    assert client.post(upload, {"name": "x", "archive": archive}).status_code == 429
    assert Dataset.objects.count() == before


@override_settings(RATE_LIMITS=LIMITS)
def test_predictions_are_rate_limited_per_user(world):
    """Predictions run the model in the web process: the 3rd in the window is refused with 429."""
    client = Client()
    client.force_login(world.alice)
    url = reverse("modellab:experiment_predict", args=[world.experiment.pk])
    codes = [client.post(url, {}).status_code for _ in range(3)]
    assert codes == [400, 400, 429]


@override_settings(RATE_LIMITS=LIMITS)
def test_anonymous_lab_posts_go_to_log_in_and_are_not_counted(world):
    client = Client()
    for _ in range(5):
        response = client.post(reverse("modellab:new"), _submit_data(world))
        assert response.status_code == 302 and reverse("login") in response["Location"]


# ----------------------------------------------------------------------------- production settings


def _production_settings(tmp_path, code: str, **more_env: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL"}}
    env.update(
        {
            "DEBUG": "0",
            "SECRET_KEY": "p" * 20 + "-a-long-random-production-key-0123456789",
            "ALLOWED_HOSTS": "learn.example.org",
            "DATA_DIR": str(tmp_path),
            "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
            "DJANGO_SETTINGS_MODULE": "config.settings",
        },
        **more_env,
    )
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_production_cookies_and_transport_are_locked_down(tmp_path):
    code = (
        "import django; django.setup(); from django.conf import settings as s; import json; "
        "print(json.dumps({k: getattr(s, k) for k in ('DEBUG', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', "
        "'SESSION_COOKIE_HTTPONLY', 'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', 'SECURE_SSL_REDIRECT', "
        "'SECURE_CONTENT_TYPE_NOSNIFF', 'X_FRAME_OPTIONS')}))"
    )
    result = _production_settings(tmp_path, code)
    assert result.returncode == 0, result.stderr
    import json

    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] is True and values["CSRF_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31536000 and values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_SSL_REDIRECT"] is True and values["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert values["X_FRAME_OPTIONS"] == "DENY"


def test_production_responses_carry_the_security_headers_and_secure_cookies(tmp_path):
    """A real request through the middleware with DEBUG=0: HSTS, nosniff, frame denial, and
    Secure/HttpOnly flags on the cookies the log-in page sets."""
    code = (
        "import django; django.setup(); from django.core.management import call_command; "
        "call_command('migrate', verbosity=0); from django.test import Client, override_settings; "
        "from django.conf import settings; "
        "override_settings(STORAGES={**settings.STORAGES, 'staticfiles': "
        "{'BACKEND': 'django.contrib.staticfiles.storage.StaticFilesStorage'}}).enable(); "  # no collectstatic here
        "r = Client().get('/accounts/login/', secure=True, HTTP_HOST='learn.example.org'); "
        "c = r.cookies['csrftoken']; "
        "print(r.status_code, r['Strict-Transport-Security'], r['X-Content-Type-Options'], r['X-Frame-Options'], "
        "bool(c['secure']), r.cookies['csrftoken']['samesite'], sep='|'); "
        "r2 = Client().get('/accounts/login/', HTTP_HOST='learn.example.org'); print(r2.status_code, r2['Location'])"
    )
    result = _production_settings(tmp_path, code)
    assert result.returncode == 0, result.stderr
    first, second = result.stdout.strip().splitlines()[-2:]
    status, hsts, nosniff, frame, secure, samesite = first.split("|")
    assert status == "200" and "max-age=31536000" in hsts and "includeSubDomains" in hsts
    assert nosniff == "nosniff" and frame == "DENY" and secure == "True" and samesite == "Lax"
    assert second == "301 https://learn.example.org/accounts/login/", "plain HTTP is redirected to HTTPS"


# ----------------------------------------------------------------------------- uploads


def test_validation_images_are_png_with_nosniff(world):
    client = Client()
    client.force_login(world.alice)
    response = client.get(reverse("modellab:experiment_image", args=[world.experiment.pk, 0]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png" and response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert Image.open(io.BytesIO(response.content)).format == "PNG"


HOSTILE_SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'
HOSTILE_HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"


def test_html_and_svg_inside_an_uploaded_zip_are_never_served(world, lab_media):
    """evil.html and x.svg (and HTML dressed as .png) are skipped at upload, never written under
    MEDIA_ROOT, never returned by the image view as anything but a re-encoded PNG, and the
    report shows their names escaped."""
    files = {f"red/r{i}.png": png_bytes((200, 10 + i, 10)) for i in range(6)}
    files |= {f"blue/b{i}.png": png_bytes((10, 10 + i, 200)) for i in range(6)}
    files |= {
        "red/evil.html": HOSTILE_HTML,
        "blue/x.svg": HOSTILE_SVG,
        "red/fake.png": HOSTILE_HTML,
        "blue/<script>alert(3)</script>.svg": HOSTILE_SVG,
    }
    client = Client()
    client.force_login(world.alice)
    archive = SimpleUploadedFile("evil.zip", make_zip(files), content_type="application/zip")
    response = client.post(reverse("modellab:dataset_upload"), {"archive": archive, "name": "evil"})
    assert response.status_code == 302, response.content.decode()[:2000]
    dataset = Dataset.objects.get(owner=world.alice, name="evil")
    on_disk = [p for p in storage.local_dir(dataset.folder).rglob("*") if p.is_file()]
    assert on_disk and all(p.suffix == ".png" for p in on_disk), on_disk
    for p in on_disk:
        assert Image.open(p).format in {"PNG", "JPEG"}
    assert not any(b"<script" in p.read_bytes() for p in lab_media.rglob("*") if p.is_file())

    page = client.get(reverse("modellab:dataset", args=[dataset.pk])).content.decode()
    assert "<script>alert(3)" not in page and "&lt;script&gt;alert(3)" in page

    # a run whose predictions name those files: the image view re-encodes or refuses, never serves them raw
    Experiment.objects.filter(pk=world.experiment.pk).update(
        dataset=dataset, results=finished_results(["red/evil.html", "blue/x.svg", "red/fake.png", "red/r0.png"])
    )
    for index in range(3):
        r = client.get(reverse("modellab:experiment_image", args=[world.experiment.pk, index]))
        assert r.status_code == 404 and b"<script" not in r.content
    r = client.get(reverse("modellab:experiment_image", args=[world.experiment.pk, 3]))
    assert r.status_code == 200 and r["Content-Type"] == "image/png"


def test_media_root_is_not_served_by_any_url(world, lab_media):
    """Files under MEDIA_ROOT are reachable only through the views that check ownership."""
    (lab_media / "probe.html").write_bytes(HOSTILE_HTML)
    client = Client()
    client.force_login(world.admin)
    paths = [
        "/media/probe.html",
        f"/media/{world.dataset.folder}/red/red0.png",
        f"/{world.dataset.folder}/red/red0.png",
        "/static/../media/probe.html",
        "/lab/datasets/../../media/probe.html",
        "/probe.html",
    ]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 404, path
        assert b"alert(document.cookie)" not in response.content


@override_settings(DEBUG=True)
def test_media_is_not_served_even_in_debug(world, lab_media):
    (lab_media / "probe.html").write_bytes(HOSTILE_HTML)
    response = Client().get("/media/probe.html")
    assert response.status_code == 404


def predict_as_alice(world, upload) -> tuple[Client, object]:
    """(alice's client, the answer to her upload) on her finished run, which has a model path."""
    client = Client()
    client.force_login(world.alice)
    Experiment.objects.filter(pk=world.experiment.pk).update(
        results=world.experiment.results | {"model_path": "lab/runs/none/model.pt"}
    )
    return client, client.post(reverse("modellab:experiment_predict", args=[world.experiment.pk]), {"image": upload})


def test_predict_never_echoes_the_upload(world):
    """A prediction upload is read as an image in memory: HTML bytes are refused, not stored or reflected."""
    _, response = predict_as_alice(world, SimpleUploadedFile("x.svg", HOSTILE_SVG, content_type="image/svg+xml"))
    assert response.status_code == 400 and response.context["predict_form"].has_error("image", code="bad_image")
    assert b"alert(2)" not in response.content


def test_eps_never_reaches_ghostscript_through_predict_or_the_gallery(world, monkeypatch):
    """EPS bytes named .png, sent to the prediction form or lying in a dataset the gallery shows:
    refused as not an image, and Pillow's EPS plugin never hands them to Ghostscript."""
    ran = record_ghostscript(monkeypatch)
    client, response = predict_as_alice(world, SimpleUploadedFile("photo.png", EPS, content_type="image/png"))
    assert response.status_code == 400 and response.context["predict_form"].has_error("image", code="bad_image")
    (storage.local_dir(world.dataset.folder) / "red" / "red0.png").write_bytes(EPS)  # predictions[0]
    assert client.get(reverse("modellab:experiment_image", args=[world.experiment.pk, 0])).status_code == 404
    assert ran == []


@override_settings(RATE_LIMITS=LIMITS | {"login": (3, 300)}, SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"))
def test_a_forged_x_forwarded_for_does_not_reset_the_log_in_limit(world):
    """Behind the proxy a client can send any X-Forwarded-For; the proxy appends the address it
    saw. Keying on the first entry let every guess come from a 'new' client."""
    client = Client()
    codes = [
        client.post(
            reverse("login"),
            {"username": "alice", "password": f"guess-{i}"},
            HTTP_X_FORWARDED_FOR=f"198.51.100.{i}, 203.0.113.7",
            REMOTE_ADDR="10.0.0.2",
        ).status_code
        for i in range(5)
    ]
    assert codes == [200, 200, 200, 429, 429]
    other = client.post(
        reverse("login"), {"username": "alice", "password": "x"}, HTTP_X_FORWARDED_FOR="203.0.113.8", REMOTE_ADDR="10.0.0.2"
    )
    assert other.status_code == 200, "another client behind the same proxy is counted apart"

"""What the site answers outside its pages: /favicon.ico, an unknown address, a foreign Host (no debug detail)."""

from django.conf import settings
from django.test import Client


def test_the_favicon_is_a_real_icon_served_as_a_static_file():
    response = Client().get("/favicon.ico")
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body[:4] == b"\x00\x00\x01\x00", "an ICO file"
    assert body == (settings.WHITENOISE_ROOT / "favicon.ico").read_bytes()
    assert response["Content-Type"] in {"image/x-icon", "image/vnd.microsoft.icon"}


def test_an_unknown_address_gets_the_sites_own_404_page(db):
    response = Client().get("/no-such-page/")
    page = response.content.decode()
    assert response.status_code == 404 and "Page not found" in page
    assert "URLconf" not in page and "urlpatterns" not in page.lower()


def test_a_foreign_host_gets_a_plain_400(db):
    response = Client().get("/", HTTP_HOST="attacker.example")
    page = response.content.decode()
    assert response.status_code == 400 and "We could not read this request" in page
    for detail in ("attacker.example", "ALLOWED_HOSTS", "sys.path", str(settings.BASE_DIR)):
        assert detail not in page

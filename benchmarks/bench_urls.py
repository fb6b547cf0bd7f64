"""The site's URLs plus a minimal Django view, the benchmark's yardstick (benchmark only)."""

from django.http import HttpResponse
from django.urls import path

from config.urls import urlpatterns as site_urlpatterns


def minimal(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("__bench__/minimal/", minimal, name="bench_minimal"), *site_urlpatterns]

"""Site-wide middleware: a database that cannot be reached answers 503 with a page saying nothing was saved."""
import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string

log = logging.getLogger(__name__)

RETRY_AFTER_S = 10


class DatabaseUnavailableMiddleware:
    """The database briefly unreachable (restarting, failing over, a network blip): answer
    HTTP 503 with a page that says nothing was saved and to try again, instead of a 500.

    The view's transaction has rolled back by then, so nothing it began was saved. The page
    is rendered without the request (no context processors), so rendering it needs no
    database. Listed last in MIDDLEWARE, so it sees the view's exception first.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        log.error("database unavailable: %s %s: %s", request.method, request.path, exception, exc_info=exception)
        body = render_to_string("503.html", {"retry_after": RETRY_AFTER_S, "method": request.method})
        response = HttpResponse(body, status=503)
        response["Retry-After"] = str(RETRY_AFTER_S)
        response["Cache-Control"] = "no-store"
        return response

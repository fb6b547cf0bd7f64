"""Site-wide middleware: the security policy of pages, the request size cap, and a 503 page when the database or the file storage cannot be reached."""

import logging

from django.conf import settings
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string

log = logging.getLogger(__name__)

RETRY_AFTER_S = 10
REQUEST_TOO_LARGE = "request_too_large"
DATABASE_UNAVAILABLE = "database_unavailable"
CSP_HEADER = "Content-Security-Policy"


class ContentSecurityPolicyMiddleware:
    """Send settings.CONTENT_SECURITY_POLICY with every HTML response that has no policy of
    its own (the lab's image view sets a stricter one, which stays)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.get("Content-Type", "").startswith("text/html") and CSP_HEADER not in response:
            response[CSP_HEADER] = settings.CONTENT_SECURITY_POLICY
        return response


class RequestBodyLimitMiddleware:
    """Answer HTTP 413 to a request whose Content-Length is over settings.MAX_REQUEST_BODY_BYTES,
    before anything reads its body (Django's DATA_UPLOAD_MAX_MEMORY_SIZE leaves file uploads
    out). The proxy in front should cap the body too; this holds where there is none.

    A request without a valid Content-Length has an empty body for Django, so nothing to cap.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.MAX_REQUEST_BODY_BYTES
        if length <= limit:
            return self.get_response(request)
        log.warning("request too large: %s %s: %d bytes, limit %d", request.method, request.path, length, limit)
        body = render_to_string(
            "413.html",
            {
                "code": REQUEST_TOO_LARGE,
                "size_mb": length / 2**20,
                "limit_mb": limit / 2**20,
                "upload_mb": settings.LAB_MAX_UPLOAD_MB,
            },
        )
        return HttpResponse(body, status=413)


def unavailable_response(request, code: str, *, after_view: bool = False) -> HttpResponse:
    """HTTP 503 with the page saying what could not be reached (``code``) and what became of the
    request. Rendered without the request (no context processors), so it needs no database."""
    body = render_to_string(
        "503.html", {"retry_after": RETRY_AFTER_S, "method": request.method, "code": code, "after_view": after_view}
    )
    response = HttpResponse(body, status=503)
    response["Retry-After"] = str(RETRY_AFTER_S)
    response["Cache-Control"] = "no-store"
    return response


class ServiceUnavailableMiddleware:
    """The database or the file storage briefly unreachable (restarting, failing over, a network
    blip): answer HTTP 503 with a page that says nothing was saved and to try again, instead of a 500.

    The view's transaction has rolled back by then, and a view checks the storage before it
    writes anything, so nothing it began was saved. Listed last in MIDDLEWARE, so it sees the
    view's exception first.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from modellab.storage import StorageUnavailable

        if isinstance(exception, (OperationalError, InterfaceError)):
            code = DATABASE_UNAVAILABLE
        elif isinstance(exception, StorageUnavailable):
            code = exception.code
        else:
            return None
        log.error("%s: %s %s: %r", code, request.method, request.path, exception, exc_info=exception)
        return unavailable_response(request, code)


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's, except that a database failure while the session is saved after the view (which
    Django would answer with a 500) gives the 503 page. The view has answered by then and may
    have saved its work, so the page says the request may not have been saved."""

    def process_response(self, request, response):
        try:
            return super().process_response(request, response)
        except (OperationalError, InterfaceError) as exc:
            log.error(
                "%s while saving the session: %s %s: %r", DATABASE_UNAVAILABLE, request.method, request.path, exc, exc_info=exc
            )
            return unavailable_response(request, DATABASE_UNAVAILABLE, after_view=True)

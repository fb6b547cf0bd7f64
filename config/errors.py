"""The site's 400 page: a message we wrote when a view refused the request with BadRequest, a plain one otherwise."""

from django.core.exceptions import BadRequest
from django.http import HttpResponseBadRequest
from django.template.loader import render_to_string

BAD_REQUEST = "bad_request"


def bad_request(request, exception):
    """Rendered without the request (a foreign Host or a malformed query must not reach the session
    or the database). Only a BadRequest raised by our views carries words for people; Django's own
    refusals (DisallowedHost, TooManyFieldsSent) name settings and hosts, so they get the plain page."""
    message = str(exception) if type(exception) is BadRequest else ""
    return HttpResponseBadRequest(render_to_string("400.html", {"message": message, "code": BAD_REQUEST}))

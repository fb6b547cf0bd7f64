"""A fixed-window rate limit on POSTs, keyed by client address (and user when signed in).

Counts live in Django's cache: per process with the default local-memory cache, shared
across processes and machines when `CACHE_URL` points at Redis (see README).
"""
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render

RATE_LIMITED = "rate_limited"


def _client(request) -> str:
    # Behind a trusted proxy the client is the last X-Forwarded-For entry: the one the proxy
    # appended. Earlier entries come from the client and can be anything.
    if settings.SECURE_PROXY_SSL_HEADER and request.META.get("HTTP_X_FORWARDED_FOR"):
        return request.META["HTTP_X_FORWARDED_FOR"].split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "unknown")


def hit(scope: str, request) -> int | None:
    """Count one POST in `scope`; return the seconds to wait when over the limit, else None."""
    limit, window = settings.RATE_LIMITS[scope]
    who = f"u{request.user.pk}" if getattr(request, "user", None) and request.user.is_authenticated else _client(request)
    key = f"ratelimit:{scope}:{who}"
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        count = 1
    return window if count > limit else None


def rate_limit(scope: str):
    """Refuse POSTs beyond the scope's limit with HTTP 429 and a page that says when to retry."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method == "POST":
                wait = hit(scope, request)
                if wait is not None:
                    response = render(
                        request, "429.html", {"scope": scope, "wait_seconds": wait, "code": RATE_LIMITED}, status=429
                    )
                    response["Retry-After"] = str(wait)
                    return response
            return view(request, *args, **kwargs)

        return wrapped

    return decorator

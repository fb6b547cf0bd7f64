"""A fixed-window rate limit on POSTs, keyed by client address, signed-in user or targeted account.

Counts live in Django's cache: per process with the default local-memory cache, shared
across processes and machines when `CACHE_URL` points at Redis (see README).
"""
import hashlib
import unicodedata
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render

RATE_LIMITED = "rate_limited"


def per_client(request) -> str:
    """The client's address, whoever is signed in.

    Behind a trusted proxy the client is the last X-Forwarded-For entry: the one the proxy
    appended. Earlier entries come from the client and can be anything.
    """
    if settings.SECURE_PROXY_SSL_HEADER and request.META.get("HTTP_X_FORWARDED_FOR"):
        return request.META["HTTP_X_FORWARDED_FOR"].split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "unknown")


def per_user(request) -> str:
    """The signed-in user, else the client's address. Only for views that need a sign-in:
    on a form anyone may post, signing in (or signing up) would start a fresh count."""
    user = getattr(request, "user", None)
    return f"u{user.pk}" if user is not None and user.is_authenticated else per_client(request)


def account_key(value: str) -> str:
    """The account a log-in names, as one key however it is typed: Unicode NFKC (as Django
    normalises usernames), surrounding spaces dropped, case folded, then hashed so the cache
    key is short and holds no name."""
    folded = unicodedata.normalize("NFKC", value).strip().casefold()
    return hashlib.sha256(folded.encode()).hexdigest()


def _count(scope: str, who: str) -> int | None:
    """Count one POST for `who` in `scope`; the seconds to wait when over the limit, else None."""
    limit, window = settings.RATE_LIMITS[scope]
    key = f"ratelimit:{scope}:{who}"
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        count = 1
    return window if count > limit else None


def hit(scope: str, request, *, per=per_user, account_field: str | None = None) -> int | None:
    """Count one POST; return the seconds to wait when a limit is exceeded, else None.

    `per` picks who is counted in `scope`. With `account_field`, the POST is also counted
    against the account that field names, in scope `<scope>_account`, so guesses at one
    account from many addresses run into one limit.
    """
    waits = [_count(scope, per(request))]
    named = request.POST.get(account_field, "") if account_field else ""
    if named.strip():
        waits.append(_count(f"{scope}_account", account_key(named)))
    waits = [w for w in waits if w is not None]
    return max(waits) if waits else None


def rate_limit(scope: str, *, per=per_user, account_field: str | None = None):
    """Refuse POSTs beyond the scope's limit with HTTP 429 and a page that says when to retry.

    See `hit` for `per` and `account_field`.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method == "POST":
                wait = hit(scope, request, per=per, account_field=account_field)
                if wait is not None:
                    response = render(
                        request, "429.html", {"scope": scope, "wait_seconds": wait, "code": RATE_LIMITED}, status=429
                    )
                    response["Retry-After"] = str(wait)
                    return response
            return view(request, *args, **kwargs)

        return wrapped

    return decorator

"""A fixed-window rate limit on POSTs, keyed by client address, signed-in user or targeted account.

Counts live in Django's cache: per process with the default local-memory cache, shared
across processes and machines when `CACHE_URL` points at Redis (see README).

Guesses at one account are counted per account, from any address; a browser that signed in
to that account before carries a signed device cookie and is counted on its own instead
(OWASP's "device cookies"), so an attacker's guesses never lock the owner out.

Django is imported inside the functions: everything in `common/` imports without Django
(the lab's engine imports `common`), and only the web process calls these.
"""

import hashlib
import secrets
import unicodedata
from functools import wraps

RATE_LIMITED = "rate_limited"
# The browser's proof that it signed in to an account before: "<account key>:<nonce>", signed.
DEVICE_COOKIE = "login_device"
DEVICE_COOKIE_MAX_AGE = 365 * 24 * 3600
_DEVICE_SALT = "common.ratelimit.device"


def per_client(request) -> str:
    """The client's address, whoever is signed in.

    Behind a trusted proxy the client is the last X-Forwarded-For entry: the one the proxy
    appended. Earlier entries come from the client and can be anything.
    """
    from django.conf import settings

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


def device_nonce(request, account: str) -> str | None:
    """The nonce of this browser's device cookie when it is genuine and was issued for
    `account` (an `account_key`), else None."""
    from django.core import signing

    raw = request.COOKIES.get(DEVICE_COOKIE, "")
    try:
        value = signing.Signer(salt=_DEVICE_SALT).unsign(raw)
    except signing.BadSignature:
        return None
    cookie_account, _, nonce = value.partition(":")
    return nonce if cookie_account == account and nonce else None


def _issue_device_cookie(request, response) -> None:
    """Give the browser that just signed in a device cookie for its account (a fresh nonce)."""
    from django.conf import settings
    from django.core import signing

    value = f"{account_key(request.user.get_username())}:{secrets.token_urlsafe(16)}"
    response.set_cookie(
        DEVICE_COOKIE,
        signing.Signer(salt=_DEVICE_SALT).sign(value),
        max_age=DEVICE_COOKIE_MAX_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def _count(scope: str, who: str) -> int | None:
    """Count one POST for `who` in `scope`; the seconds to wait when over the limit, else None."""
    from django.conf import settings
    from django.core.cache import cache

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
    account from many addresses run into one limit; a browser holding that account's device
    cookie is counted against its own allowance of the same size instead.
    """
    waits = [_count(scope, per(request))]
    named = request.POST.get(account_field, "") if account_field else ""
    if named.strip():
        account = account_key(named)
        nonce = device_nonce(request, account)
        waits.append(_count(f"{scope}_account", f"device:{nonce}" if nonce else account))
    waits = [w for w in waits if w is not None]
    return max(waits) if waits else None


def rate_limit(scope: str, *, per=per_user, account_field: str | None = None, exempt=None):
    """Refuse POSTs beyond the scope's limit with HTTP 429 and a page that says when to retry.

    See `hit` for `per` and `account_field`. With `account_field` (a log-in form), a POST that
    signs someone in (a redirect with the user signed in) gives the browser a device cookie.
    `exempt(request)`, when true, lets a POST through uncounted: one that a limit of its own
    bounds instead (a sign-up with a class code counts against the class's seats).
    """

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method != "POST" or (exempt is not None and exempt(request)):
                return view(request, *args, **kwargs)
            wait = hit(scope, request, per=per, account_field=account_field)
            if wait is not None:
                from django.shortcuts import render

                response = render(request, "429.html", {"scope": scope, "wait_seconds": wait, "code": RATE_LIMITED}, status=429)
                response["Retry-After"] = str(wait)
                return response
            response = view(request, *args, **kwargs)
            if account_field and response.status_code == 302 and request.user.is_authenticated:
                _issue_device_cookie(request, response)
            return response

        return wrapped

    return decorator

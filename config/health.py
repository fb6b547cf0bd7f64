"""The health URL for load balancers and orchestrators: does this process reach the database, the broker and the storage?"""

import logging

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from modellab import broker, storage

log = logging.getLogger(__name__)


def _database() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception as exc:  # OperationalError, InterfaceError, ...: unreachable either way
        log.warning("health: database unavailable: %r", exc)
        return False


def _storage() -> bool:
    try:
        storage.check_available()
        return True
    except storage.StorageUnavailable:
        return False


@never_cache
def health(request):
    """200 and ``{"database": "ok", "broker": "ok", "storage": "ok"}`` when all three answer; else 503,
    "unavailable" beside each that does not. Public: it says nothing but ok or unavailable."""
    checks = {"database": _database(), "broker": broker.broker_answers(), "storage": _storage()}
    body = {name: "ok" if ok else "unavailable" for name, ok in checks.items()}
    return JsonResponse(body, status=200 if all(checks.values()) else 503)

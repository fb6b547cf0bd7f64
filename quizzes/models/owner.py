"""A student's row is owned by a signed-in user or by an anonymous id kept in the session."""

from django.db import models
from django.db.models import Q

OWNER = Q(user__isnull=False) | ~Q(anon_id="")


def one_per_owner(name: str, field: str) -> list:
    """Constraints of a student's row: owned by a user or an anonymous id, one per owner and `field`."""
    return [
        models.CheckConstraint(condition=OWNER, name=f"{name}_has_owner"),
        models.UniqueConstraint(fields=["user", field], condition=Q(user__isnull=False), name=f"one_{name}_per_user"),
        models.UniqueConstraint(fields=["anon_id", field], condition=Q(user__isnull=True), name=f"one_{name}_per_anon"),
    ]

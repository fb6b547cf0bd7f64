"""Class codes: which codes sign a learner up now, and the one service that takes a seat of one."""

from __future__ import annotations

from typing import Callable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from courses.models import ClassCode, ClassMember

CLASS_CODE_UNKNOWN = "class_code_unknown"
CLASS_CODE_EXPIRED = "class_code_expired"
CLASS_FULL = "class_full"


def normalize_code(raw: str) -> str:
    """A code as typed ("abcd efgh", "ABCD-EFGH") in the form it is stored."""
    return "".join(ch for ch in raw.upper() if ch.isalnum())


def class_code_open(*, code: str) -> ClassCode | None:
    """The class code ``code`` names when it exists and has not expired, else None (a read: no seat is taken)."""
    code = normalize_code(code)
    if not code:
        return None
    return ClassCode.objects.select_related("course").filter(code=code, expires_at__gt=timezone.now()).first()


def class_code_check(*, code: str) -> ClassCode:
    """The open class code ``code`` names; ValidationError(CLASS_CODE_UNKNOWN or CLASS_CODE_EXPIRED) otherwise."""
    found = ClassCode.objects.select_related("course").filter(code=normalize_code(code)).first()
    if found is None:
        raise ValidationError("There is no class with that code: check it with your teacher.", code=CLASS_CODE_UNKNOWN)
    if found.expires_at <= timezone.now():
        raise ValidationError(
            "The code of %(name)s has expired: ask your teacher for a new one.",
            code=CLASS_CODE_EXPIRED,
            params={"name": found.name},
        )
    return found


def class_join(*, code: str, create_user: Callable[[], object]):
    """Take a seat of the class ``code`` names and create the learner in it (``create_user()``, called
    inside the transaction, so a refused sign-up creates nobody). Returns the new user.

    The code's row is locked while its seats are counted: two sign-ups for the last seat queue on
    the lock, and the second finds the class full (no oversubscription). Raises ValidationError
    CLASS_CODE_UNKNOWN, CLASS_CODE_EXPIRED, or CLASS_FULL with the class named in its message.
    """
    with transaction.atomic():
        checked = class_code_check(code=code)
        locked = ClassCode.objects.select_for_update().select_related("course").get(pk=checked.pk)
        if locked.members.count() >= locked.seats:
            raise ValidationError(
                "The class %(name)s (%(course)s) is full: all %(seats)s seats are taken. Ask your teacher for another code.",
                code=CLASS_FULL,
                params={"name": locked.name, "course": locked.course.title, "seats": locked.seats},
            )
        user = create_user()
        ClassMember.objects.create(class_code=locked, user=user)
    return user

"""Who is answering: a signed-in user, or an anonymous student known by an id in the session.

The id lives in the session data (not the session key), so it survives the key rotation
that logging in does, and the login signal can carry the anonymous attempts over.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

ANON_SESSION_KEY = "quiz_anon_id"


@dataclass(frozen=True)
class Student:
    user_id: int | None
    anon_id: str = ""

    @classmethod
    def owning(cls, row) -> Student:
        """The student who owns a row with `user_id` and `anon_id` (an attempt, a review item)."""
        if row.user_id:
            return cls(user_id=row.user_id)
        return cls(user_id=None, anon_id=row.anon_id)

    @property
    def known(self) -> bool:
        return bool(self.user_id or self.anon_id)

    def owner_filter(self) -> dict:
        """Keyword filter for rows this student owns (matches nothing for an unknown one)."""
        if self.user_id:
            return {"user_id": self.user_id}
        return {"user__isnull": True, "anon_id": self.anon_id or "\x00no-owner"}

    def owner_fields(self) -> dict:
        if self.user_id:
            return {"user_id": self.user_id, "anon_id": ""}
        if not self.anon_id:
            raise ValueError("an anonymous student needs an id before writing")
        return {"user_id": None, "anon_id": self.anon_id}


def student_for(request, *, create: bool = False) -> Student:
    """The student making this request; `create` gives an anonymous visitor an id to write with."""
    if request.user.is_authenticated:
        return Student(user_id=request.user.pk)
    anon_id = request.session.get(ANON_SESSION_KEY, "")
    if not anon_id and create:
        anon_id = secrets.token_hex(16)
        request.session[ANON_SESSION_KEY] = anon_id
    return Student(user_id=None, anon_id=anon_id)

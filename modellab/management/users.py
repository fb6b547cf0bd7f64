"""The user a lab command acts for: ``--user NAME`` and, with ``--create-user``, made when missing."""

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError


def command_user(username: str, *, create: bool):
    """The user named ``username``; created when ``create``, else CommandError when there is none."""
    User = get_user_model()
    if create:
        return User.objects.get_or_create(username=username)[0]
    user = User.objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"--user: no user {username!r} (add --create-user).")
    return user

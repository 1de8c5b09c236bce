"""Shared bits of the account management commands."""

from __future__ import annotations

from django.core.management.base import CommandError

from schulhof.accounts.models import User


def get_person(username: str) -> User:
    user = User.objects.people().filter(username=username.strip().lower()).first()
    if user is None:
        raise CommandError("No user %r." % username)
    return user

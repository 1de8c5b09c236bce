"""Session backend for Django's auth machinery. Password checks are *not* done here: the web
login calls :func:`schulhof.accounts.authentication.authenticate` directly, like every other
entry point, and then logs the user in with this backend."""

from typing import Any

from django.http import HttpRequest

from schulhof.accounts.models import Status, User


class SchulhofBackend:
    def authenticate(self, request: HttpRequest | None, **credentials: Any) -> None:
        # Deliberately refuses: every login must go through the authentication service.
        return None

    def get_user(self, user_id: int) -> User | None:
        user = User.objects.filter(pk=user_id).first()
        if user is None or user.status != Status.ACTIVE:
            return None
        return user

    def has_perm(self, user: Any, perm: str, obj: Any = None) -> bool:
        return False

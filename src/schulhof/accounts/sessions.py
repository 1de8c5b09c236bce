"""Web sessions as devices: log in, track last use, list and end them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone

from schulhof.accounts.models import User, UserSession

BACKEND = "schulhof.accounts.backends.SchulhofBackend"
LAST_SEEN_RESOLUTION = timedelta(minutes=1)
SESSION_FLAG_CHANGE_PASSWORD = "schulhof_must_change_password"  # noqa: S105 - a key name


def start_session(request: HttpRequest, user: User, *, must_change_password: bool) -> None:
    """Log the user in (a fresh session key) and record the device."""
    login(request, user, backend=BACKEND)
    request.session[SESSION_FLAG_CHANGE_PASSWORD] = must_change_password
    request.session.save()
    UserSession.objects.update_or_create(
        session_key=request.session.session_key,
        defaults={
            "user": user,
            "client_address": getattr(request, "client_address", None),
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:300],
        },
    )


class SessionTrackingMiddleware:
    """Keeps ``last_seen`` of the current device fresh (at most one write a minute) and sends a
    user with a pending first password to the password form before anything else."""

    EXEMPT_PREFIXES = (
        "/static/",
        "/healthz",
        "/abmelden/",
        "/konto/erstes-passwort/",
        "/konto/passwort/hinweis/",
    )

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            key = request.session.session_key
            now = timezone.now()
            if key:
                UserSession.objects.filter(
                    session_key=key, last_seen__lt=now - LAST_SEEN_RESOLUTION
                ).update(last_seen=now)
            if user.first_password_pending and not request.path.startswith(self.EXEMPT_PREFIXES):
                return HttpResponseRedirect(reverse("accounts:first_password"))
        return self.get_response(request)


def keep_session_after_password_change(request: HttpRequest, user: User) -> None:
    """Django cycles the session key when the password hash changes; follow it with the
    device record so this browser stays listed."""
    from django.contrib.auth import update_session_auth_hash

    old_key = request.session.session_key
    update_session_auth_hash(request, user)
    UserSession.objects.filter(session_key=old_key).update(session_key=request.session.session_key)

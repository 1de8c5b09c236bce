"""Web sessions as devices: log in, track last use, list and end them."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import login
from django.contrib.sessions.models import Session
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from schulhof.accounts.actions import end_sessions
from schulhof.accounts.models import Role, User, UserSession
from schulhof.core.actions import log_event
from schulhof.core.audit import AuditEvent
from schulhof.core.models import SchoolSettings

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
    """Keeps ``last_seen`` of the current device fresh (at most one write a minute) and sends
    a user with a pending first password to the password form before anything else; then,
    where the school requires it, staff and admins without two-factor login to its set-up."""

    EXEMPT_PREFIXES = (
        "/static/",
        "/healthz",
        "/abmelden/",
        "/konto/erstes-passwort/",
        "/konto/passwort/hinweis/",
    )
    # Pages a user who must set up two-factor login may still open (the set-up itself).
    TOTP_SETUP_PREFIXES = ("/konto/zwei-faktor/",)

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
            if not request.path.startswith(self.EXEMPT_PREFIXES):
                if user.first_password_pending:
                    return HttpResponseRedirect(reverse("accounts:first_password"))
                if not request.path.startswith(self.TOTP_SETUP_PREFIXES) and must_set_up_totp(user):
                    return HttpResponseRedirect(reverse("accounts:totp"))
        return self.get_response(request)


def end_session(request: HttpRequest) -> None:
    """Log out in this browser: the device record goes, the logout is audited."""
    from django.contrib.auth import logout

    from schulhof.core.actions import log_event
    from schulhof.core.audit import AuditEvent

    user = request.user
    if isinstance(user, User):
        log_event(AuditEvent.LOGOUT, acting_user=user, modified_user=user)
        UserSession.objects.filter(session_key=request.session.session_key).delete()
    logout(request)


def must_set_up_totp(user: User) -> bool:
    """The school requires two-factor login for staff and admins, and this one has none yet."""
    if user.totp_enabled or user.role not in (Role.ADMIN, Role.STAFF):
        return False
    return SchoolSettings.get().require_2fa_for_staff


def keep_session_after_password_change(request: HttpRequest, user: User) -> None:
    """Django cycles the session key when the password hash changes; follow it with the
    device record so this browser stays listed."""
    from django.contrib.auth import update_session_auth_hash

    old_key = request.session.session_key
    update_session_auth_hash(request, user)
    UserSession.objects.filter(session_key=old_key).update(session_key=request.session.session_key)


# ---------------------------------------------------------------------------
# Devices: the user's own sessions, listed and ended on the profile pages
# ---------------------------------------------------------------------------

# (pattern in the User-Agent, name shown). Order matters: Edge and Opera also say "Chrome",
# Chrome also says "Safari", iPhones say "Mac OS X", Android says "Linux".
_BROWSERS: tuple[tuple[str, str], ...] = (
    (r"Edg(e|A|iOS)?/", "Edge"),
    (r"OPR/|Opera", "Opera"),
    (r"SamsungBrowser/", "Samsung Internet"),
    (r"Firefox/|FxiOS/", "Firefox"),
    (r"Chromium/", "Chromium"),
    (r"Chrome/|CriOS/", "Chrome"),
    (r"Version/[\d.]+.*Safari/|AppleWebKit/.*Mobile/", "Safari"),
)
_SYSTEMS: tuple[tuple[str, str], ...] = (
    (r"iPhone", "iPhone"),
    (r"iPad", "iPad"),
    (r"Android", "Android"),
    (r"CrOS", "ChromeOS"),
    (r"Windows", "Windows"),
    (r"Macintosh|Mac OS X", "macOS"),
    (r"Linux|X11", "Linux"),
)


def _first_match(user_agent: str, table: tuple[tuple[str, str], ...]) -> str | None:
    for pattern, name in table:
        if re.search(pattern, user_agent):
            return name
    return None


def describe_user_agent(user_agent: str) -> str:
    """A readable device description such as "Firefox auf Windows" or "Safari auf iPhone".
    Deliberately simple: it helps people recognise their devices, nothing relies on it."""
    browser = _first_match(user_agent or "", _BROWSERS)
    system = _first_match(user_agent or "", _SYSTEMS)
    if browser and system:
        return _("%(browser)s auf %(system)s") % {"browser": browser, "system": system}
    if system:
        return _("Browser auf %(system)s") % {"system": system}
    if browser:
        return browser
    return _("Unbekanntes Gerät")


@dataclass(frozen=True)
class Device:
    """One signed-in browser as the devices page shows it (never with its session key)."""

    pk: int
    current: bool
    description: str
    created: datetime
    last_seen: datetime
    client_address: str | None


def devices_of(user: User, *, current_session_key: str | None) -> list[Device]:
    """The user's live sessions, most recently used first. Sessions past their expiry are
    left out (the hourly job deletes them)."""
    live = Session.objects.filter(expire_date__gt=timezone.now()).values("session_key")
    rows = UserSession.objects.filter(user=user, session_key__in=live).order_by("-last_seen")
    return [
        Device(
            pk=row.pk,
            current=row.session_key == current_session_key,
            description=describe_user_agent(row.user_agent),
            created=row.created,
            last_seen=row.last_seen,
            client_address=row.client_address,
        )
        for row in rows
    ]


def end_one_session(
    user: User, device_pk: int, *, acting_user: User, keep_session_key: str | None
) -> bool:
    """End one of the user's other sessions (not ``keep_session_key``, the one asking).
    Returns False if there is no such device."""
    with transaction.atomic():
        device = (
            UserSession.objects.select_for_update()
            .filter(user=user, pk=device_pk)
            .exclude(session_key=keep_session_key or "")
            .first()
        )
        if device is None:
            return False
        Session.objects.filter(session_key=device.session_key).delete()
        device.delete()
        log_event(
            AuditEvent.SESSIONS_END,
            acting_user=acting_user,
            modified_user=user,
            details={"sessions_ended": 1, "scope": "one"},
        )
    return True


def end_other_sessions(user: User, *, acting_user: User, keep_session_key: str | None) -> int:
    """ "Log out everywhere else": end every session of the user but ``keep_session_key``.
    Returns how many ended."""
    with transaction.atomic():
        ended = end_sessions(user, keep_session_key=keep_session_key)
        if ended:
            log_event(
                AuditEvent.SESSIONS_END,
                acting_user=acting_user,
                modified_user=user,
                details={"sessions_ended": ended, "scope": "others"},
            )
    return ended

"""Sanctions: blocking chosen modules of a rule breaker until a date or permanently.

Modules ask :func:`is_blocked` before acting (e.g. the mail module before sending); the
authentication service refuses protocol logins of a blocked module through a login gate.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from schulhof.accounts.authentication import register_login_gate
from schulhof.accounts.models import Protocol, Sanction, User

BLOCKABLE: dict[str, str | Promise] = {
    "mail": _("E-Mail (ganz)"),
    "mail_send": _("E-Mails senden"),
    "files": _("Dateien (ganz)"),
    "files_write": _("Dateien hochladen und ändern"),
    "calendar": _("Kalender"),
    "app": _("App und API"),
}

# Which blocked area refuses a login on which protocol.
PROTOCOL_BLOCKS: dict[str, tuple[str, ...]] = {
    Protocol.IMAP: ("mail",),
    Protocol.SMTP: ("mail", "mail_send"),
    Protocol.WEBDAV: ("files",),
    Protocol.CALDAV: ("calendar",),
    Protocol.API: ("app",),
}


def blocked_areas(user: User) -> set[str]:
    areas: set[str] = set()
    for blocked in Sanction.objects.filter(user=user).in_force().values_list("blocked", flat=True):
        areas.update(blocked)
    return areas


def is_blocked(user: User, area: str) -> bool:
    """Is ``area`` (a key of BLOCKABLE) blocked for the user right now? Blocking a whole
    module ("mail") blocks its parts ("mail_send") too."""
    if area not in BLOCKABLE:
        raise ValueError("unknown area %r" % area)
    areas = blocked_areas(user)
    return area in areas or area.split("_", 1)[0] in areas


def current_notice(user: User) -> list[Sanction]:
    """Sanctions in force, for the banner the user sees."""
    return list(Sanction.objects.filter(user=user).in_force().order_by("ends_at"))


def _sanction_gate(user: User, protocol: str) -> str | None:
    areas = PROTOCOL_BLOCKS.get(protocol, ())
    in_force = [s for s in current_notice(user) if set(s.blocked) & set(areas)]
    if not in_force:
        return None
    ends = [s.ends_at for s in in_force]
    if any(end is None for end in ends):
        return gettext("Dieser Bereich ist für Ihr Konto gesperrt.")
    last = max(end for end in ends if end is not None)
    return gettext("Dieser Bereich ist für Ihr Konto gesperrt bis %(date)s.") % {
        "date": timezone.localtime(last).strftime("%d.%m.%Y %H:%M")
    }


register_login_gate(_sanction_gate)

"""The guide pages: one per mail program, each with its own template under
``mail/setup/``."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Guide:
    slug: str
    title: str | Promise
    summary: str | Promise
    # The icon from files/icons.svg on the overview card.
    icon: str


GUIDES = [
    Guide(
        "thunderbird",
        _("Thunderbird"),
        _("Für Windows, macOS und Linux – findet die Einstellungen meist selbst"),
        "monitor",
    ),
    Guide(
        "apple",
        _("iPhone, iPad und Mac"),
        _("Apple Mail: Profil laden oder von Hand einrichten"),
        "phone",
    ),
    Guide(
        "android",
        _("Android"),
        _("Thunderbird für Android (K-9 Mail) oder die Gmail-App"),
        "phone",
    ),
    Guide(
        "outlook",
        _("Outlook"),
        _("Klassisches und neues Outlook unter Windows"),
        "monitor",
    ),
]
BY_SLUG = {guide.slug: guide for guide in GUIDES}

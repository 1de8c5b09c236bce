"""Shared pieces of the admin pages under ``/verwaltung/``: the tab bar and small helpers.

The pages themselves live in ``admin_users`` (people, locks, sanctions), ``admin_groups``
(groups, members, leaders) and ``admin_privileges`` (grants), each with its own urlpatterns.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Func, Value
from django.db.models.functions import Lower, Replace
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from schulhof.accounts import privileges
from schulhof.accounts.models import User
from schulhof.accounts.policies import group_policy, user_admin_policy

ADMIN_PAGE_SIZE = 50


@dataclass(frozen=True)
class AdminTab:
    key: str
    title: str | Promise
    url: str


def admin_tabs(user: User) -> list[AdminTab]:
    """The admin areas this user may open, for the tab bar on every admin page."""
    tabs: list[AdminTab] = []
    if user_admin_policy.user_has_permission(user, "view"):
        tabs.append(AdminTab("users", _("Benutzer"), reverse("accounts:admin_users")))
    if may_administer_groups(user) or group_policy.user_has_permission(user, "view"):
        tabs.append(AdminTab("groups", _("Gruppen"), reverse("accounts:admin_groups")))
    if privileges.has_privilege(user, privileges.ADMIN_PRIVILEGES):
        tabs.append(AdminTab("privileges", _("Rechte"), reverse("accounts:admin_privileges")))
    if user.is_admin:
        tabs.append(AdminTab("settings", _("Einstellungen"), reverse("web:school_settings")))
        tabs.append(AdminTab("mail", _("E-Mail"), reverse("mailadmin:settings")))
    return tabs


# DIN 5007 variant 2 (names, as in phone books): ä sorts as ae. Upper-case umlauts are
# replaced too because SQLite's lower() only handles ASCII.
_SORT_SPELLINGS = (
    ("ä", "ae"),
    ("ö", "oe"),
    ("ü", "ue"),
    ("ß", "ss"),
    ("Ä", "ae"),
    ("Ö", "oe"),
    ("Ü", "ue"),
)


def german_sort_key(field: str) -> Func:
    """An expression that orders names as a German reader expects (Öztürk under O)."""
    expression: Func = Lower(field)
    for letter, spelling in _SORT_SPELLINGS:
        expression = Replace(expression, Value(letter), Value(spelling))
    return expression


def may_administer_groups(user: User) -> bool:
    """Create groups and see all of them (also when there is none yet)."""
    return privileges.has_privilege(user, privileges.ADMIN_GROUPS)


def require(allowed: bool) -> None:
    """403 unless ``allowed``: for checks that are not about one object."""
    if not allowed:
        raise PermissionDenied

"""Named privileges and the one question "does this user have privilege P?".

Privileges are declared in code (modules add their own with :func:`register`) and granted in
the database (``PrivilegeGrant``) to a role, a group, or all groups except some (IServ's mode).
Admins have every privilege.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from schulhof.accounts.models import GrantKind, Membership, PrivilegeGrant, Role, User

ISSUE_FIRST_PASSWORD = "accounts.issue_first_password"  # noqa: S105 - a privilege name
ADMIN_USERS = "admin.users"
ADMIN_GROUPS = "admin.groups"
ADMIN_PRIVILEGES = "admin.privileges"
ADMIN_SANCTIONS = "admin.sanctions"
ADMIN_SETTINGS = "admin.settings"

_privileges: dict[str, str | Promise] = {}


def register(key: str, label: str | Promise) -> str:
    _privileges[key] = label
    return key


register(
    ISSUE_FIRST_PASSWORD,
    _("Erstpasswörter für Schüler/innen der eigenen Klasse oder des eigenen Jahrgangs erzeugen"),
)
register(ADMIN_USERS, _("Benutzer verwalten"))
register(ADMIN_GROUPS, _("Gruppen und Mitgliedschaften verwalten"))
register(ADMIN_PRIVILEGES, _("Rechte vergeben"))
register(ADMIN_SANCTIONS, _("Sanktionen verhängen"))
register(ADMIN_SETTINGS, _("Schuleinstellungen ändern"))


def all_privileges() -> dict[str, str | Promise]:
    return dict(_privileges)


def _grant_matches_user(user_ref: Any) -> Q:
    """Q over PrivilegeGrant: the grant applies to the user given by ``user_ref``."""
    member_of_group = Exists(Membership.objects.filter(user=user_ref, group=OuterRef("group")))
    member_of_non_excluded = Exists(
        Membership.objects.filter(user=user_ref).exclude(
            group__in=PrivilegeGrant.excluded_groups.through.objects.filter(
                privilegegrant=OuterRef(OuterRef("pk"))
            ).values("group")
        )
    )
    return Q(kind=GrantKind.GROUP) & Q(member_of_group) | Q(kind=GrantKind.ALL_GROUPS_EXCEPT) & Q(
        member_of_non_excluded
    )


def has_privilege(user: User | object, privilege: str) -> bool:
    if not isinstance(user, User) or not user.is_active:
        return False
    if user.role == Role.ADMIN:
        return True
    grants = PrivilegeGrant.objects.filter(privilege=privilege)
    if grants.filter(kind=GrantKind.ROLE, role=user.role).exists():
        return True
    return grants.filter(_grant_matches_user(user.pk)).exists()


def users_with_privilege(privilege: str) -> QuerySet[User]:
    """Every active person who has the privilege (admins included)."""
    grants = PrivilegeGrant.objects.filter(privilege=privilege)
    by_role = grants.filter(kind=GrantKind.ROLE).values("role")
    by_group = grants.filter(_grant_matches_user(OuterRef(OuterRef("pk"))))
    return (
        User.objects.people()
        .active()
        .filter(Q(role=Role.ADMIN) | Q(role__in=by_role) | Q(Exists(by_group)))
    )

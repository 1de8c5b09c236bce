"""The navigation entry of the admin pages for people and groups."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from schulhof.web.modules import PortalModule, register


def _admin_visible(user: Any) -> bool:
    from schulhof.accounts import privileges

    return privileges.has_privilege(user, privileges.ADMIN_USERS) or privileges.has_privilege(
        user, privileges.ADMIN_GROUPS
    )


def register_admin_modules() -> None:
    """Register the "Benutzer" entry; call from AccountsConfig.ready()."""
    register(
        PortalModule(
            key="users",
            title=_("Benutzer"),
            icon="id",
            order=85,
            url_name="accounts:admin_users",
            empty_state=_("Benutzer, Gruppen und Rechte der Schule verwalten."),
            visible=_admin_visible,
        )
    )

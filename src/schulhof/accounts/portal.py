"""The accounts app's entries in the portal navigation and dashboard."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from schulhof.core.http import AuthenticatedHttpRequest
from schulhof.web.modules import PortalModule, register


def _classes_visible(user: Any) -> bool:
    """Admins and everyone who leads a class or year group."""
    from schulhof.accounts.views.first_passwords import (
        groups_for_first_passwords,
        sees_all_classes,
    )

    return sees_all_classes(user) or groups_for_first_passwords(user).exists()


def _classes_card(request: AuthenticatedHttpRequest) -> dict[str, Any] | None:
    """How many pupils of the user's groups still have a pending or an expired first password."""
    from schulhof.accounts.views.first_passwords import (
        groups_for_first_passwords,
        pupils_in_groups,
    )

    groups = groups_for_first_passwords(request.user)
    group_count = groups.count()
    if not group_count:
        return None
    pupils = pupils_in_groups(groups, request.user)
    now = timezone.now()
    with_first_password = pupils.filter(first_password_pending=True)
    return {
        "groups": group_count,
        "pupils": pupils.count(),
        "pending": with_first_password.filter(
            Q(first_password_expires__isnull=True) | Q(first_password_expires__gt=now)
        ).count(),
        "expired": with_first_password.filter(first_password_expires__lte=now).count(),
    }


def register_modules() -> None:
    """Called from AccountsConfig.ready()."""
    register(
        PortalModule(
            key="classes",
            title=_("Meine Klassen"),
            icon="users",
            order=50,
            url_name="accounts:my_groups",
            empty_state=_(
                "Hier erscheinen die Klassen und Jahrgänge, die Sie leiten, mit dem Stand der "
                "Erstpasswörter Ihrer Schüler/innen."
            ),
            card_context=_classes_card,
            card_template="accounts/cards/classes.html",
            visible=_classes_visible,
        )
    )

"""Dashboard cards of the core modules. Each module app registers its own card in ready();
until an app is installed, its placeholder card explains what will appear there."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from schulhof.core.http import AuthenticatedHttpRequest
from schulhof.web.modules import PortalModule, register


def _account_card(request: AuthenticatedHttpRequest) -> dict[str, Any]:
    from schulhof.accounts.models import LoginAttempt, UserSession

    user = request.user
    previous = LoginAttempt.objects.filter(user=user, success=True).values_list(
        "created", flat=True
    )[1:2]
    return {
        "previous_login": previous[0] if previous else None,
        "devices": UserSession.objects.filter(user=user).count(),
    }


def _admin_card(request: AuthenticatedHttpRequest) -> dict[str, Any]:
    from schulhof.accounts.models import Group, User

    people = User.objects.people()
    return {
        "users": people.count(),
        "pupils": people.pupils().count(),
        "teachers": people.teachers().count(),
        "groups": Group.objects.count(),
    }


def register_builtin_modules() -> None:
    register(
        PortalModule(
            key="files",
            title=_("Dateien"),
            icon="folder",
            order=10,
            empty_state=_(
                "Hier erscheinen Ihre zuletzt geänderten Dateien und die Ordner Ihrer Gruppen, "
                "sobald das Dateimodul eingerichtet ist."
            ),
        ),
        placeholder=True,
    )
    register(
        PortalModule(
            key="mail",
            title=_("E-Mail"),
            icon="mail",
            order=20,
            empty_state=_(
                "Hier erscheinen Ihre ungelesenen E-Mails, sobald das E-Mail-Modul "
                "eingerichtet ist."
            ),
        ),
        placeholder=True,
    )
    register(
        PortalModule(
            key="calendar",
            title=_("Kalender"),
            icon="calendar",
            order=30,
            empty_state=_(
                "Hier erscheinen Ihre nächsten Termine und die Termine Ihrer Klasse, sobald "
                "der Kalender eingerichtet ist."
            ),
        ),
        placeholder=True,
    )
    register(
        PortalModule(
            key="timetable",
            title=_("Stundenplan"),
            icon="clock",
            order=40,
            empty_state=_(
                "Hier erscheinen Ihre Stunden von heute und Vertretungen, sobald der "
                "Stundenplan aus Untis importiert ist."
            ),
        ),
        placeholder=True,
    )
    register(
        PortalModule(
            key="account",
            title=_("Mein Konto"),
            icon="user",
            order=80,
            empty_state=_("Ihre Anmeldungen und Geräte erscheinen hier."),
            card_context=_account_card,
            card_template="web/cards/account.html",
        )
    )
    register(
        PortalModule(
            key="admin",
            title=_("Verwaltung"),
            icon="settings",
            order=90,
            url_name="web:school_settings",
            empty_state=_("Noch keine Benutzer angelegt."),
            card_context=_admin_card,
            card_template="web/cards/admin.html",
            visible=lambda user: getattr(user, "is_admin", False),
        )
    )

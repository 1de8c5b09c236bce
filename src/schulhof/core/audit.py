"""The audit log's vocabulary: one enum of event types named ``source:subject:action``.

Every action writes exactly one entry through :func:`schulhof.core.actions.log_event`; event
types are never invented ad hoc, so that log evaluation can filter on them.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.TextChoices):
    # core
    SETTINGS_UPDATE = "core:settings:update", _("Schuleinstellungen geändert")
    AUDIT_PURGE = "core:audit:purge", _("Alte Protokolleinträge gelöscht")
    DEMO_CREATE = "core:demo:create", _("Demo-Schule angelegt")
    # accounts
    USER_CREATE = "accounts:user:create", _("Benutzer angelegt")
    USER_UPDATE = "accounts:user:update", _("Benutzer geändert")
    USER_LOCK = "accounts:user:lock", _("Benutzer gesperrt")
    USER_UNLOCK = "accounts:user:unlock", _("Benutzer entsperrt")
    LOGIN_SUCCESS = "accounts:login:success", _("Anmeldung erfolgreich")
    LOGIN_FAILURE = "accounts:login:failure", _("Anmeldung fehlgeschlagen")
    LOGOUT = "accounts:login:logout", _("Abmeldung")
    PASSWORD_CHANGE = "accounts:password:change", _("Passwort geändert")
    FIRST_PASSWORD_ISSUE = "accounts:first_password:issue", _("Erstpasswort erzeugt")
    SESSIONS_END = "accounts:sessions:end", _("Sitzungen beendet")
    GROUP_CREATE = "accounts:group:create", _("Gruppe angelegt")
    GROUP_UPDATE = "accounts:group:update", _("Gruppe geändert")
    MEMBERSHIP_ADD = "accounts:membership:add", _("Gruppenmitglied hinzugefügt")
    MEMBERSHIP_REMOVE = "accounts:membership:remove", _("Gruppenmitglied entfernt")
    PRIVILEGE_GRANT = "accounts:privilege:grant", _("Recht vergeben")
    PRIVILEGE_REVOKE = "accounts:privilege:revoke", _("Recht entzogen")
    SANCTION_CREATE = "accounts:sanction:create", _("Sanktion verhängt")
    SANCTION_END = "accounts:sanction:end", _("Sanktion beendet")
    TOTP_ENABLE = "accounts:totp:enable", _("Zwei-Faktor-Anmeldung eingeschaltet")
    TOTP_DISABLE = "accounts:totp:disable", _("Zwei-Faktor-Anmeldung ausgeschaltet")

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
    # accounts: lifecycle and consent
    LEAVER_MARK = "accounts:leaver:mark", _("Als abgegangen markiert")
    LEAVER_LOCK = "accounts:leaver:lock", _("Abgang wirksam, Konto gesperrt")
    LEAVER_REACTIVATE = "accounts:leaver:reactivate", _("Abgang zurückgenommen")
    USER_PURGE = "accounts:user:purge", _("Konto und alle Daten gelöscht")
    CONSENT_RECORD = "accounts:consent:record", _("Einwilligung erfasst")
    HANDOVER_RECORD = "accounts:handover:record", _("Übergabe der Zugangsdaten erfasst")
    # files (uploads, folders, moves and copies are audited in group folders only; see
    # docs/dev/files.md)
    FILES_UPLOAD = "files:file:upload", _("Datei hochgeladen")
    FILES_FOLDER_CREATE = "files:folder:create", _("Ordner angelegt")
    FILES_MOVE = "files:file:move", _("Datei oder Ordner verschoben/umbenannt")
    FILES_COPY = "files:file:copy", _("Datei oder Ordner kopiert")
    FILES_DELETE = "files:file:delete", _("Datei oder Ordner in den Papierkorb gelegt")
    FILES_RESTORE = "files:trash:restore", _("Aus dem Papierkorb wiederhergestellt")
    FILES_TRASH_EMPTY = "files:trash:empty", _("Papierkorb geleert")
    FILES_TRASH_EXPIRE = "files:trash:expire", _("Papierkorb automatisch geleert")
    FILES_QUOTA_SET = "files:quota:set", _("Speicherplatz-Grenze geändert")
    FILES_SPACE_PURGE = "files:space:purge", _("Alle Dateien einer Person gelöscht")
    MOODLE_EXPORT = "accounts:moodle:export", _("Benutzer für Moodle exportiert")
    # mail
    MAIL_POLICY_UPDATE = "mail:policy:update", _("E-Mail-Regeln geändert")
    MAIL_AUTO_REPLY_UPDATE = "mail:autoreply:update", _("Abwesenheitsnotiz geändert")
    MAIL_QUEUE_FLUSH = "mail:queue:flush", _("Mail-Warteschlange erneut zugestellt")
    MAIL_QUEUE_DELETE = "mail:queue:delete", _("Zurückgestellte E-Mails gelöscht")
    # schoolimport
    IMPORT_PREVIEW = "schoolimport:import:preview", _("Import-Vorschau erstellt")
    IMPORT_APPLY = "schoolimport:import:apply", _("Import übernommen")
    IMPORT_DISCARD = "schoolimport:import:discard", _("Import-Vorschau verworfen")
    IMPORT_RENAME = "schoolimport:username:rename", _("Benutzername nach Namensänderung angepasst")
    IMPORT_PROFILE_SAVE = "schoolimport:profile:save", _("Importprofil gespeichert")
    IMPORT_PROFILE_DELETE = "schoolimport:profile:delete", _("Importprofil gelöscht")

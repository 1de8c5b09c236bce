"""The mail module's privileges. Granted per role or group in the privilege administration;
the defaults (a data migration) give them to teachers and staff, not to pupils."""

from django.utils.translation import gettext_lazy as _

from schulhof.accounts.privileges import register

MAIL_SEND_EXTERNAL = register(
    "mail.send_external", _("E-Mails an Adressen außerhalb der Schule senden")
)
MAIL_SEND_GROUPS = register(
    "mail.send_groups", _("E-Mails an Gruppenadressen senden (auch ohne Mitglied zu sein)")
)
MAIL_SEND_ALL = register(
    "mail.send_all", _("E-Mails an alle Schüler/innen oder alle Lehrkräfte senden")
)
MAIL_PARENT_INFO = register(
    "mail.parent_info", _("E-Mails als „Information für die Eltern“ kennzeichnen")
)
MAIL_MANY_RECIPIENTS = register(
    "mail.many_recipients", _("Die höheren Empfänger-Grenzen für Lehrkräfte nutzen")
)

"""Who may use the webmail.

- Reading: an active person with a mailbox (not the system actor), the mail installation
  switched on, and no sanction blocking "mail".
- Sending: the same, and no sanction blocking "mail_send". Postfix checks the sending rules
  (recipients, volume) again for every message; this is only what the page can tell early.
- Everyone reaches only their own mailbox: the webmail logs in to Dovecot with the person's
  own username, never with one taken from a URL or a form.
- "Information für die Eltern" may be marked by those ``addresses.may_mark_parent_info``
  allows (teachers, admins, the privilege).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _


def has_mailbox(user: Any) -> bool:
    from schulhof.mail import addresses

    return addresses.mail_users().filter(pk=user.pk).exists()


def refusal(user: Any, *, send: bool = False) -> str | None:
    """The German reason why ``user`` may not use the webmail (or send), or None."""
    from schulhof.accounts.models import Role, Status
    from schulhof.accounts.sanctions import is_blocked
    from schulhof.mail.conf import mail_conf

    if user is None or getattr(user, "pk", None) is None or not user.is_authenticated:
        return _("Bitte melden Sie sich an.")
    if user.status != Status.ACTIVE or user.role == Role.SYSTEM:
        return _("Ihr Konto ist gesperrt.")
    if not mail_conf().enabled:
        return _("E-Mail ist an dieser Schule nicht eingerichtet.")
    if is_blocked(user, "mail"):
        return _("Der Bereich E-Mail ist für Ihr Konto gesperrt.")
    if not has_mailbox(user):
        return _("Für Ihr Konto gibt es kein E-Mail-Postfach.")
    if send and is_blocked(user, "mail_send"):
        return _("Das Senden von E-Mails ist für Ihr Konto gesperrt.")
    return None


def may_send(user: Any) -> bool:
    return refusal(user, send=True) is None


def may_mark_parent_info(user: Any) -> bool:
    from schulhof.mail import addresses

    return addresses.may_mark_parent_info(user)

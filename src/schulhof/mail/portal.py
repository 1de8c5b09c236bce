"""The mail module in the portal: the "E-Mail" navigation entry and its dashboard card (the
unread messages of the inbox). Replaces the web app's placeholder for the same key."""

from __future__ import annotations

import logging
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from schulhof.core.http import AuthenticatedHttpRequest
from schulhof.web.modules import PortalModule, register

logger = logging.getLogger(__name__)

CARD_MESSAGES = 4


def mail_card(request: AuthenticatedHttpRequest) -> dict[str, Any] | None:
    """Unread count and the newest unread messages of the inbox; a notice when the webmail
    is blocked or the mail server does not answer (the dashboard never fails for it)."""
    from schulhof.mail.addresses import address_of
    from schulhof.mail.webmail import imap, policies

    user = request.user
    refusal = policies.refusal(user)
    if refusal:
        return {"blocked": refusal}
    try:
        session = imap.connect(user.username)
    except imap.MailError as error:
        return {"blocked": str(error)}
    try:
        inbox = session.special_or_error("inbox")
        uids = session.sorted_uids(inbox, only="unseen")
        newest = session.summaries(inbox, uids[:CARD_MESSAGES])
    except imap.MailError as error:
        return {"blocked": str(error)}
    finally:
        session.close()
    from schulhof.mail import autoreply
    from schulhof.mail.models import AutoReply

    reply = AutoReply.objects.filter(user=user, enabled=True).first()
    away = autoreply.describe(reply) if reply and not reply.is_over(timezone.localdate()) else ""
    return {
        "away": away,
        "address": address_of(user),
        "unseen": len(uids),
        "messages": newest,
        "inbox": inbox,
    }


def register_modules() -> None:
    register(
        PortalModule(
            key="mail",
            title=_("E-Mail"),
            icon="mail",
            order=20,
            url_name="webmail:home",
            namespace="webmail",
            empty_state=_("Keine ungelesenen E-Mails."),
            card_context=mail_card,
            card_template="mail/cards/mail.html",
        )
    )

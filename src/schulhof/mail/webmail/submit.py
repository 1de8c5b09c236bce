"""Sending from the webmail: SMTP submission to our own Postfix, authenticated as the
webmail master user on behalf of the person (AUTH PLAIN ``<username>*schulhof-webmail``), so
Postfix applies exactly the person's sending rules (sender, recipients, volume).

All recipients are offered before the message: if Postfix refuses any of them, nothing is
sent (no half-delivered message) and the person sees Postfix's reasons, which are German
(spelled in ASCII, as SMTP requires).
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from email.message import EmailMessage
from email.policy import SMTP

from django.utils.translation import gettext as _

from schulhof.mail.conf import MailConf, mail_conf, master_login, master_password
from schulhof.mail.webmail.headers import Address

logger = logging.getLogger(__name__)

TIMEOUT = 60.0
_ENHANCED = re.compile(r"^\s*\d\.\d{1,3}\.\d{1,3}\s+")


class SendError(Exception):
    """The message was not sent; ``message`` says why in German, ``reasons`` lists what the
    mail server said (one line per refused recipient or step)."""

    def __init__(self, message: str, reasons: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.reasons = reasons or []


def server_text(reply: bytes | str) -> str:
    """An SMTP reply text without its enhanced status code (``5.7.1 Sie dürfen …``)."""
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return _ENHANCED.sub("", " ".join(text.split()))


def _loopback(host: str) -> bool:
    return host in ("127.0.0.1", "::1", "localhost")


def send(
    username: str,
    message: EmailMessage,
    *,
    sender: str,
    recipients: list[Address],
    conf: MailConf | None = None,
) -> None:
    """Submit ``message`` from ``sender`` to ``recipients`` (To, Cc and Bcc); SendError if
    anything was refused. The Bcc header is left out of what is sent."""
    conf = conf or mail_conf()
    password = master_password()
    data = without_bcc(message)
    if len(data) > conf.max_message_bytes:
        raise SendError(too_large_text(len(data), conf.max_message_bytes))
    try:
        client = smtplib.SMTP(conf.client_host, conf.submission_port, timeout=TIMEOUT)
    except (OSError, smtplib.SMTPException) as error:
        logger.warning(
            "Submission to %s:%s failed: %s", conf.client_host, conf.submission_port, error
        )
        raise SendError(
            _("Der Mailserver ist gerade nicht erreichbar. Ihre Nachricht wurde nicht gesendet.")
        ) from error
    try:
        client.ehlo()
        if not client.has_extn("auth") and client.has_extn("starttls"):
            # Our own Postfix on this machine: its certificate may be self-signed.
            context = ssl.create_default_context()
            if _loopback(conf.client_host):
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            client.starttls(context=context)
            client.ehlo()
        client.user, client.password = master_login(username), password
        try:
            client.auth("PLAIN", client.auth_plain)
        except smtplib.SMTPAuthenticationError as error:
            raise SendError(
                _("Der Mailserver hat die Anmeldung zum Senden abgelehnt: %(reason)s")
                % {"reason": server_text(error.smtp_error)}
            ) from error
        _transaction(client, data, sender, [r.address for r in recipients])
    except SendError:
        raise
    except smtplib.SMTPServerDisconnected as error:
        raise SendError(
            _("Die Verbindung zum Mailserver ist abgebrochen. Ihre Nachricht wurde nicht gesendet.")
        ) from error
    except (OSError, smtplib.SMTPException) as error:
        logger.warning("Submission failed: %s", error)
        raise SendError(
            _("Ihre Nachricht konnte nicht gesendet werden: %(reason)s") % {"reason": str(error)}
        ) from error
    finally:
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()


def _transaction(client: smtplib.SMTP, data: bytes, sender: str, recipients: list[str]) -> None:
    options = ["SIZE=%d" % len(data)] if client.has_extn("size") else []
    if client.has_extn("8bitmime"):
        options.append("BODY=8BITMIME")
    code, reply = client.mail(sender, options)
    if code != 250:
        client.rset()
        raise SendError(_("Der Mailserver hat den Absender abgelehnt."), [server_text(reply)])
    refused: list[str] = []
    for recipient in recipients:
        code, reply = client.rcpt(recipient)
        if code not in (250, 251):
            refused.append(server_text(reply))
    if refused:
        client.rset()
        raise SendError(
            _("Der Mailserver hat Empfänger abgelehnt. Die Nachricht wurde an niemanden gesendet."),
            refused,
        )
    code, reply = client.data(data)
    if code != 250:
        raise SendError(_("Der Mailserver hat die Nachricht abgelehnt."), [server_text(reply)])


def message_bytes(message: EmailMessage) -> bytes:
    return message.as_bytes(policy=SMTP)


def without_bcc(message: EmailMessage) -> bytes:
    """The message as sent: without its Bcc header (which stays on ``message``)."""
    hidden = message.get_all("Bcc") or []
    del message["Bcc"]
    try:
        return message_bytes(message)
    finally:
        for value in hidden:
            message["Bcc"] = value


def too_large_text(size: int, limit: int) -> str:
    from schulhof.files.views.common import format_size

    return _(
        "Die Nachricht ist mit Anhängen %(size)s groß; höchstens %(limit)s sind möglich. "
        "Bitte entfernen Sie Anhänge."
    ) % {"size": format_size(size), "limit": format_size(limit)}

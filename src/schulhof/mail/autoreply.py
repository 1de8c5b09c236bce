"""Automatic replies while away ("Abwesenheitsnotiz"), sent by Dovecot.

A person's :class:`~schulhof.mail.models.AutoReply` becomes a Sieve script with the
``vacation`` action (RFC 5230) in their mailbox folder, ``sieve/schulhof.sieve``, made active
by the link ``.dovecot.sieve`` (the layout ManageSieve uses). Dovecot runs it at delivery
(LMTP) and follows the RFC's rules: it answers each sender once every ``AutoReply.DAYS``
days, and never mail that was not addressed to the person (group and mailing lists), mail
from lists or other automatic mail, or bounces. The period (from, until) is checked by the
script itself with ``currentdate``, so nothing needs to change when it ends.

Replies go to Postfix's internal replies port (loopback only, null sender only); the milter
lets them through only for a person whose automatic reply is switched on, with their sending
rights (a pupil's reply does not go outside the school), and signs them with DKIM.
"""

from __future__ import annotations

import logging
import os
from email.utils import formataddr
from pathlib import Path
from typing import TYPE_CHECKING

from django.utils import timezone

from schulhof.mail import addresses
from schulhof.mail.conf import MailConf, mail_conf

if TYPE_CHECKING:
    from schulhof.accounts.models import User
    from schulhof.mail.models import AutoReply

logger = logging.getLogger(__name__)

SCRIPT_DIR = "sieve"
SCRIPT_NAME = "schulhof.sieve"
ACTIVE_LINK = ".dovecot.sieve"


def sieve_string(text: str) -> str:
    """``text`` as a Sieve quoted string: backslash and quote escaped, line breaks kept as
    LF, other control characters dropped."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    cleaned = "".join(ch for ch in text if ch in "\n\t" or (ord(ch) >= 32 and ch != "\x7f"))
    return '"%s"' % cleaned.replace("\\", "\\\\").replace('"', '\\"')


def _one_line(text: str) -> str:
    return " ".join(text.split())


def render_script(reply: AutoReply, user: User) -> str:
    """The Sieve script for ``reply`` (which must be switched on)."""
    own = addresses.address_of(user)
    # Encoded here (RFC 2047): Dovecot's own encoding of a quoted name with umlauts is broken.
    sender = formataddr((_one_line(user.get_full_name()), own), charset="utf-8")
    conditions = []
    if reply.start:
        conditions.append('currentdate :value "ge" "date" "%s"' % reply.start.isoformat())
    if reply.end:
        conditions.append('currentdate :value "le" "date" "%s"' % reply.end.isoformat())
    extensions = ['"vacation"'] + (['"date"', '"relational"'] if conditions else [])
    vacation = "vacation :days %d :subject %s :from %s :addresses [%s]\n    %s;" % (
        reply.DAYS,
        sieve_string(_one_line(reply.subject)),
        sieve_string(sender),
        ", ".join(sieve_string(a) for a in sorted(addresses.sender_addresses(user))),
        sieve_string(reply.message),
    )
    lines = [
        "# Abwesenheitsnotiz, written by Schulhof; changes here are overwritten.",
        "require [%s];" % ", ".join(extensions),
    ]
    if conditions:
        lines.append("if allof (%s) {" % ", ".join(conditions))
        lines.append("  " + vacation)
        lines.append("}")
    else:
        lines.append(vacation)
    return "\n".join(lines) + "\n"


def install(user: User) -> None:
    """Write or remove the person's script to match their automatic reply. A folder that
    cannot be written is logged, not raised: the row is saved, and saving again retries."""
    try:
        _install(user)
    except OSError:
        logger.exception("automatic reply of user %s: script not written", user.pk)


def _install(user: User) -> None:
    from schulhof.mail.models import AutoReply

    conf = mail_conf()
    reply = AutoReply.objects.filter(user=user).first()
    today = timezone.localdate()
    if reply is None or not reply.enabled or reply.is_over(today):
        remove(conf, user)
        return
    write(conf, user, render_script(reply, user))


def _owned(conf: MailConf, path: Path) -> None:
    """Files here belong to the mail servers' user (Dovecot compiles the script next to it)."""
    if os.geteuid() == 0:
        os.lchown(path, conf.system_uid, conf.system_gid)


def write(conf: MailConf, user: User, script: str) -> None:
    home = conf.mailbox_home(user.pk)
    folder = home / SCRIPT_DIR
    for path in (home, folder):
        if not path.exists():
            path.mkdir(mode=0o700, parents=True)
            _owned(conf, path)
    target = folder / SCRIPT_NAME
    tmp = folder / (SCRIPT_NAME + ".tmp")
    tmp.write_text(script, encoding="utf-8")
    os.chmod(tmp, 0o600)
    _owned(conf, tmp)
    os.replace(tmp, target)
    link = home / ACTIVE_LINK
    if not link.is_symlink():
        link.unlink(missing_ok=True)
        link.symlink_to(Path(SCRIPT_DIR) / SCRIPT_NAME)
        _owned(conf, link)


def remove(conf: MailConf, user: User) -> None:
    home = conf.mailbox_home(user.pk)
    (home / ACTIVE_LINK).unlink(missing_ok=True)
    for name in (SCRIPT_NAME, SCRIPT_NAME.replace(".sieve", ".svbin")):
        (home / SCRIPT_DIR / name).unlink(missing_ok=True)


def describe(reply: AutoReply | None) -> str:
    """What the automatic reply does now, in one line for people."""
    from django.utils import formats
    from django.utils.translation import gettext as _

    today = timezone.localdate()
    if reply is None or not reply.enabled:
        return _("Ausgeschaltet")
    if reply.end and reply.is_over(today):
        return _("Abgelaufen am %(date)s") % {"date": formats.date_format(reply.end)}
    if reply.start and reply.start > today:
        return _("Eingeschaltet ab %(date)s") % {"date": formats.date_format(reply.start)}
    if reply.end:
        return _("Eingeschaltet bis einschließlich %(date)s") % {
            "date": formats.date_format(reply.end)
        }
    return _("Eingeschaltet, bis Sie sie ausschalten")


def active_reply_for(address: str) -> tuple[User, AutoReply] | None:
    """The person behind ``address`` and their automatic reply, if it is active today."""
    from schulhof.mail.models import AutoReply

    resolution = addresses.resolve(address)
    user = resolution.user if resolution is not None else None
    if user is None:
        return None
    reply = AutoReply.objects.filter(user=user).first()
    if reply is None or not reply.is_active_on(timezone.localdate()):
        return None
    return user, reply

"""Saving drafts and sending, on top of an open IMAP session.

The compose form holds no files between requests: what must survive (attachments of a
failed send, or of a form that came back with an error) is saved as a draft in "Entwürfe",
and the form then names that draft. Attachments the form can keep come from that draft
(``d<part>``) or, before there is a draft, from the message being forwarded (``s<part>``,
``s-message`` for the whole message as an attachment).

After sending: a copy goes to "Gesendet", the draft (if any) is removed, and the answered or
forwarded message gets its flag.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.message import EmailMessage

from django.utils.translation import gettext as _

from schulhof.accounts.models import User
from schulhof.mail import addresses, utf7
from schulhof.mail.webmail import compose, render, submit
from schulhof.mail.webmail.compose import Draft, Upload
from schulhof.mail.webmail.folders import Folder
from schulhof.mail.webmail.headers import Address
from schulhof.mail.webmail.imap import MailError, MailSession, NotFound

logger = logging.getLogger(__name__)

SOURCE_ACTIONS = ("reply", "forward", "forward-attachment")


@dataclass(frozen=True)
class Source:
    """The message a compose form answers or forwards."""

    action: str
    uid: int
    folder_name: str

    def __str__(self) -> str:
        return "%s %d %s" % (self.action, self.uid, self.folder_name)

    @property
    def folder_path(self) -> str:
        return utf7.decode(self.folder_name)


def parse_source(value: str) -> Source | None:
    parts = (value or "").strip().split(" ", 2)
    if len(parts) != 3 or parts[0] not in SOURCE_ACTIONS or not parts[1].isdigit():
        return None
    return Source(parts[0], int(parts[1]), parts[2])


@dataclass(frozen=True)
class Existing:
    """An attachment the form already has: ``key`` for the form, where it comes from."""

    key: str
    filename: str
    size: int
    content_type: str


def sender_of(user: User) -> Address:
    return Address(user.full_name, addresses.address_of(user))


def _drafts(mail: MailSession) -> Folder:
    return mail.special_or_error("drafts")


def _load(mail: MailSession, folder_path: str, uid: int) -> render.Rendered | None:
    try:
        folder = mail.folder(folder_path)
        return render.render(mail.fetch(folder, uid).raw)
    except NotFound:
        return None


def existing_attachments(
    mail: MailSession, *, draft_uid: int | None, source: Source | None
) -> list[Existing]:
    """What the form can keep: the draft's attachments, or (no draft yet) those of the
    forwarded message."""
    if draft_uid:
        rendered = _load(mail, _drafts(mail).path, draft_uid)
        if rendered is None:
            return []
        return [
            Existing("d%s" % a.part_id, a.filename, a.size, a.content_type)
            for a in rendered.listed_attachments
        ]
    if source is not None and source.action in ("forward", "forward-attachment"):
        rendered = _load(mail, source.folder_path, source.uid)
        if rendered is None:
            return []
        if source.action == "forward-attachment":
            name = "%s.eml" % (rendered.subject[:80] or _("Nachricht"))
            size = len(rendered.message.as_bytes())
            return [Existing("s-message", name, size, "message/rfc822")]
        return [
            Existing("s%s" % a.part_id, a.filename, a.size, a.content_type)
            for a in rendered.listed_attachments
        ]
    return []


def gather(
    mail: MailSession,
    draft: Draft,
    *,
    draft_uid: int | None,
    source: Source | None,
    keep: set[str],
    uploads: list[Upload],
) -> Draft:
    """``draft`` with its attachments: the kept ones (fetched again from the server) and the
    new uploads."""
    draft.attachments = []
    draft.attached_messages = []
    origin: render.Rendered | None = None
    prefix = ""
    if draft_uid:
        origin, prefix = _load(mail, _drafts(mail).path, draft_uid), "d"
    elif source is not None and source.action in ("forward", "forward-attachment"):
        origin, prefix = _load(mail, source.folder_path, source.uid), "s"
        if origin is not None and source.action == "forward-attachment" and "s-message" in keep:
            name = "%s.eml" % (origin.subject[:80] or _("Nachricht"))
            draft.attached_messages.append((name, origin.message))
    if origin is not None:
        for attachment in origin.listed_attachments:
            if "%s%s" % (prefix, attachment.part_id) not in keep:
                continue
            part = render.find_part(origin.message, attachment.part_id)
            if part is None:
                continue
            if part.get_content_type() == "message/rfc822":
                inner = part.get_payload()
                if isinstance(inner, list) and inner and isinstance(inner[0], EmailMessage):
                    draft.attached_messages.append((attachment.filename, inner[0]))
                    continue
            draft.attachments.append(
                Upload(attachment.filename, attachment.content_type, render.part_bytes(part))
            )
    draft.attachments.extend(uploads)
    return draft


def _recipients(draft: Draft) -> tuple[list[Address], list[Address], list[Address]]:
    return (
        compose.parse_recipients(draft.to)[0],
        compose.parse_recipients(draft.cc)[0],
        compose.parse_recipients(draft.bcc)[0],
    )


def build(user: User, draft: Draft, *, as_draft: bool) -> EmailMessage:
    to, cc, bcc = _recipients(draft)
    return compose.build_message(
        draft, sender=sender_of(user), to=to, cc=cc, bcc=bcc, as_draft=as_draft
    )


def save_draft(mail: MailSession, user: User, draft: Draft, *, old_uid: int | None) -> int | None:
    """Store the draft in "Entwürfe" (replacing the previous version); its new UID."""
    drafts = _drafts(mail)
    message = build(user, draft, as_draft=True)
    new_uid = mail.append(drafts, submit.message_bytes(message), "(\\Seen \\Draft)")
    if old_uid and old_uid != new_uid:
        _remove_draft(mail, old_uid)
    return new_uid


def discard_draft(mail: MailSession, uid: int) -> None:
    _remove_draft(mail, uid)


def _remove_draft(mail: MailSession, uid: int) -> None:
    drafts = _drafts(mail)
    if mail.exists(drafts, [uid]):
        mail.expunge(drafts, [uid])


def send(
    mail: MailSession,
    user: User,
    draft: Draft,
    *,
    old_uid: int | None,
    source: Source | None,
) -> list[str]:
    """Send the message; raises ``submit.SendError``. Returns warnings about the steps
    after sending (the copy in "Gesendet"), which do not undo the sending."""
    message = build(user, draft, as_draft=False)
    to, cc, bcc = _recipients(draft)
    submit.send(
        user.username,
        message,
        sender=addresses.address_of(user),
        recipients=[*to, *cc, *bcc],
    )
    warnings: list[str] = []
    try:
        sent = mail.special_or_error("sent")
        mail.append(sent, submit.message_bytes(message), "(\\Seen)")
    except MailError as error:
        logger.info("No copy in Sent for %s: %s", user.username, error.message)
        warnings.append(
            _("Die Nachricht wurde gesendet, aber nicht in „Gesendet“ gespeichert: %(reason)s")
            % {"reason": error.message}
        )
    try:
        if old_uid:
            _remove_draft(mail, old_uid)
        if source is not None:
            original = mail.folder(source.folder_path)
            flag = "\\Answered" if source.action == "reply" else "$Forwarded"
            if mail.exists(original, [source.uid]):
                mail.set_flag(original, [source.uid], flag, True)
    except MailError as error:
        # The message is out; a leftover draft or a missing flag is no reason to say otherwise.
        logger.info("After sending for %s: %s", user.username, error.message)
    return warnings

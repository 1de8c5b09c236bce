"""Writing mail: recipients typed by people checked and parsed, new messages built as MIME
(plain text, attachments, umlauts in headers encoded by the email package), and the
starting points for a reply, a reply to all, a forward and a saved draft.

Nothing here talks to a server; :mod:`submit` sends, :mod:`imap` stores.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from email.headerregistry import Address as HeaderAddress
from email.message import EmailMessage, Message
from email.policy import SMTP
from email.utils import format_datetime, make_msgid

from django.utils import timezone
from django.utils.translation import gettext as _

from schulhof.mail.webmail import headers, render
from schulhof.mail.webmail.headers import PARENT_INFO, Address
from schulhof.mail.webmail.render import Rendered

# Kept in a saved draft only (never sent): which message the draft answers or forwards,
# so sending it later still marks that message as answered or forwarded.
SOURCE_HEADER = "X-Schulhof-Quelle"
MAX_RECIPIENTS = 1000
MAX_REFERENCES = 20

_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_LABEL = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
_REPLY_PREFIX = re.compile(r"^\s*((re|aw|antw|sv|vs)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)
_FORWARD_PREFIX = re.compile(r"^\s*((fwd?|wg|weiterl)\s*:\s*)+", re.IGNORECASE)
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")


class InvalidAddress(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _split_list(text: str) -> list[str]:
    """Split at commas and semicolons that are not inside quotes or angle brackets."""
    pieces: list[str] = []
    current: list[str] = []
    quoted = False
    angle = 0
    for char in text:
        if char == '"':
            quoted = not quoted
        elif char == "<" and not quoted:
            angle += 1
        elif char == ">" and not quoted and angle:
            angle -= 1
        elif char in ",;\n" and not quoted and not angle:
            pieces.append("".join(current))
            current = []
            continue
        current.append(char)
    pieces.append("".join(current))
    return [piece.strip() for piece in pieces if piece.strip()]


def _invalid(address: str) -> InvalidAddress:
    return InvalidAddress(_("„%(value)s“ ist keine gültige E-Mail-Adresse.") % {"value": address})


def check_address(address: str) -> str:
    """``address`` (``name@domain``) normalised (domain lower case, international domains
    as IDNA); InvalidAddress with a German message otherwise."""
    address = address.strip()
    if address.count("@") != 1:
        raise _invalid(address)
    local, domain = address.rsplit("@", 1)
    if not _LOCAL.match(local) or len(local) > 64:
        raise _invalid(address)
    try:
        ascii_domain = domain.strip().rstrip(".").encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise _invalid(address) from None
    labels = ascii_domain.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise _invalid(address)
    return "%s@%s" % (local, ascii_domain)


def parse_recipients(text: str) -> tuple[list[Address], list[str]]:
    """The addresses in what someone typed into To/Cc/Bcc (``a@b.de, "Muster, Max"
    <max@b.de>; c@d.de``), and a German error for each piece that is not an address."""
    found: list[Address] = []
    errors: list[str] = []
    seen: set[str] = set()
    for piece in _split_list(text or ""):
        match = re.match(r'^\s*(?:"?(?P<name>[^"<]*?)"?\s*)?<(?P<addr>[^<>]+)>\s*$', piece)
        name = (match.group("name") or "").strip() if match else ""
        raw = match.group("addr") if match else piece
        try:
            address = check_address(raw)
        except InvalidAddress as error:
            errors.append(error.message)
            continue
        if address.lower() not in seen:
            seen.add(address.lower())
            found.append(Address(name, address))
    return found, errors


def format_addresses(values: list[Address]) -> str:
    """Addresses as a person would type them, for the form fields."""
    out = []
    for value in values:
        if value.name and value.address:
            name = value.name.replace('"', "")
            if re.search(r"[,;<>@]", name):
                name = '"%s"' % name
            out.append("%s <%s>" % (name, value.address))
        elif value.address:
            out.append(value.address)
    return ", ".join(out)


@dataclass(frozen=True)
class Upload:
    filename: str
    content_type: str
    data: bytes


@dataclass
class Draft:
    """What the compose form holds. ``source``: ``"reply <uid> <folder>"`` or
    ``"forward <uid> <folder>"`` (the folder's wire name), for flagging the original."""

    to: str = ""
    cc: str = ""
    bcc: str = ""
    subject: str = ""
    body: str = ""
    parent_info: bool = False
    in_reply_to: str = ""
    references: str = ""
    source: str = ""
    attachments: list[Upload] = field(default_factory=list)
    # An attached message (forward as attachment), kept as a message, not as bytes.
    attached_messages: list[tuple[str, EmailMessage]] = field(default_factory=list)


def _header_address(value: Address) -> HeaderAddress:
    local, domain = value.address.rsplit("@", 1)
    return HeaderAddress(display_name=value.name, username=local, domain=domain)


def build_message(
    draft: Draft,
    *,
    sender: Address,
    to: list[Address],
    cc: list[Address],
    bcc: list[Address],
    as_draft: bool = False,
    now: datetime | None = None,
) -> EmailMessage:
    """The MIME message. Bcc stays in the header (smtplib leaves it out when sending; the
    copy in "Gesendet" shows it to the sender). A draft keeps the source header."""
    message = EmailMessage(policy=SMTP)
    message["Date"] = format_datetime(timezone.localtime(now or timezone.now()))
    message["From"] = _header_address(sender)
    if to:
        message["To"] = [_header_address(value) for value in to]
    if cc:
        message["Cc"] = [_header_address(value) for value in cc]
    if bcc:
        message["Bcc"] = [_header_address(value) for value in bcc]
    message["Subject"] = " ".join(draft.subject.split())
    message["Message-ID"] = make_msgid(domain=sender.address.rsplit("@", 1)[1])
    if draft.in_reply_to:
        message["In-Reply-To"] = draft.in_reply_to
    if draft.references:
        message["References"] = draft.references
    if draft.parent_info:
        message[PARENT_INFO] = "1"
    if as_draft and draft.source:
        message[SOURCE_HEADER] = draft.source
    message["MIME-Version"] = "1.0"
    body = draft.body.replace("\r\n", "\n")
    if not body.endswith("\n"):
        body += "\n"
    message.set_content(body, subtype="plain", charset="utf-8")
    for upload in draft.attachments:
        maintype, _slash, subtype = (upload.content_type or "application/octet-stream").partition(
            "/"
        )
        if maintype == "text":
            # Text attachments as bytes: their own charset, untouched.
            maintype, subtype = "application", "octet-stream"
        if maintype in ("multipart", "message") or not subtype:
            maintype, subtype = "application", "octet-stream"
        message.add_attachment(
            upload.data, maintype=maintype, subtype=subtype, filename=upload.filename
        )
    for filename, attached in draft.attached_messages:
        message.add_attachment(attached, filename=filename)
    return message


# --- starting points ---------------------------------------------------------------------


def strip_prefixes(subject: str) -> str:
    subject = _REPLY_PREFIX.sub("", subject)
    return _FORWARD_PREFIX.sub("", subject).strip()


def reply_subject(subject: str) -> str:
    return "Re: " + strip_prefixes(_REPLY_PREFIX.sub("", subject))


def forward_subject(subject: str) -> str:
    return "Fwd: " + strip_prefixes(subject)


def references_for(message: Message) -> tuple[str, str]:
    """(In-Reply-To, References) for an answer to ``message`` (RFC 5322, 3.6.4)."""
    message_id = _MESSAGE_ID.findall(headers.header_text(message, "Message-ID"))
    own = message_id[0] if message_id else ""
    earlier = _MESSAGE_ID.findall(headers.header_text(message, "References"))
    if not earlier:
        earlier = _MESSAGE_ID.findall(headers.header_text(message, "In-Reply-To"))[:1]
    chain = [*earlier, own] if own else earlier
    # Keep the first (the thread's start) and the newest ones.
    if len(chain) > MAX_REFERENCES:
        chain = chain[:1] + chain[-(MAX_REFERENCES - 1) :]
    return own, " ".join(chain)


def body_as_text(rendered: Rendered) -> str:
    """The message's text for quoting: the plain text, or the HTML turned into text."""
    if rendered.text is not None:
        return rendered.text
    if rendered.html_part_id is not None:
        part = render.find_part(rendered.message, rendered.html_part_id)
        if part is not None:
            return render.html_to_text(render.part_text(part))
    return ""


def quote(text: str) -> str:
    lines = text.replace("\r\n", "\n").rstrip("\n").split("\n")
    return "\n".join(("> " + line) if not line.startswith(">") else (">" + line) for line in lines)


def _when(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return timezone.localtime(moment).strftime("%d.%m.%Y %H:%M")


def reply_draft(
    rendered: Rendered, *, own_addresses: set[str], reply_all: bool, source: str = ""
) -> Draft:
    """A reply: to the sender (or Reply-To; to the recipients if the message was our own),
    with the quoted text; to all: everyone else in To and Cc as Cc, without ourselves."""
    own = {address.lower() for address in own_addresses}
    sender = rendered.sender
    if sender is not None and sender.address.lower() in own:
        to = [a for a in rendered.to if a.address.lower() not in own] or rendered.to
    else:
        to = rendered.reply_to or ([sender] if sender else [])
    cc: list[Address] = []
    if reply_all:
        taken = {a.address.lower() for a in to} | own
        for address in [*rendered.to, *rendered.cc]:
            if address.address and address.address.lower() not in taken:
                taken.add(address.address.lower())
                cc.append(address)
    in_reply_to, references = references_for(rendered.message)
    intro = _("Am %(date)s schrieb %(sender)s:") % {
        "date": _when(rendered.date),
        "sender": str(sender) if sender else _("Unbekannt"),
    }
    return Draft(
        to=format_addresses(to),
        cc=format_addresses(cc),
        subject=reply_subject(rendered.subject),
        body="\n\n%s\n%s\n" % (intro, quote(body_as_text(rendered))),
        in_reply_to=in_reply_to,
        references=references,
        source=source,
    )


def forward_draft(rendered: Rendered, *, as_attachment: bool, source: str = "") -> Draft:
    """A forward: the original as quoted text below a header block (its attachments are
    added by the caller), or the whole original as an attached message."""
    draft = Draft(subject=forward_subject(rendered.subject), source=source)
    if as_attachment:
        name = render.filename_of(rendered.message, "0")
        if not name.lower().endswith(".eml"):
            name = "%s.eml" % (rendered.subject[:80] or _("Nachricht"))
        draft.attached_messages.append((name, rendered.message))
        draft.body = "\n"
        return draft
    lines = [
        "",
        "",
        "-------- %s --------" % _("Weitergeleitete Nachricht"),
        "%s: %s" % (_("Betreff"), rendered.subject),
        "%s: %s" % (_("Datum"), _when(rendered.date)),
        "%s: %s" % (_("Von"), str(rendered.sender) if rendered.sender else ""),
        "%s: %s" % (_("An"), format_addresses(rendered.to)),
    ]
    if rendered.cc:
        lines.append("%s: %s" % (_("Kopie"), format_addresses(rendered.cc)))
    lines += ["", body_as_text(rendered).rstrip("\n"), ""]
    draft.body = "\n".join(lines)
    return draft


def draft_from_message(rendered: Rendered) -> Draft:
    """A saved draft back in the form (its attachments are listed from the message)."""
    message = rendered.message
    return Draft(
        to=format_addresses(rendered.to),
        cc=format_addresses(rendered.cc),
        bcc=format_addresses(headers.addresses(message, "Bcc")),
        subject=rendered.subject,
        body=body_as_text(rendered),
        parent_info=rendered.parent_info,
        in_reply_to=" ".join(_MESSAGE_ID.findall(headers.header_text(message, "In-Reply-To"))),
        references=" ".join(_MESSAGE_ID.findall(headers.header_text(message, "References"))),
        source=headers.header_text(message, SOURCE_HEADER),
    )


def clean_message_ids(value: str) -> str:
    """Only well-formed ``<id>`` tokens from a form field (header injection is impossible
    anyway, the email package refuses line breaks; this keeps the header tidy)."""
    return " ".join(_MESSAGE_ID.findall(value or "")[: MAX_REFERENCES + 1])

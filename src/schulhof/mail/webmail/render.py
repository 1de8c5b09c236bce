"""A message taken apart for the reading view: headers, the body to show (HTML preferred,
sanitised by :mod:`sanitize`, else the plain text with clickable links), the attachments,
and the parts that ``cid:`` images refer to.

Parts are numbered in the order of a depth-first walk that does not descend into attached
messages (``message/rfc822`` is one attachment, downloadable as ``.eml``). The numbers are
stable for the same message, so URLs can name a part by its number.

Why the HTML is shown in a frame from its own URL and not inline (``srcdoc``): the portal's
CSP forbids inline styles, which mails need, and a separate response can carry a CSP of its
own (``sanitize.frame_csp``): images only from us (and, when allowed, from the hosts of the
message's remote images), inline CSS, no scripts (also ``sandbox`` without
``allow-scripts``, in the header and on the ``<iframe>``). ``allow-same-origin`` stays, so
the page's script can fit the frame's height to the mail and ``cid:`` images load with the
session cookie; without ``allow-scripts`` the frame itself can never run anything.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.policy import default as default_policy
from html import escape
from html.parser import HTMLParser

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from schulhof.mail.webmail import headers
from schulhof.mail.webmail.headers import Address
from schulhof.mail.webmail.sanitize import CleanHtml, clean_html

# Parts bigger than this are not shown as the body (a 30 MB "text" part would hang the page);
# they stay downloadable.
MAX_BODY_BYTES = 5 * 1024 * 1024
MAX_PARTS = 500

_URL = re.compile(
    r"(?P<url>\b(?:https?://|www\.)[^\s<>\"'\u00a0]+)|(?P<mail>\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b)",
    re.IGNORECASE,
)
_TRAILING = ".,;:!?)]}'\""


def parse(raw: bytes) -> EmailMessage:
    # With the default policy the parser makes EmailMessage objects.
    return BytesParser(policy=default_policy).parsebytes(raw)


def walk(message: Message) -> Iterator[tuple[str, Message]]:
    """``(part_id, part)`` for every part, depth first, not into attached messages; at most
    :data:`MAX_PARTS` parts (a message with more is malformed or hostile)."""
    stack: list[Message] = [message]
    index = 0
    while stack and index < MAX_PARTS:
        part = stack.pop()
        yield str(index), part
        index += 1
        if part.is_multipart() and part.get_content_type() != "message/rfc822":
            children = part.get_payload()
            if isinstance(children, list):
                stack.extend(reversed([c for c in children if isinstance(c, Message)]))


def find_part(message: Message, part_id: str) -> Message | None:
    for current_id, part in walk(message):
        if current_id == part_id:
            return part
    return None


def part_bytes(part: Message) -> bytes:
    """A part's content, transfer encoding undone; an attached message as its bytes."""
    if part.get_content_type() == "message/rfc822":
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        if isinstance(inner, Message):
            return inner.as_bytes(policy=default_policy)
        return b""
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def part_text(part: Message) -> str:
    """A text part as str: its charset, else UTF-8, else Windows-1252 (never raises);
    line breaks as ``\n``."""
    return _decode_text(part).replace("\r\n", "\n")


def _decode_text(part: Message) -> str:
    data = part_bytes(part)
    charset = (part.get_content_charset() or "").lower()
    if charset and charset not in ("us-ascii", "ascii"):
        try:
            return data.decode(charset, "replace")
        except LookupError:
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def content_id(part: Message) -> str:
    return headers.header_text(part, "Content-ID").strip().strip("<>").strip()


def clean_filename(name: str) -> str:
    """A file name from a message or an upload without paths, control characters and
    leading dots ("" if nothing is left)."""
    name = headers.repair(headers.decode_words(name or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch >= " " and ch != "\x7f").strip().lstrip(".").strip()
    return name[:200]


def filename_of(part: Message, part_id: str) -> str:
    try:
        raw = part.get_filename() or ""
    except (ValueError, LookupError, TypeError):
        raw = ""
    name = clean_filename(raw)
    if name:
        return name
    content_type = part.get_content_type()
    if content_type == "message/rfc822":
        inner = part.get_payload()
        if isinstance(inner, list) and inner and isinstance(inner[0], Message):
            subject = headers.header_text(inner[0], "Subject")
            if subject:
                cleaned = re.sub(r"[^\w .,()-]+", "_", subject).strip()[:80]
                return "%s.eml" % (cleaned or _("Nachricht"))
        return "%s-%s.eml" % (_("Nachricht"), part_id)
    extension = mimetypes.guess_extension(content_type) or ".bin"
    return "%s-%s%s" % (_("Anhang"), part_id, extension)


@dataclass(frozen=True)
class Attachment:
    part_id: str
    filename: str
    content_type: str
    size: int
    # Shown in the body (a cid: image), not in the attachment list.
    inline: bool = False


@dataclass
class Rendered:
    message: EmailMessage
    subject: str
    sender: Address | None
    to: list[Address]
    cc: list[Address]
    reply_to: list[Address]
    date: datetime | None
    parent_info: bool
    html_part_id: str | None
    text: str | None
    attachments: list[Attachment] = field(default_factory=list)
    cids: dict[str, str] = field(default_factory=dict)

    @property
    def listed_attachments(self) -> list[Attachment]:
        return [a for a in self.attachments if not a.inline]


def _alternatives_of(message: Message, body: Message) -> set[int]:
    """The parts that are other versions of ``body``: the branches of its
    multipart/alternative that do not hold it (and everything in them), by identity."""
    found: set[int] = set()
    for _id, part in walk(message):
        if part.get_content_type() == "multipart/alternative":
            payload = part.get_payload()
            children = (
                [c for c in payload if isinstance(c, Message)] if isinstance(payload, list) else []
            )
            if any(child is body or _contains(child, body) for child in children):
                for child in children:
                    if child is body or _contains(child, body):
                        continue
                    for _cid, inner in walk(child):
                        found.add(id(inner))
    return found


def _contains(container: Message, needle: Message) -> bool:
    return any(part is needle for _id, part in walk(container))


def render(raw: bytes) -> Rendered:
    message = parse(raw)
    try:
        body = message.get_body(preferencelist=("html", "plain"))
    except (KeyError, ValueError, TypeError):
        body = None
    if body is not None and len(part_bytes(body)) > MAX_BODY_BYTES:
        body = None
    others = _alternatives_of(message, body) if body is not None else set()
    html_part_id: str | None = None
    text: str | None = None
    attachments: list[Attachment] = []
    cids: dict[str, str] = {}
    referenced = ""
    if body is not None and body.get_content_type() == "text/html":
        referenced = part_text(body).lower()
    for part_id, part in walk(message):
        if part is body:
            if part.get_content_type() == "text/html":
                html_part_id = part_id
            else:
                text = part_text(part)
            continue
        if part.is_multipart() and part.get_content_type() != "message/rfc822":
            continue
        cid = content_id(part)
        if cid:
            cids[cid] = part_id
        if id(part) in others:
            continue
        inline = bool(cid) and ("cid:" + cid.lower()) in referenced
        disposition = (part.get_content_disposition() or "").lower()
        if disposition == "attachment":
            inline = False
        attachments.append(
            Attachment(
                part_id=part_id,
                filename=filename_of(part, part_id),
                content_type=part.get_content_type(),
                size=len(part_bytes(part)),
                inline=inline,
            )
        )
    if body is None:
        # No text to show (only attachments, or a text too large): the page says so.
        text = ""
    return Rendered(
        message=message,
        subject=headers.header_text(message, "Subject"),
        sender=next(iter(headers.addresses(message, "From")), None),
        to=headers.addresses(message, "To"),
        cc=headers.addresses(message, "Cc"),
        reply_to=headers.addresses(message, "Reply-To"),
        date=headers.header_date(message),
        parent_info=headers.is_parent_info(message),
        html_part_id=html_part_id,
        text=text,
        attachments=attachments,
        cids=cids,
    )


def html_body(
    rendered: Rendered,
    *,
    part_url: Callable[[str], str],
    mailto_url: Callable[[str], str] | None = None,
    allow_remote: bool = False,
) -> CleanHtml:
    """The sanitised HTML body (empty if the message has none)."""
    if rendered.html_part_id is None:
        return CleanHtml()
    part = find_part(rendered.message, rendered.html_part_id)
    if part is None:
        return CleanHtml()

    def cid_url(cid: str) -> str | None:
        part_id = rendered.cids.get(cid)
        return part_url(part_id) if part_id is not None else None

    return clean_html(
        part_text(part), cid_url=cid_url, mailto_url=mailto_url, allow_remote=allow_remote
    )


FRAME_STYLE = (
    "html{color-scheme:light}"
    "body{margin:0;padding:12px 4px;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,"
    "'Noto Sans','DejaVu Sans',sans-serif;color:#1c2529;background:#fff;"
    "overflow-wrap:anywhere}"
    "img{max-width:100%;height:auto}"
    "table{max-width:100%}"
    "pre{white-space:pre-wrap}"
    "blockquote{margin:0 0 0 .5em;padding-left:.75em;border-left:3px solid #cfd8dc;color:#4f5d63}"
    "a{color:#0b5c6b}"
)


def frame_document(clean: CleanHtml) -> str:
    """The document for the message frame: our base style, then the mail's own."""
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        '<meta name="referrer" content="no-referrer">'
        "<style>%s</style></head><body>%s</body></html>" % (FRAME_STYLE, clean.html)
    )


def text_to_html(text: str, *, mailto_url: Callable[[str], str] | None = None) -> SafeString:
    """Plain text for the page: escaped, links and addresses clickable, quoted lines
    (``> …``) marked so they can be shown as quotes."""
    lines = []
    for line in text.splitlines():
        depth = len(line) - len(line.lstrip(">")) if line.startswith(">") else 0
        linked = _linkify(line, mailto_url)
        if depth:
            lines.append('<span class="wm-quote wm-quote--%d">%s</span>' % (min(depth, 3), linked))
        else:
            lines.append(linked)
    return mark_safe("\n".join(lines))  # noqa: S308 - every piece was escaped in _linkify


def _linkify(line: str, mailto_url: Callable[[str], str] | None) -> str:
    out: list[str] = []
    position = 0
    for match in _URL.finditer(line):
        start, end = match.span()
        token = match.group(0)
        stripped = token.rstrip(_TRAILING)
        end -= len(token) - len(stripped)
        out.append(escape(line[position:start]))
        if match.group("url"):
            href = stripped if "://" in stripped else "https://" + stripped
            out.append(
                '<a href="%s" target="_blank" rel="noopener noreferrer">%s</a>'
                % (escape(href), escape(stripped))
            )
        else:
            href = mailto_url("mailto:" + stripped) if mailto_url else "mailto:" + stripped
            out.append('<a href="%s">%s</a>' % (escape(href), escape(stripped)))
        position = end
    out.append(escape(line[position:]))
    return "".join(out)


class _TextExtractor(HTMLParser):
    BLOCKS = frozenset(
        {
            "p",
            "div",
            "br",
            "tr",
            "li",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "table",
            "ul",
            "ol",
            "blockquote",
            "pre",
            "hr",
            "section",
            "article",
            "header",
            "footer",
            "dt",
            "dd",
        }
    )
    SKIP = frozenset({"style", "script", "head", "title", "template", "noscript"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BLOCKS:
            self.out.append("\n")
        elif tag == "td":
            self.out.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCKS:
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.out.append(re.sub(r"[ \t\r\n]+", " ", data))


def html_to_text(html: str) -> str:
    """A readable plain text version of an HTML body (for quoting in replies)."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    text = "".join(parser.out)
    lines = [line.strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")

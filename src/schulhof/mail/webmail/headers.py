"""Header values for people: encoded words (RFC 2047) and raw UTF-8 decoded, addresses
split into name and address, dates made timezone-aware. Broken headers from the wild never
raise; they are shown as well as they can be.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any

# Set by the webmail on a teacher's message meant for the parents ("Information für die
# Eltern"); shown as a badge in the list and the reading view.
PARENT_INFO = "X-Schulhof-Elterninfo"

_SPACES = re.compile(r"\s+")
_SURROGATES = re.compile("[\udc80-\udcff]")
_INTERNALDATE = re.compile(
    r"^\s*(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)$"
)
# IMAP dates use English month names whatever the locale.
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@dataclass(frozen=True)
class Address:
    name: str
    address: str

    @property
    def display(self) -> str:
        """The name if there is one, else the address."""
        return self.name or self.address

    def __str__(self) -> str:
        if self.name and self.address:
            return "%s <%s>" % (self.name, self.address)
        return self.address or self.name


def repair(text: str) -> str:
    """Undo the email package's surrogate escapes of raw 8-bit header bytes: UTF-8 if they
    are UTF-8, else Windows-1252 (what old mail programs send)."""
    if not _SURROGATES.search(text):
        return text
    raw = text.encode("utf-8", "surrogateescape")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", "replace")


def decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words in a raw header value (for values the email package
    left undecoded)."""
    if "=?" not in value:
        return value
    try:
        return str(make_header(decode_header(value)))
    except (ValueError, LookupError, UnicodeDecodeError, AssertionError):
        return value


def header_text(message: Message, name: str) -> str:
    """A header's value as one clean line ("" if missing)."""
    try:
        value = message.get(name)
    except (ValueError, IndexError, TypeError, AttributeError):
        # A header the email package cannot parse at all.
        value = _raw_value(message, name) or None
    if value is None:
        return ""
    text = repair(str(value))
    if "\ufffd" in text:
        # The email package gave up on raw 8-bit bytes that are not UTF-8 (old programs
        # send Latin-1): decode the raw value ourselves.
        text = _raw_value(message, name) or text
    text = decode_words(text) if "=?" in text else text
    return _SPACES.sub(" ", text).strip()


def _raw_value(message: Message, name: str) -> str:
    for key, raw in message.raw_items():
        if key.lower() == name.lower():
            return decode_words(repair(str(raw)))
    return ""


def addresses(message: Message, name: str) -> list[Address]:
    """The addresses in a header (To, Cc, From …), in order; groups flattened."""
    values = []
    try:
        header: Any = message.get(name)
    except (ValueError, IndexError, TypeError, AttributeError):
        header = None
    if header is None:
        return []
    parsed = getattr(header, "addresses", None)
    if parsed:
        for item in parsed:
            address = item.addr_spec if item.username else ""
            values.append(Address(repair(item.display_name or ""), repair(address)))
        return [value for value in values if value.address or value.name]
    for display, address in getaddresses([decode_words(repair(str(header)))]):
        if address or display:
            values.append(Address(display.strip(), address.strip()))
    return values


def header_date(message: Message) -> datetime | None:
    """The Date header as an aware datetime (UTC if the header has no zone)."""
    value = message.get("Date")
    if value is None:
        return None
    moment = getattr(value, "datetime", None)
    if moment is None:
        try:
            moment = parsedate_to_datetime(str(value))
        except (TypeError, ValueError, IndexError):
            return None
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


def internal_date(value: str) -> datetime | None:
    """IMAP INTERNALDATE (``"17-Jul-1996 02:44:25 -0700"``) as an aware datetime."""
    match = _INTERNALDATE.match(value.strip().strip('"').strip())
    if not match:
        return None
    day, month, year, hour, minute, second, sign, zh, zm = match.groups()
    if month.title() not in _MONTHS:
        return None
    offset = timedelta(hours=int(zh), minutes=int(zm)) * (-1 if sign == "-" else 1)
    try:
        return datetime(
            int(year),
            _MONTHS.index(month.title()) + 1,
            int(day),
            int(hour),
            int(minute),
            int(second),
            tzinfo=timezone(offset),
        )
    except ValueError:
        return None


def is_parent_info(message: Message) -> bool:
    return header_text(message, PARENT_INFO).strip() == "1"


# --- The fast path for message lists -----------------------------------------------------
#
# The email package's header objects cost about a millisecond per message; a list page
# with 50 messages would spend most of its time there. For the few headers of a list line,
# the raw values are read directly and decoded with the same helpers.


def raw_fields(block: bytes) -> dict[str, str]:
    """A header block as ``{lower-case name: unfolded raw value}`` (the first of each name);
    bytes that are not UTF-8 stay as surrogate escapes for :func:`repair`."""
    fields: dict[str, str] = {}
    current: str | None = None
    for line in block.split(b"\n"):
        line = line.rstrip(b"\r")
        if not line:
            current = None
            continue
        if line[:1] in (b" ", b"\t"):
            if current is not None:
                fields[current] += " " + line.strip().decode("utf-8", "surrogateescape")
            continue
        name, colon, value = line.partition(b":")
        key = name.strip().decode("ascii", "replace").lower()
        if not colon or not key or key in fields:
            current = None
            continue
        fields[key] = value.strip().decode("utf-8", "surrogateescape")
        current = key
    return fields


def text_value(raw: str) -> str:
    return _SPACES.sub(" ", decode_words(repair(raw))).strip()


def address_values(raw: str) -> list[Address]:
    values = []
    for display, address in getaddresses([repair(raw)]):
        name = text_value(display) if display else ""
        if address or name:
            values.append(Address(name, address.strip()))
    return values


def date_value(raw: str) -> datetime | None:
    try:
        moment = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)

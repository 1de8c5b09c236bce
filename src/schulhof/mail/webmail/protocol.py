"""Reading IMAP responses as imaplib hands them over, and writing arguments.

imaplib returns the lines of untagged responses raw: a line without literals is one
``bytes`` item; a line with literals is a run of ``(text_up_to_literal, literal)`` tuples
followed by the ``bytes`` rest of the line. :func:`lines` puts such runs back together as
lists of segments, and :func:`parse` turns one line into nested Python lists:

- ``(`` … ``)`` → list
- ``NIL`` → None
- a quoted string or a literal → bytes
- anything else (atoms, numbers, flags, ``BODY[HEADER.FIELDS (FROM)]``) → str

Every loop here is bounded by the length of what the server sent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

_LITERAL_AT_END = re.compile(rb"\{(\d+)\+?\}\r?\n?$")
_QUOTABLE = re.compile(r"^[\x20-\x7e]*$")


class ProtocolError(Exception):
    """A response that does not parse."""


@dataclass(frozen=True)
class Literal:
    data: bytes


Segment = bytes | Literal


def lines(data: Iterable[Any]) -> list[list[Segment]]:
    """The untagged response lines in imaplib's ``data`` list, each as its segments."""
    result: list[list[Segment]] = []
    current: list[Segment] | None = None
    for item in data:
        if isinstance(item, tuple):
            text, literal = item[0], item[1]
            if current is None:
                current = []
            current.append(_LITERAL_AT_END.sub(b"", bytes(text)))
            current.append(Literal(bytes(literal)))
        elif isinstance(item, bytes | bytearray):
            if current is None:
                result.append([bytes(item)])
            else:
                current.append(bytes(item))
                result.append(current)
                current = None
        # imaplib puts None into data for an empty answer: nothing to read.
    if current is not None:
        result.append(current)
    return result


class _Reader:
    def __init__(self, segments: Sequence[Segment]) -> None:
        self.segments = segments
        self.seg = 0
        self.pos = 0

    def _text(self) -> bytes | None:
        segment = self.segments[self.seg] if self.seg < len(self.segments) else None
        return segment if isinstance(segment, bytes) else None

    def at_end(self) -> bool:
        self._skip_spaces()
        return self.seg >= len(self.segments)

    def _skip_spaces(self) -> None:
        while self.seg < len(self.segments):
            segment = self.segments[self.seg]
            if isinstance(segment, Literal):
                return
            while self.pos < len(segment) and segment[self.pos] in b" \r\n":
                self.pos += 1
            if self.pos < len(segment):
                return
            self.seg += 1
            self.pos = 0

    def value(self) -> Any:
        self._skip_spaces()
        if self.seg >= len(self.segments):
            raise ProtocolError("unexpected end of response")
        segment = self.segments[self.seg]
        if isinstance(segment, Literal):
            self.seg += 1
            self.pos = 0
            return segment.data
        char = segment[self.pos : self.pos + 1]
        if char == b"(":
            self.pos += 1
            items: list[Any] = []
            while True:
                self._skip_spaces()
                text = self._text()
                if text is not None and text[self.pos : self.pos + 1] == b")":
                    self.pos += 1
                    return items
                if self.seg >= len(self.segments):
                    raise ProtocolError("unclosed parenthesis")
                items.append(self.value())
        if char == b'"':
            return self._quoted(segment)
        return self._atom(segment)

    def _quoted(self, segment: bytes) -> bytes:
        out = bytearray()
        index = self.pos + 1
        while index < len(segment):
            byte = segment[index]
            if byte == 0x5C and index + 1 < len(segment):  # backslash escapes " and \
                out.append(segment[index + 1])
                index += 2
                continue
            if byte == 0x22:
                self.pos = index + 1
                return bytes(out)
            out.append(byte)
            index += 1
        raise ProtocolError("unclosed quoted string")

    def _atom(self, segment: bytes) -> str | None:
        start = index = self.pos
        depth = 0
        while index < len(segment):
            byte = segment[index]
            if byte == 0x5B:  # [ … ] may hold spaces and parentheses (BODY[HEADER.FIELDS (X)])
                depth += 1
            elif byte == 0x5D:
                depth = max(0, depth - 1)
            elif depth == 0 and byte in b" ()\r\n":
                break
            index += 1
        if index == start:
            raise ProtocolError("unexpected %r" % segment[index : index + 1])
        self.pos = index
        word = segment[start:index].decode("ascii", "replace")
        return None if word.upper() == "NIL" else word


def parse(segments: Sequence[Segment]) -> list[Any]:
    """All values of one response line."""
    reader = _Reader(segments)
    values = []
    while not reader.at_end():
        values.append(reader.value())
    return values


def text(value: Any) -> str:
    """A string, quoted string or literal as text (mailbox names are 7-bit)."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def fetch_items(data: Iterable[Any]) -> list[dict[str, Any]]:
    """The FETCH responses in ``data``, each as a dict of upper-case item names to values
    (``{"UID": "5", "FLAGS": ["\\\\Seen"], "RFC822.SIZE": "1234", …}``)."""
    result = []
    for line in lines(data):
        values = parse(line)
        # "<seq> (<items>)"; imaplib has already taken "* " and "FETCH" away.
        if len(values) < 2 or not isinstance(values[1], list):
            continue
        pairs = values[1]
        item: dict[str, Any] = {}
        for index in range(0, len(pairs) - 1, 2):
            item[str(pairs[index]).upper()] = pairs[index + 1]
        result.append(item)
    return result


def quote(value: str) -> bytes:
    """A string argument: quoted if it is printable ASCII, else a non-synchronising
    literal (LITERAL+, RFC 7888) with the UTF-8 bytes."""
    if _QUOTABLE.match(value):
        return b'"' + value.replace("\\", "\\\\").replace('"', '\\"').encode("ascii") + b'"'
    raw = value.encode("utf-8")
    return b"{%d+}\r\n" % len(raw) + raw

"""Turning an uploaded export into text, and finding text that was damaged before it reached us.

School administration software writes UTF-8 (with or without BOM), Windows-1252 ("ANSI") or
ISO-8859-15. We decide between these by rules rather than statistics, so the result is the
same every time and can be explained to the admin:

1. A UTF-8 BOM means UTF-8; a UTF-16 BOM means UTF-16 (Excel's "Unicode text").
2. Bytes that decode as UTF-8 are UTF-8 (pure ASCII included).
3. Otherwise each line is looked at on its own: a file with some lines in valid multi-byte
   UTF-8 and others that are not UTF-8 mixes encodings and is refused as a whole.
4. A single-byte file is Windows-1252 if it uses bytes 0x80–0x9F (printable there, control
   characters in ISO-8859-15); ISO-8859-15 if it uses one of Š š ž Œ œ Ÿ at the places where
   Windows-1252 has symbols that never occur in names (¦ ¨ ¸ ¼ ½ ¾); Windows-1252 otherwise.

Damage done before the export, found per value: text that was encoded twice ("MÃ¼ller") is
repaired exactly (reversing the double encoding) and reported; letters the exporting program
could not represent come out as ``?`` (or U+FFFD) and cannot be repaired — see ``lost_letters``.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

AUTO = ""
ENCODINGS: dict[str, str | Promise] = {
    "utf-8": gettext_lazy("UTF-8"),
    "cp1252": gettext_lazy("Windows-1252 (ANSI)"),
    "iso-8859-15": gettext_lazy("ISO-8859-15 (Latin-9)"),
}
ENCODING_LABELS: dict[str, str | Promise] = {
    **ENCODINGS,
    "utf-8-sig": gettext_lazy("UTF-8 mit BOM"),
    "utf-16": gettext_lazy("UTF-16"),
}

# Where ISO-8859-15 has letters (Š š Ž ž Œ œ Ÿ) and Windows-1252 has symbols. 0xB4 (´ or
# Ž) is left out: "´" is a common stand-in for the apostrophe in names (D´Angelo).
_LATIN9_LETTER_BYTES = frozenset({0xA6, 0xA8, 0xB8, 0xBC, 0xBD, 0xBE})
_EXCEL_SIGNATURES = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")
# Characters that start a UTF-8 sequence when UTF-8 bytes were read as Windows-1252/Latin-1.
_MOJIBAKE_LEAD = re.compile("[\u00c2-\u00f4]")
LOST_LETTER = re.compile("[?\ufffd]")


class UnreadableFile(ValueError):
    """The file cannot be read as a whole; nothing of it is imported. ``str()`` is the German
    message for the admin."""


@dataclass(frozen=True)
class DecodedText:
    text: str
    # The codec used: "utf-8", "utf-8-sig", "utf-16", "cp1252" or "iso-8859-15".
    encoding: str
    detected: bool

    @property
    def label(self) -> str:
        return str(ENCODING_LABELS.get(self.encoding, self.encoding))


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _classify_lines(data: bytes) -> tuple[list[int], list[int]]:
    """Line numbers with valid multi-byte UTF-8, and lines that are not UTF-8."""
    utf8_lines: list[int] = []
    other_lines: list[int] = []
    for number, line in enumerate(data.split(b"\n"), start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            other_lines.append(number)
        else:
            utf8_lines.append(number)
    return utf8_lines, other_lines


def _refuse_mixed(utf8_lines: list[int], other_lines: list[int]) -> None:
    if utf8_lines and other_lines:
        raise UnreadableFile(
            _(
                "Die Datei mischt Zeichenkodierungen: Zeile %(utf8)d ist UTF-8, Zeile "
                "%(other)d ist es nicht (Windows-1252 oder ISO-8859). So eine Datei wird "
                "nicht eingelesen, weil Namen falsch ankämen. Bitte exportieren Sie die "
                "Datei neu, am besten als UTF-8."
            )
            % {"utf8": utf8_lines[0], "other": other_lines[0]}
        )


def _single_byte_codec(data: bytes) -> str:
    if any(0x80 <= byte <= 0x9F for byte in data):
        return "cp1252"
    if any(byte in _LATIN9_LETTER_BYTES for byte in data):
        return "iso-8859-15"
    return "cp1252"


def _decode_strict(data: bytes, codec: str) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as error:
        raise UnreadableFile(
            _(
                "Die Datei lässt sich nicht als %(encoding)s lesen (Zeile %(line)d). Wählen "
                "Sie „automatisch erkennen“ oder die Kodierung, mit der die Datei exportiert "
                "wurde."
            )
            % {"encoding": ENCODING_LABELS.get(codec, codec), "line": _line_of(data, error.start)}
        ) from error


def _refuse_binary(data: bytes) -> None:
    if not data.strip():
        raise UnreadableFile(_("Die Datei ist leer."))
    if data.startswith(_EXCEL_SIGNATURES):
        raise UnreadableFile(
            _(
                "Das ist eine Excel- oder Office-Datei, keine Textdatei. Bitte exportieren "
                "Sie die Daten als Text/CSV (in SchILD-NRW: Datei → Export → Textdateien)."
            )
        )
    if b"\x00" in data:
        raise UnreadableFile(
            _("Die Datei ist keine Textdatei (sie enthält Binärdaten). Bitte als CSV exportieren.")
        )


def decode(data: bytes, encoding: str = AUTO) -> DecodedText:
    """The file's text. ``encoding`` is one of ``ENCODINGS`` or ``AUTO`` (detect).

    Raises :class:`UnreadableFile` for empty or binary files, mixed encodings, and bytes
    that the chosen encoding cannot decode.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and encoding == AUTO:
        return DecodedText(_decode_strict(data, "utf-16"), "utf-16", detected=True)
    _refuse_binary(data)
    has_bom = data.startswith(codecs.BOM_UTF8)
    if encoding != AUTO:
        if encoding not in ENCODINGS:
            raise UnreadableFile(_("Unbekannte Zeichenkodierung „%(name)s“.") % {"name": encoding})
        if encoding == "utf-8":
            codec = "utf-8-sig" if has_bom else "utf-8"
            return DecodedText(_decode_strict(data, codec), codec, detected=False)
        return DecodedText(_decode_strict(data, encoding), encoding, detected=False)
    try:
        text = data.decode("utf-8-sig" if has_bom else "utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return DecodedText(text, "utf-8-sig" if has_bom else "utf-8", detected=True)
    utf8_lines, other_lines = _classify_lines(data)
    if has_bom:
        # A BOM promises UTF-8; lines that are not UTF-8 break that promise.
        utf8_lines = utf8_lines or [1]
    _refuse_mixed(utf8_lines, other_lines)
    codec = _single_byte_codec(data)
    text = _decode_strict(data, codec)
    return DecodedText(text, codec, detected=True)


def repair_double_encoding(value: str) -> str | None:
    """The value with double encoding reversed ("MÃ¼ller" → "Müller"), or None if it shows
    none. Only an exact reversal counts: the value, written back as Windows-1252 (or
    Latin-1), must be valid UTF-8; ordinary names never are."""
    if not _MOJIBAKE_LEAD.search(value):
        return None
    current = value
    for _round in range(3):  # text can be double-encoded more than once
        repaired = None
        for codec in ("cp1252", "latin-1"):
            try:
                candidate = current.encode(codec).decode("utf-8")
            except UnicodeError:
                continue
            if candidate != current:
                repaired = candidate
                break
        if repaired is None:
            break
        current = repaired
    return current if current != value else None


def lost_letters(value: str) -> bool:
    """``?`` or U+FFFD stand where the exporting program lost a letter it could not encode.
    Names never contain them legitimately."""
    return bool(LOST_LETTER.search(value))


def matches_lossy(lossy: str, original: str) -> bool:
    """Whether ``lossy`` ("Nguy?n") is ``original`` ("Nguyễn") with letters lost as ``?``:
    each ``?`` stands for exactly one letter that Windows-1252 cannot represent."""
    if len(lossy) != len(original):
        return False
    for lost, letter in zip(lossy, original, strict=True):
        if LOST_LETTER.fullmatch(lost):
            try:
                letter.encode("cp1252")
            except UnicodeEncodeError:
                continue
            return False
        if lost != letter:
            return False
    return True


def control_characters(value: str) -> bool:
    """Control characters (C0 except tab, and the C1 range that ISO-8859 files produce from
    Windows-1252 bytes) never belong in a name."""
    return any((ord(char) < 0x20 and char != "\t") or 0x7F <= ord(char) <= 0x9F for char in value)

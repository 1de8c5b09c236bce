"""File and folder names: normalisation and the rules every entry point shares.

Every path that reaches the storage (web form, WebDAV URL, CLI) goes through
:func:`split_path`, so there is exactly one place that decides what a name may be.

Decisions (see ``docs/dev/files.md``):

- Names are NFC-normalised: macOS sends decomposed umlauts (NFD), Windows and Linux composed
  ones (NFC); both must find the same file.
- Names Windows cannot store are **refused**, not mapped: ``<>:"\\|?*``, control characters,
  a trailing dot or space, the device names ``CON``, ``PRN``, ``AUX``, ``NUL``, ``COM1``–``COM9``,
  ``LPT1``–``LPT9`` (also with an extension, ``con.txt``). Mapping would make the stored name
  differ from what the client asked for, and sync clients (rclone, davfs2) would then see a file
  they did not write and miss the one they did.
- ``.`` and ``..``, empty segments in the middle of a path, backslashes and NUL never become
  part of a path; leading and trailing slashes and doubled slashes are ignored.
- Bidirectional override characters are refused (``rechnung‮fdp.exe`` looks like ``.pdf``).
- Names starting with ``.~schulhof`` are ours (temporary upload files).
"""

from __future__ import annotations

import re
import unicodedata

from django.utils.translation import gettext as _

MAX_NAME_BYTES = 255  # ext4, XFS, btrfs: one path component
# Far above what Windows Explorer handles, and small enough for PostgreSQL's b-tree index on
# (space, path) (at most about 2,700 bytes per entry).
MAX_PATH_BYTES = 2400
RESERVED_PREFIX = ".~schulhof"

_FORBIDDEN_CHARS = set('<>:"\\|?*')
_BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")
_DEVICE_NAMES = re.compile(r"^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$", re.IGNORECASE)

# Files that desktop clients create for themselves. They are stored (Finder aborts a copy when
# it cannot write them) but hidden from the web file manager and search, and deleted for good
# instead of into the trash.
_CLIENT_JUNK = re.compile(
    r"^(\._.*|\.DS_Store|\.localized|Thumbs\.db|desktop\.ini|~\$.*|\.~lock\..*#)$",
    re.IGNORECASE,
)


class BadName(ValueError):
    """A name or path that is not allowed; ``message`` is German and shown to the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def normalise(name: str) -> str:
    """The stored form of a name: Unicode NFC."""
    return unicodedata.normalize("NFC", name)


def check_name(raw: str) -> str:
    """Validate one file or folder name and return it NFC-normalised.

    Raises :class:`BadName` with a German message that says what is wrong."""
    name = normalise(raw)
    if not name or not name.strip():
        raise BadName(_("Der Name darf nicht leer sein."))
    if name in (".", ".."):
        raise BadName(_("„%(name)s“ ist als Name nicht erlaubt.") % {"name": name})
    if "/" in name or "\x00" in name:
        raise BadName(_("Ein Name darf keinen Schrägstrich enthalten."))
    bad = sorted({c for c in name if c in _FORBIDDEN_CHARS})
    if bad:
        raise BadName(
            _("Der Name darf diese Zeichen nicht enthalten: %(chars)s") % {"chars": " ".join(bad)}
        )
    if any(unicodedata.category(c) == "Cc" or c in _BIDI_CONTROLS for c in name):
        raise BadName(_("Der Name enthält unsichtbare Steuerzeichen."))
    if name.endswith((".", " ")):
        raise BadName(_("Ein Name darf nicht mit einem Punkt oder Leerzeichen enden."))
    if _DEVICE_NAMES.match(name):
        raise BadName(
            _("„%(name)s“ ist unter Windows ein reservierter Name und nicht erlaubt.")
            % {"name": name}
        )
    if name.lower().startswith(RESERVED_PREFIX):
        raise BadName(_("Namen, die mit „.~schulhof“ beginnen, sind reserviert."))
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        raise BadName(_("Der Name ist zu lang (höchstens 255 Bytes)."))
    return name


def split_path(raw: str) -> list[str]:
    """Split a ``/``-separated path into checked, NFC-normalised names.

    ``""`` and ``"/"`` are the root (an empty list). Leading, trailing and doubled slashes are
    ignored; every name is checked with :func:`check_name`, so ``..``, backslashes and NUL
    cannot appear. The caller must have percent-decoded the path exactly once."""
    parts = [check_name(part) for part in raw.split("/") if part != ""]
    if len("/".join(parts).encode("utf-8")) > MAX_PATH_BYTES:
        raise BadName(_("Der Pfad ist zu lang."))
    return parts


def clean_path(raw: str) -> str:
    """The canonical form of a path: checked names joined by ``/`` ("" for the root)."""
    return "/".join(split_path(raw))


def parent_and_name(path: str) -> tuple[str, str]:
    """``"a/b/c"`` → ``("a/b", "c")``; the path must be canonical and not the root."""
    parent, _sep, name = path.rpartition("/")
    return parent, name


def join(parent: str, name: str) -> str:
    """Join a canonical parent path and a name."""
    return "%s/%s" % (parent, name) if parent else name


def is_client_junk(name: str) -> bool:
    """Is this a file that desktop clients create for their own bookkeeping
    (macOS ``._*`` and ``.DS_Store``, Windows ``Thumbs.db``, Office ``~$*`` owner files,
    LibreOffice lock files)? Such files are hidden in the web and never go to the trash."""
    return bool(_CLIENT_JUNK.match(name))


def free_name(name: str, taken: set[str]) -> str:
    """``name`` or, if taken, ``"name (2).ext"``, ``"name (3).ext"``, …"""
    if name not in taken:
        return name
    stem, dot, ext = name.rpartition(".")
    if not stem:  # no dot, or only a leading one (".profile")
        stem, dot, ext = name, "", ""
    counter = 2
    while True:
        candidate = "%s (%d)%s%s" % (stem, counter, dot, ext)
        if candidate not in taken:
            return candidate
        counter += 1

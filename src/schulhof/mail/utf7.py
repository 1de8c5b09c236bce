"""IMAP's modified UTF-7 for mailbox names (RFC 3501, section 5.1.3).

Printable ASCII stands for itself except ``&``, which is written ``&-``; every other run of
characters is UTF-16BE in a modified base64 (``,`` instead of ``/``, no padding) between
``&`` and ``-``: ``Entwürfe`` ↔ ``Entw&APw-rfe``.
"""

from __future__ import annotations

import base64


def encode(name: str) -> str:
    """A mailbox name for the wire."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            raw = "".join(pending).encode("utf-16-be")
            out.append("&" + base64.b64encode(raw).decode("ascii").rstrip("=").replace("/", ","))
            out.append("-")
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return "".join(out)


def decode(name: str) -> str:
    """A mailbox name from the wire, for people. A malformed name is returned as it came,
    so a folder with a broken name can still be shown and opened."""
    out: list[str] = []
    index = 0
    length = len(name)
    while index < length:
        char = name[index]
        if char != "&":
            out.append(char)
            index += 1
            continue
        end = name.find("-", index + 1)
        if end < 0:
            return name
        chunk = name[index + 1 : end]
        if not chunk:
            out.append("&")
        else:
            padded = chunk.replace(",", "/") + "=" * (-len(chunk) % 4)
            try:
                out.append(base64.b64decode(padded, validate=True).decode("utf-16-be"))
            except (ValueError, UnicodeDecodeError):
                return name
        index = end + 1
    return "".join(out)

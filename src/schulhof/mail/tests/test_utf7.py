"""Modified UTF-7 for mailbox names (RFC 3501, 5.1.3)."""

from __future__ import annotations

import pytest

from schulhof.mail import utf7


@pytest.mark.parametrize(
    ("text", "wire"),
    [
        ("INBOX", "INBOX"),
        ("Entwürfe", "Entw&APw-rfe"),
        ("Größe & Form", "Gr&APYA3w-e &- Form"),
        ("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"),
        ("AG: Chemie – Ökologie", "AG: Chemie &IBM- &ANY-kologie"),
        ("😀", "&2D3eAA-"),
    ],
)
def test_round_trip(text: str, wire: str) -> None:
    assert utf7.encode(text) == wire
    assert utf7.decode(wire) == text


@pytest.mark.parametrize("broken", ["Ordner&", "&AP-", "&!!!-", "x&ZeVnLIqe"])
def test_broken_names_are_shown_as_they_came(broken: str) -> None:
    assert utf7.decode(broken) == broken

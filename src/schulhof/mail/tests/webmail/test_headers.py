"""Header values for people: encoded words, raw 8-bit, addresses, dates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from email.parser import BytesParser
from email.policy import default

from schulhof.mail.webmail import headers


def parse(raw: bytes):
    return BytesParser(policy=default).parsebytes(raw)


def test_encoded_words_and_raw_utf8() -> None:
    message = parse(
        b"Subject: =?iso-8859-1?q?Gr=FC=DFe?= aus =?utf-8?b?TcO8bnN0ZXI=?=\r\n"
        b"From: \xc3\x9clrike \xc3\x96z <uo@example.org>\r\n"
        b"X-Test: Stra\xdfe\r\n\r\n"
    )
    assert headers.header_text(message, "Subject") == "Grüße aus Münster"
    (sender,) = headers.addresses(message, "From")
    assert sender == headers.Address("Ülrike Öz", "uo@example.org")
    assert headers.header_text(message, "X-Test") == "Straße"
    assert headers.header_text(message, "Missing") == ""


def test_address_lists_and_display() -> None:
    message = parse(
        b'To: "Muster, Max" <max@example.org>, anna@example.org, Gruppe: a@b.de, c@d.de;\r\n\r\n'
    )
    found = headers.addresses(message, "To")
    assert [a.address for a in found] == [
        "max@example.org",
        "anna@example.org",
        "a@b.de",
        "c@d.de",
    ]
    assert found[0].display == "Muster, Max" and found[1].display == "anna@example.org"
    assert str(found[0]) == "Muster, Max <max@example.org>"


def test_dates() -> None:
    message = parse(b"Date: Mon, 3 Nov 2025 10:00:00 +0100\r\n\r\n")
    assert headers.header_date(message) == datetime(2025, 11, 3, 9, 0, tzinfo=UTC)
    naive = parse(b"Date: Mon, 3 Nov 2025 10:00:00 -0000\r\n\r\n")
    assert headers.header_date(naive) == datetime(2025, 11, 3, 10, 0, tzinfo=UTC)
    assert headers.header_date(parse(b"Date: gestern\r\n\r\n")) is None
    assert headers.internal_date('"17-Jul-1996 02:44:25 -0700"') == datetime(
        1996, 7, 17, 2, 44, 25, tzinfo=timezone(-timedelta(hours=7))
    )
    assert headers.internal_date("kaputt") is None


def test_parent_info() -> None:
    assert headers.is_parent_info(parse(b"X-Schulhof-Elterninfo: 1\r\n\r\n"))
    assert not headers.is_parent_info(parse(b"X-Schulhof-Elterninfo: 0\r\n\r\n"))
    assert not headers.is_parent_info(parse(b"Subject: x\r\n\r\n"))

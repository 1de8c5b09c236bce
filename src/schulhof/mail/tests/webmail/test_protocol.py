"""Parsing imaplib's raw responses and writing arguments."""

from __future__ import annotations

import pytest

from schulhof.mail.webmail import protocol


def test_lines_join_literals_back_into_their_line() -> None:
    data = [
        (b"1 (UID 5 BODY[HEADER.FIELDS (SUBJECT)] {18}", b"Subject: Hallo\r\n\r\n"),
        b" FLAGS (\\Seen))",
        b"2 (UID 6 FLAGS ())",
    ]
    lines = protocol.lines(data)
    assert len(lines) == 2
    items = protocol.fetch_items(data)
    assert items[0] == {
        "UID": "5",
        "BODY[HEADER.FIELDS (SUBJECT)]": b"Subject: Hallo\r\n\r\n",
        "FLAGS": ["\\Seen"],
    }
    assert items[1] == {"UID": "6", "FLAGS": []}


def test_parse_quoted_nil_and_nested() -> None:
    line = [b'(\\HasNoChildren \\Sent) "/" "Gesendete \\"Objekte\\"" NIL (A (B C))']
    assert protocol.parse(line) == [
        ["\\HasNoChildren", "\\Sent"],
        b"/",
        b'Gesendete "Objekte"',
        None,
        ["A", ["B", "C"]],
    ]


def test_two_literals_in_one_line() -> None:
    data = [
        (b"3 (UID 9 BODY[1] {3}", b"abc"),
        (b" BODY[2] {2}", b"de"),
        b")",
    ]
    assert protocol.fetch_items(data) == [{"UID": "9", "BODY[1]": b"abc", "BODY[2]": b"de"}]


@pytest.mark.parametrize("broken", [[b"(A B"], [b'"open']])
def test_broken_responses_raise_protocol_error(broken: list[bytes]) -> None:
    with pytest.raises(protocol.ProtocolError):
        protocol.parse(broken)


def test_quote() -> None:
    assert protocol.quote("INBOX") == b'"INBOX"'
    assert protocol.quote('a"b\\c') == b'"a\\"b\\\\c"'
    assert protocol.quote("ä") == b"{2+}\r\n\xc3\xa4"
    assert protocol.quote("zeile\r\nzwei") == b"{11+}\r\nzeile\r\nzwei"

"""Decoding uploaded exports: detection, overrides, refusals, damaged text."""

import codecs

import pytest

from schulhof.schoolimport.encodings import (
    UnreadableFile,
    control_characters,
    decode,
    lost_letters,
    matches_lossy,
    repair_double_encoding,
)

TEXT = "Nachname;Vorname\r\nMüller;Jürgen\r\nÖztürk;Emre\r\n"


def test_utf8_without_bom():
    decoded = decode(TEXT.encode("utf-8"))
    assert decoded.text == TEXT
    assert decoded.encoding == "utf-8"
    assert decoded.detected


def test_utf8_with_bom_drops_the_bom():
    decoded = decode(codecs.BOM_UTF8 + TEXT.encode("utf-8"))
    assert decoded.text == TEXT
    assert decoded.encoding == "utf-8-sig"


def test_pure_ascii_is_utf8():
    assert decode(b"Nachname;Vorname\nMeier;Jan\n").encoding == "utf-8"


def test_windows_1252_detected_by_its_printable_high_bytes():
    # "š" is 0x9A in Windows-1252 (a control character in ISO-8859-15).
    text = "Nachname;Vorname\nKovač;Šimon\nMüller;Jürgen\n".replace("č", "c")
    decoded = decode(text.encode("cp1252"))
    assert decoded.encoding == "cp1252"
    assert decoded.text == text


def test_plain_umlauts_read_as_windows_1252():
    decoded = decode(TEXT.encode("cp1252"))
    assert decoded.encoding == "cp1252"
    assert "Müller" in decoded.text


def test_iso_8859_15_detected_by_its_letters():
    # "Š" and "œ" are 0xA6 and 0xBD in ISO-8859-15 (¦ and ½ in Windows-1252).
    text = "Nachname;Vorname\nŠtěpánek;Zoé\nLœwe;Jürgen\n".replace("ě", "e")
    decoded = decode(text.encode("iso-8859-15"))
    assert decoded.encoding == "iso-8859-15"
    assert decoded.text == text


def test_override_is_used_as_given():
    decoded = decode(TEXT.encode("utf-8"), "cp1252")
    assert decoded.encoding == "cp1252"
    assert not decoded.detected
    assert "MÃ¼ller" in decoded.text


def test_override_utf8_on_a_windows_file_is_refused_with_the_line():
    with pytest.raises(UnreadableFile, match="nicht als UTF-8 lesen \\(Zeile 2\\)"):
        decode(TEXT.encode("cp1252"), "utf-8")


def test_utf16_from_excel():
    decoded = decode(TEXT.encode("utf-16"))
    assert decoded.encoding == "utf-16"
    assert "Öztürk" in decoded.text


def test_mixed_encodings_refuse_the_whole_file():
    data = (
        b"Nachname;Vorname\r\n" + "Müller;Jürgen\r\n".encode() + "Öztürk;Emre\r\n".encode("cp1252")
    )
    with pytest.raises(UnreadableFile) as raised:
        decode(data)
    message = str(raised.value)
    assert "mischt Zeichenkodierungen" in message
    assert "Zeile 2 ist UTF-8" in message
    assert "Zeile 3" in message


def test_bom_with_non_utf8_lines_is_mixed():
    data = codecs.BOM_UTF8 + "Nachname;Vorname\nMüller;Jürgen\n".encode("cp1252")
    with pytest.raises(UnreadableFile, match="mischt"):
        decode(data)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "leer"),
        (b"  \r\n", "leer"),
        (b"PK\x03\x04rest-of-a-zip", "Excel"),
        (b"\xd0\xcf\x11\xe0old-excel", "Excel"),
        (b"abc\x00def", "Binärdaten"),
    ],
)
def test_unreadable_files(data, message):
    with pytest.raises(UnreadableFile, match=message):
        decode(data)


@pytest.mark.parametrize(
    ("damaged", "repaired"),
    [
        ("MÃ¼ller", "Müller"),
        ("Ã–ztÃ¼rk", "Öztürk"),
        ("Å\x81ukasz", "Łukasz"),
        ("Åukasz", None),  # a lead character, but no valid UTF-8 behind it
        ("NguyÃ¡Â»â€¦n", "Nguyễn"),
        ("MÃƒÂ¼ller", "Müller"),  # encoded twice over
    ],
)
def test_repair_double_encoding(damaged, repaired):
    assert repair_double_encoding(damaged) == repaired


@pytest.mark.parametrize(
    "name", ["Müller", "Ärger", "Çelik", "Ångström", "Øster", "José", "Zoë", "Dvořák", "Ñúñez"]
)
def test_real_names_are_not_taken_for_double_encoded(name):
    assert repair_double_encoding(name) is None


def test_lost_letters():
    assert lost_letters("Nguy?n")
    assert lost_letters("Nguy\ufffdn")
    assert not lost_letters("Nguyen")


def test_matches_lossy():
    assert matches_lossy("Nguy?n", "Nguyễn")
    assert matches_lossy("??????", "Шевчен")
    assert not matches_lossy("M?ller", "Müller")  # ü exists in Windows-1252: not a loss
    assert not matches_lossy("Nguy?n", "Nguyen")
    assert not matches_lossy("Ngu?n", "Nguyễn")


def test_control_characters():
    assert control_characters("M\x9aller")
    assert control_characters("a\x01b")
    assert not control_characters("Müller\tx")

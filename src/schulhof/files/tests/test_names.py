"""Names: NFC, what Windows cannot store, traversal."""

from __future__ import annotations

import unicodedata

import pytest

from schulhof.files import names


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Übung.txt", "Übung.txt"),
        (unicodedata.normalize("NFD", "Übung.txt"), "Übung.txt"),
        ("a/b//c/", "a/b/c"),
        ("/", ""),
        ("", ""),
        (" führende Leerzeichen.txt", " führende Leerzeichen.txt"),
        ("._Referat.pdf", "._Referat.pdf"),
        ("Bericht (1).docx", "Bericht (1).docx"),
        ("emoji 😀.txt", "emoji 😀.txt"),
    ],
)
def test_clean_path(raw: str, expected: str) -> None:
    assert names.clean_path(raw) == expected


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("..", "nicht erlaubt"),
        ("a/../b", "nicht erlaubt"),
        ("a/./b", "nicht erlaubt"),
        ("a\\b", "Zeichen"),
        ("a:b", "Zeichen"),
        ('sag "hallo"', "Zeichen"),
        ("frage?.txt", "Zeichen"),
        ("stern*.txt", "Zeichen"),
        ("pipe|.txt", "Zeichen"),
        ("<tag>", "Zeichen"),
        ("punkt.", "Punkt oder Leerzeichen"),
        ("leer ", "Punkt oder Leerzeichen"),
        ("CON", "reservierter Name"),
        ("nul.txt", "reservierter Name"),
        ("com1.log", "reservierter Name"),
        ("LPT9", "reservierter Name"),
        ("tab\there", "Steuerzeichen"),
        ("null\x00byte", "Schrägstrich"),
        ("rechnung\u202efdp.exe", "Steuerzeichen"),
        (".~schulhof-upload-x", "reserviert"),
        ("x" * 256, "zu lang"),
        ("ü" * 128, "zu lang"),
        ("   ", "leer"),
    ],
)
def test_refused_names(raw: str, fragment: str) -> None:
    with pytest.raises(names.BadName) as info:
        names.split_path(raw)
    assert fragment in info.value.message


def test_path_length_is_limited() -> None:
    with pytest.raises(names.BadName, match="zu lang"):
        names.split_path("/".join(["ordner"] * 400))


def test_console_is_not_a_device_name() -> None:
    assert names.check_name("CONSOLE.txt") == "CONSOLE.txt"
    assert names.check_name("com10") == "com10"


@pytest.mark.parametrize(
    ("name", "junk"),
    [
        (".DS_Store", True),
        ("._Bild.jpg", True),
        ("Thumbs.db", True),
        ("~$Referat.docx", True),
        (".~lock.Referat.odt#", True),
        ("Referat.docx", False),
        ("_Bild.jpg", False),
    ],
)
def test_client_junk(name: str, junk: bool) -> None:
    assert names.is_client_junk(name) is junk


def test_free_name() -> None:
    assert names.free_name("a.txt", set()) == "a.txt"
    assert names.free_name("a.txt", {"a.txt"}) == "a (2).txt"
    assert names.free_name("a.txt", {"a.txt", "a (2).txt"}) == "a (3).txt"
    assert names.free_name("Ordner", {"Ordner"}) == "Ordner (2)"
    assert names.free_name(".profile", {".profile"}) == ".profile (2)"
    assert names.free_name("a.tar.gz", {"a.tar.gz"}) == "a.tar (2).gz"

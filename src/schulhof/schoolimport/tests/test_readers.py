"""Readers: SchILD exports in every shape, profiles, and row-level validation."""

from datetime import date

import pytest

from schulhof.schoolimport import testdata
from schulhof.schoolimport.models import HeaderMode, ImportProfile, ImportRole
from schulhof.schoolimport.profiles import (
    SCHILD_PUPILS,
    SCHILD_TEACHERS,
    layout_from_profile,
)
from schulhof.schoolimport.readers import UnreadableFile, parse_date, read_export
from schulhof.schoolimport.tests.helpers import HEADER, csv_bytes, row

TODAY = date(2026, 8, 20)


def read(data, layout=SCHILD_PUPILS, **kwargs):
    return read_export(data, layout, today=TODAY, **kwargs)


def pupils():
    return [
        testdata.Person(
            "1001", "Öztürk", "Emre", birth_date=date(2015, 3, 1), class_name="5a", year="5"
        ),
        testdata.Person(
            "1002", "Nguyễn", "Minh Anh", birth_date=date(2014, 5, 2), class_name="6b", year="6"
        ),
        testdata.Person(
            "1003",
            "Meer",
            "Jan",
            particle="van der",
            birth_date=date(2009, 1, 3),
            class_name="EF",
            year="EF",
        ),
        testdata.Person(
            "1004", "O'Brien", "Siobhán", birth_date=date(2008, 7, 4), class_name="Q1", year="Q1"
        ),
    ]


def test_schild_export_with_header_and_quotes():
    result = read(testdata.pupil_export(pupils()))
    assert result.has_header
    assert result.separator == ";"
    assert result.decoded.encoding == "utf-8"
    first, second, third, fourth = result.records
    assert (first.line, first.record_id, first.last_name, first.first_name) == (
        2,
        "1001",
        "Öztürk",
        "Emre",
    )
    assert first.birth_date == date(2015, 3, 1)
    assert (first.class_name, first.year) == ("5a", "5")  # "05" in the file
    assert second.first_name == "Minh Anh"
    assert (third.name_particle, third.year) == ("van der", "EF")
    assert fourth.last_name == "O'Brien"
    assert all(record.valid and not record.warnings for record in result.records)
    assert result.mapping["record_id"] == "Interne ID-Nummer"  # preferred over the GUID


@pytest.mark.parametrize(
    ("encoding", "quote", "bom"),
    [
        ("utf-8", True, False),
        ("utf-8", False, False),
        ("utf-8", True, True),
        ("utf-8", False, True),
        ("cp1252", True, False),
        ("cp1252", False, False),
    ],
)
def test_encodings_quotes_and_bom(encoding, quote, bom):
    people = [p for p in pupils() if p.last_name != "Nguyễn"]
    result = read(testdata.pupil_export(people, encoding=encoding, quote=quote, bom=bom))
    assert [r.last_name for r in result.records] == ["Öztürk", "Meer", "O'Brien"]
    assert result.records[2].first_name == "Siobhán"
    assert result.decoded.encoding == ("utf-8-sig" if bom else encoding)


def test_without_header_uses_the_fixed_order():
    result = read(testdata.pupil_export(pupils(), header=False))
    assert not result.has_header
    assert result.records[0].line == 1
    assert result.records[0].last_name == "Öztürk"
    assert result.records[2].name_particle == "van der"
    assert result.mapping["last_name"] == "Spalte 2"


@pytest.mark.parametrize("separator", [",", "\t", "|"])
def test_separator_detected(separator):
    result = read(testdata.pupil_export(pupils(), separator=separator))
    assert result.separator == separator
    assert len(result.records) == 4


def test_wrong_separator_in_a_profile_refuses_the_file():
    profile = ImportProfile(
        pk=1,
        name="Komma",
        source="x",
        role=ImportRole.PUPIL,
        separator=",",
        columns={
            "record_id": "Interne ID-Nummer",
            "last_name": "Nachname",
            "first_name": "Vorname",
        },
    )
    with pytest.raises(UnreadableFile, match="Ist das Trennzeichen richtig"):
        read(testdata.pupil_export(pupils()), layout_from_profile(profile))


def test_no_separator_at_all():
    with pytest.raises(UnreadableFile, match="kein Trennzeichen"):
        read("Nachname\nMüller\n".encode())


def test_missing_required_column():
    data = csv_bytes('"Nachname";"Vorname";"Klasse"', '"Müller";"Jan";"5a"')
    with pytest.raises(UnreadableFile, match="fehlen die Spalten Kennung"):
        read(data)


def test_header_only():
    with pytest.raises(UnreadableFile, match="nur die Kopfzeile"):
        read(csv_bytes(HEADER))


def test_lossy_windows_export_marks_names():
    result = read(testdata.pupil_export(pupils(), encoding="cp1252"))
    nguyen = result.records[1]
    assert nguyen.lossy == {"last_name": "Nguy?n"}
    assert nguyen.last_name == "Nguy?n"


def test_double_encoded_names_are_repaired_and_reported():
    data = csv_bytes(HEADER, row("1", "MÃ¼ller", "JÃ¼rgen"))
    record = read(data).records[0]
    assert (record.last_name, record.first_name) == ("Müller", "Jürgen")
    assert len(record.warnings) == 2
    assert "„MÃ¼ller“ war doppelt kodiert" in record.warnings[0]
    assert "„Müller“ übernommen" in record.warnings[0]


def test_forced_wrong_encoding_repairs_every_name():
    data = testdata.pupil_export(pupils()[:1])
    record = read(data, encoding="cp1252").records[0]
    assert record.last_name == "Öztürk"
    assert any("doppelt kodiert" in warning for warning in record.warnings)


def test_mixed_encodings_refused():
    data = testdata.pupil_export(pupils()[:1]) + testdata.pupil_export(
        pupils()[1:2], header=False, encoding="cp1252"
    ).replace(b"Nguy?n", "Nguyên".encode("cp1252"))
    with pytest.raises(UnreadableFile, match="mischt"):
        read(data)


def test_row_errors_carry_line_numbers():
    data = csv_bytes(
        HEADER,
        row("1", "Müller", ""),
        row("2", "", "Jan"),
        row("", "Meier", "Jan"),
        row("4", "Kaya", "Elif", born="31.02.2015"),
        row("5", "Kaya", "Can", born="01.01.2030"),
        row("6", "Weber", "Tom", status="5"),
        '"7";"Nur";"Drei"',
    )
    records = read(data).records
    assert [(r.line, r.errors) for r in records] == [
        (2, ["Der Vorname fehlt."]),
        (3, ["Der Nachname fehlt."]),
        (4, ["Die Kennung (ID) fehlt."]),
        (5, ["Geburtsdatum „31.02.2015“ ist kein gültiges Datum (erwartet TT.MM.JJJJ)."]),
        (6, ["Das Geburtsdatum liegt in der Zukunft."]),
        (7, ["Unbekannter Status „5“ (erwartet: 2 aktiv, 8 Abschluss, 9 Abgang)."]),
        (
            8,
            [
                "Die Zeile hat 3 statt 9 Spalten (fehlt ein Trennzeichen oder ein "
                "Anführungszeichen?)."
            ],
        ),
    ]


def test_status_and_leaving_date():
    data = csv_bytes(
        HEADER,
        row("1", "Abgang", "Anna", status="9", left="15.07.2026"),
        row("2", "Abschluss", "Ben", status="8"),
        row("3", "Warteliste", "Cem", status="1"),
        row("4", "Neu", "Dana", status="0"),
    )
    result = read(data)
    first, second, third = result.records
    assert first.leaving and first.left_on == date(2026, 7, 15)
    assert second.leaving and second.left_on is None
    assert "ohne Entlassdatum" in second.warnings[0]
    assert not third.leaving
    assert result.skipped_ids == {"3"}


def test_duplicate_ids_are_errors_on_every_line():
    data = csv_bytes(
        HEADER, row("1", "Müller", "Jan"), row("2", "Kaya", "Can"), row("1", "Meier", "Jan")
    )
    records = read(data).records
    assert records[0].errors == ["Die Kennung 1 kommt mehrfach vor (Zeilen 2, 4)."]
    assert records[2].errors == records[0].errors
    assert records[1].valid


def test_missing_optional_values_are_warnings():
    data = csv_bytes(HEADER, row("1", "Müller", "Jan", klasse="", born=""))
    record = read(data).records[0]
    assert record.valid
    assert record.warnings == [
        "Das Geburtsdatum fehlt (es wird für die Einwilligung gebraucht).",
        "Keine Klasse angegeben: die Klassenzugehörigkeit bleibt, wie sie ist.",
    ]


def test_missing_optional_columns_are_file_warnings():
    data = csv_bytes('"ID";"Nachname";"Vorname"', '"1";"Müller";"Jan"')
    result = read(data)
    assert result.records[0].valid
    assert any("keine Spalte „Klasse“" in w for w in result.file_warnings)
    assert any("keine Spalte „Geburtsdatum“" in w for w in result.file_warnings)
    assert any("keine Spalte „Status“" in w for w in result.file_warnings)


def test_trailing_separator_and_quoted_line_breaks():
    data = (
        "ID;Nachname;Vorname;Klasse;\r\n"
        '1;Müller;"Jan\r\nPeter";5a;\r\n'
        "2;Kaya;Can;6b;\r\n"
        "3;Weber;Tom;7c\r\n"
    ).encode()
    records = read(data).records
    assert [r.line for r in records] == [2, 4, 5]
    assert records[0].first_name == "Jan Peter"
    assert all(r.valid for r in records)


def test_names_are_normalised():
    data = csv_bytes(HEADER, row("1", " Mu\u0308ller\u00a0 ", "Anna   Lena"))
    record = read(data).records[0]
    assert record.last_name == "Müller"  # NFC, no-break space gone
    assert record.first_name == "Anna Lena"


def test_teacher_export_uses_the_kuerzel_without_id_column():
    result = read(testdata.teacher_export(testdata.teachers(3)), SCHILD_TEACHERS)
    first = result.records[0]
    assert (first.record_id, first.kuerzel, first.last_name) == ("MÜL", "MÜL", "Müller")
    assert first.email == "mül@lessing-gymnasium.schule.nrw.de"
    assert any("das Kürzel dient als Kennung" in w for w in result.file_warnings)
    assert result.records[2].name_particle == "de"


def test_profile_by_column_numbers_without_header():
    profile = ImportProfile(
        pk=3,
        name="Positionen",
        source="magellan",
        role=ImportRole.PUPIL,
        header=HeaderMode.NO,
        columns={"record_id": "3", "last_name": "1", "first_name": "2", "class_name": "4"},
    )
    data = "Müller,Jan,77,5a\nKaya,Can,78,6b\n".encode()
    result = read(data, layout_from_profile(profile))
    assert [(r.record_id, r.last_name, r.class_name) for r in result.records] == [
        ("77", "Müller", "5a"),
        ("78", "Kaya", "6b"),
    ]


def test_profile_by_headings_with_other_status_values():
    profile = ImportProfile(
        pk=4,
        name="Andere",
        source="andere",
        role=ImportRole.PUPIL,
        columns={
            "record_id": "Schülernummer",
            "last_name": "Familienname",
            "first_name": "Rufname",
            "status": "Zustand",
        },
        left_values="abgemeldet",
    )
    data = (
        "Schülernummer;Familienname;Rufname;Zustand\n1;Müller;Jan;aktiv\n2;Kaya;Can;Abgemeldet\n"
    ).encode()
    first, second = read(data, layout_from_profile(profile)).records
    assert not first.leaving and first.valid
    assert second.leaving


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("01.02.2015", date(2015, 2, 1)),
        ("1.2.2015", date(2015, 2, 1)),
        ("2015-02-01", date(2015, 2, 1)),
        ("01.02.2015 00:00:00", date(2015, 2, 1)),
        ("31.02.2015", None),
        ("2015", None),
        ("01.02.15", None),
    ],
)
def test_parse_date(text, expected):
    assert parse_date(text) == expected

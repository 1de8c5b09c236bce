"""Realistic SchILD-NRW exports for tests and the benchmark (never used in production).

``school()`` makes a school of pupils with hard names in several scripts (Turkish, Polish,
Vietnamese, Greek, Cyrillic, transliterated Arabic, name particles, apostrophes, double given
names, long names), ``next_year()`` the export after the school-year change (promotions
5a → 6a and 10x → EF, graduates with status 8, leavers with status 9 or simply missing,
newcomers, a class switch, a surname change, a newcomer without given name), and
``pupil_export()``/``teacher_export()`` the bytes as SchILD writes them: UTF-8 (with or
without BOM) or Windows-1252, where letters Windows-1252 lacks come out as ``?``.

Everything is deterministic for a given seed.
"""

from __future__ import annotations

import codecs
import csv
import io
import random
import uuid
from dataclasses import dataclass, field, replace
from datetime import date

#: The columns of our documented SchILD pupil export (docs/admin/import.md).
PUPIL_COLUMNS = (
    "Interne ID-Nummer",
    "eindeutige Nummer (GUID)",
    "Nachname",
    "Vorname",
    "Namenszusatz",
    "Geburtsdatum",
    "Geschlecht",
    "Klasse",
    "Jahrgang",
    "Status",
    "Entlassdatum",
)
#: Column order of a pupil export without heading row (``profiles.SCHILD_PUPILS.positions``).
PUPIL_COLUMNS_NO_HEADER = (
    "Interne ID-Nummer",
    "Nachname",
    "Vorname",
    "Namenszusatz",
    "Geburtsdatum",
    "Klasse",
    "Jahrgang",
    "Status",
    "Entlassdatum",
)
TEACHER_COLUMNS = ("Kürzel", "Nachname", "Vorname", "Namenszusatz", "E-Mail (Dienstlich)")

#: (given names, particle, family name): names that break naive software.
HARD_NAMES: tuple[tuple[str, str, str], ...] = (
    ("Emre", "", "Öztürk"),
    ("Ayşe", "", "Yılmaz"),
    ("Çağla", "", "Doğan"),
    ("İbrahim", "", "Şahin"),
    ("Büşra", "", "Aydın"),
    ("Łukasz", "", "Wiśniewski"),
    ("Małgorzata", "", "Brzęczyszczykiewicz"),
    ("Żaneta", "", "Wójcik"),
    ("Minh Anh", "", "Nguyễn"),
    ("Thị Hương", "", "Trần"),
    ("Đức", "", "Phạm"),
    ("Γιώργος", "", "Παπαδόπουλος"),
    ("Ευάγγελος", "", "Οικονόμου"),
    ("Александр", "", "Шевченко"),
    ("Наталья", "", "Горбачёва"),
    ("Юлия", "", "Достоевская"),
    ("Abd al-Rahman", "", "Al-Hassan"),
    ("Nour", "", "El Masri"),
    ("Youssef", "", "Ben Ali"),
    ("Jan", "van der", "Meer"),
    ("Friederike", "von", "Stein"),
    ("Pieter", "de", "Vries"),
    ("Siobhán", "", "O'Brien"),
    ("Luca", "", "D'Angelo"),
    ("Aminata", "", "N'Diaye"),
    ("Anna-Lena", "", "Müller"),
    ("Marie Luise", "", "Schäfer"),
    ("Jan Hendrik", "", "Groß"),
    ("Zoë", "", "Lefèvre"),
    ("Søren", "", "Østergaard"),
    ("Antonín", "", "Dvořák"),
    ("José", "", "Muñoz"),
    ("Maximilian Alexander", "", "Schmidt-Rottluff"),
    ("Leon", "", "Schmidt"),
    ("Leon", "", "Schmidt"),
)

FIRST_NAMES = (
    "Leon", "Mia", "Noah", "Emma", "Paul", "Hannah", "Ben", "Sophia", "Finn", "Lina", "Elias",
    "Emilia", "Jonas", "Marie", "Luis", "Lea", "Felix", "Clara", "Maximilian", "Lena", "Henry",
    "Ella", "Luca", "Anna", "Moritz", "Leni", "Jakob", "Ida", "Anton", "Frieda", "Mohammed",
    "Amira", "Can", "Elif", "Milan", "Zeynep", "Mats", "Greta", "Theo", "Mathilda", "David",
    "Sara", "Tim", "Johanna", "Niklas", "Laura", "Tom", "Julia", "Jan", "Nele",
)  # fmt: skip
LAST_NAMES = (
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
    "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann",
    "Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann", "Hartmann", "Lange", "Schmitt",
    "Werner", "Schmitz", "Krause", "Meier", "Lehmann", "Schmid", "Schulze", "Maier", "Köhler",
    "Herrmann", "König", "Walter", "Mayer", "Huber", "Kaiser", "Fuchs", "Peters", "Lang",
    "Scholz", "Möller", "Weiß", "Jung", "Hahn", "Schubert", "Kaya", "Demir", "Kowalski",
    "Nowak", "Popescu", "Rossi", "Ivanova", "Hoxha",
)  # fmt: skip
LOWER_YEARS = ("5", "6", "7", "8", "9", "10")
UPPER_YEARS = ("EF", "Q1", "Q2")
NEXT_YEAR = {"5": "6", "6": "7", "7": "8", "8": "9", "9": "10", "10": "EF", "EF": "Q1", "Q1": "Q2"}
#: Age at the start of the school year, per year.
AGE = {"5": 10, "6": 11, "7": 12, "8": 13, "9": 14, "10": 15, "EF": 16, "Q1": 17, "Q2": 18}


@dataclass(frozen=True)
class Person:
    """One row of an export."""

    record_id: str
    last_name: str
    first_name: str
    particle: str = ""
    birth_date: date | None = None
    gender: str = ""
    class_name: str = ""
    year: str = ""
    status: str = "2"
    left_on: date | None = None
    guid: str = ""
    kuerzel: str = ""
    email: str = ""


def _year_of(class_name: str) -> str:
    return class_name if class_name in UPPER_YEARS else class_name.rstrip("abcdefgh")


def _schild_year(year: str) -> str:
    """SchILD writes lower years with two digits (``05``)."""
    return year.zfill(2) if year.isdigit() else year


def _class_names(size: int) -> list[str]:
    per_year = max(1, size // 9)
    letters = "abcdefgh"[: max(1, min(8, round(per_year / 28)))]
    return [year + letter for year in LOWER_YEARS for letter in letters] + list(UPPER_YEARS)


class _Factory:
    def __init__(self, seed: int, first_id: int, start_year: int) -> None:
        self.rng = random.Random(seed)
        self.next_id = first_id
        self.start_year = start_year
        self.hard = list(HARD_NAMES)

    def name(self) -> tuple[str, str, str]:
        if self.hard and self.rng.random() < 0.25:
            return self.hard.pop(0)
        return self.rng.choice(FIRST_NAMES), "", self.rng.choice(LAST_NAMES)

    def pupil(self, class_name: str) -> Person:
        first, particle, last = self.name()
        year = _year_of(class_name)
        born = self.start_year - AGE[year] - 1
        record_id = str(self.next_id)
        self.next_id += 1
        return Person(
            record_id=record_id,
            guid=str(uuid.UUID(int=self.rng.getrandbits(128), version=4)).upper(),
            last_name=last,
            first_name=first,
            particle=particle,
            birth_date=date(born, self.rng.randint(9, 12), self.rng.randint(1, 28))
            if self.rng.random() < 0.3
            else date(born + 1, self.rng.randint(1, 8), self.rng.randint(1, 28)),
            gender=self.rng.choice("mw"),
            class_name=class_name,
            year=year,
        )


def school(size: int = 1300, *, seed: int = 2026, start_year: int = 2025) -> list[Person]:
    """``size`` active pupils in years 5–10 (parallel classes a, b, …) and EF, Q1, Q2."""
    factory = _Factory(seed, 1001, start_year)
    classes = _class_names(size)
    pupils = [factory.pupil(classes[index % len(classes)]) for index in range(size)]
    # Everyone of every hard name is in (some come late in the rotation).
    while factory.hard:
        index = factory.rng.randrange(len(pupils))
        first, particle, last = factory.hard.pop(0)
        pupils[index] = replace(pupils[index], first_name=first, particle=particle, last_name=last)
    return sorted(pupils, key=lambda p: (p.class_name, p.last_name, p.first_name))


@dataclass
class NextYear:
    """The export after the school-year change, and what changed (for assertions)."""

    pupils: list[Person]
    graduated: list[str] = field(default_factory=list)
    left_with_status: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    newcomers: list[str] = field(default_factory=list)
    switched: str = ""
    repeated: str = ""
    renamed: tuple[str, str, str] = ("", "", "")  # record id, old and new family name
    invalid: str = ""


def next_year(
    pupils: list[Person],
    *,
    seed: int = 2027,
    start_year: int = 2025,
    leaving_day: date | None = None,
    newcomers: int | None = None,
) -> NextYear:
    """The export one school year later. Q2 graduates (status 8) and three others (status 9)
    leave on ``leaving_day``; two more are simply missing; everyone else moves up one year;
    one pupil switches to another parallel class, one repeats the year, one changes the
    family name; new fifth-graders arrive, one of them without a given name. ``start_year``
    is the year the old school year began (the one that ``pupils`` describes)."""
    rng = random.Random(seed)
    leaving_day = leaving_day or date(start_year + 1, 7, 15)
    result = NextYear(pupils=[])
    lower = [p for p in pupils if p.year not in UPPER_YEARS]
    leaving = {p.record_id for p in rng.sample(lower, 3)}
    missing = {p.record_id for p in rng.sample([p for p in lower if p.record_id not in leaving], 2)}
    staying = [p for p in lower if p.record_id not in leaving | missing and p.year != "10"]
    switched, repeated, renamed = rng.sample(staying, 3)
    for pupil in pupils:
        if pupil.record_id in missing:
            result.missing.append(pupil.record_id)
            continue
        if pupil.year == "Q2" or pupil.record_id in leaving:
            status = "8" if pupil.year == "Q2" else "9"
            (result.graduated if status == "8" else result.left_with_status).append(pupil.record_id)
            result.pupils.append(replace(pupil, status=status, left_on=leaving_day))
            continue
        if pupil.record_id == repeated.record_id:
            result.repeated = pupil.record_id
            result.pupils.append(pupil)
            continue
        year = NEXT_YEAR[pupil.year]
        letter = pupil.class_name[len(pupil.year) :]
        class_name = year if year in UPPER_YEARS else year + letter
        if pupil.record_id == switched.record_id and year not in UPPER_YEARS:
            siblings = sorted({p.class_name for p in pupils if p.year == pupil.year})
            other = [c[len(pupil.year) :] for c in siblings if c != pupil.class_name] or ["b"]
            class_name = year + other[0]
            result.switched = pupil.record_id
        moved = replace(pupil, class_name=class_name, year=year)
        if pupil.record_id == renamed.record_id:
            new_last = "Kowalczyk" if pupil.last_name != "Kowalczyk" else "Lindqvist"
            result.renamed = (pupil.record_id, pupil.last_name, new_last)
            moved = replace(moved, last_name=new_last)
        result.pupils.append(moved)
    first_id = max(int(p.record_id) for p in pupils) + 1
    factory = _Factory(seed, first_id, start_year + 1)
    factory.hard = []
    fifth = sorted({p.class_name for p in pupils if p.year == "5"}) or ["5a"]
    count = newcomers if newcomers is not None else len([p for p in pupils if p.year == "5"])
    for index in range(count):
        newcomer = factory.pupil(fifth[index % len(fifth)])
        if index == 0:
            newcomer = replace(newcomer, first_name="")
            result.invalid = newcomer.record_id
        result.newcomers.append(newcomer.record_id)
        result.pupils.append(newcomer)
    result.pupils.sort(key=lambda p: (p.class_name, p.last_name, p.first_name, p.record_id))
    return result


def teachers(count: int = 90, *, seed: int = 7) -> list[Person]:
    """Teachers with Kürzel (first letters of the family name, unique) and service address."""
    rng = random.Random(seed)
    people: list[Person] = []
    used: set[str] = set()
    names = [("Thomas", "", "Müller"), ("Ayşe", "", "Yılmaz"), ("Jan-Peter", "de", "Vries")]
    for index in range(count):
        first, particle, last = (
            names[index]
            if index < len(names)
            else (rng.choice(FIRST_NAMES), "", rng.choice(LAST_NAMES))
        )
        base = last.upper().replace(" ", "")[:3]
        kuerzel = base
        number = 2
        while kuerzel in used:
            kuerzel = "%s%d" % (base[:2], number)
            number += 1
        used.add(kuerzel)
        people.append(
            Person(
                record_id=str(5001 + index),
                last_name=last,
                first_name=first,
                particle=particle,
                kuerzel=kuerzel,
                email="%s@lessing-gymnasium.schule.nrw.de" % kuerzel.lower(),
            )
        )
    return people


def _value(person: Person, column: str) -> str:
    def day(value: date | None) -> str:
        return value.strftime("%d.%m.%Y") if value else ""

    values = {
        "Interne ID-Nummer": person.record_id,
        "eindeutige Nummer (GUID)": person.guid,
        "Nachname": person.last_name,
        "Vorname": person.first_name,
        "Namenszusatz": person.particle,
        "Geburtsdatum": day(person.birth_date),
        "Geschlecht": person.gender,
        "Klasse": person.class_name,
        "Jahrgang": _schild_year(person.year),
        "Status": person.status,
        "Entlassdatum": day(person.left_on),
        "Kürzel": person.kuerzel,
        "E-Mail (Dienstlich)": person.email,
    }
    return values[column]


def export(
    people: list[Person],
    columns: tuple[str, ...],
    *,
    encoding: str = "utf-8",
    bom: bool = False,
    header: bool = True,
    quote: bool = True,
    separator: str = ";",
) -> bytes:
    """People as a SchILD text export. ``encoding`` "cp1252" loses letters as ``?``."""
    buffer = io.StringIO()
    writer = csv.writer(
        buffer,
        delimiter=separator,
        quotechar='"',
        quoting=csv.QUOTE_ALL if quote else csv.QUOTE_NONE,
        escapechar=None if quote else "\\",
        lineterminator="\r\n",
    )
    if header:
        writer.writerow(columns)
    for person in people:
        writer.writerow([_value(person, column) for column in columns])
    data = buffer.getvalue().encode(encoding, errors="replace")
    return (codecs.BOM_UTF8 + data) if bom else data


def pupil_export(
    people: list[Person],
    *,
    encoding: str = "utf-8",
    bom: bool = False,
    header: bool = True,
    quote: bool = True,
    separator: str = ";",
) -> bytes:
    """A pupil export; without heading row in the fixed order of ``PUPIL_COLUMNS_NO_HEADER``."""
    columns = PUPIL_COLUMNS if header else PUPIL_COLUMNS_NO_HEADER
    return export(
        people,
        columns,
        encoding=encoding,
        bom=bom,
        header=header,
        quote=quote,
        separator=separator,
    )


def teacher_export(
    people: list[Person], *, encoding: str = "utf-8", bom: bool = False, header: bool = True
) -> bytes:
    return export(people, TEACHER_COLUMNS, encoding=encoding, bom=bom, header=header)

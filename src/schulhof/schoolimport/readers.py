"""Readers: an export file (bytes) and a ``Layout`` become validated ``Record``s.

Everything that makes the whole file unusable raises :class:`UnreadableFile` (nothing is
imported); everything that concerns one row becomes an error or a warning of that row, with
its line number in the file (line 1 is the heading row, if there is one).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _

from schulhof.schoolimport import profiles
from schulhof.schoolimport.encodings import (
    AUTO,
    DecodedText,
    UnreadableFile,
    control_characters,
    decode,
    lost_letters,
    repair_double_encoding,
)
from schulhof.schoolimport.groups import normalise_class, normalise_year
from schulhof.schoolimport.models import HeaderMode, ImportRole
from schulhof.schoolimport.profiles import (
    BIRTH_DATE,
    CLASS_NAME,
    EMAIL,
    FIRST_NAME,
    KUERZEL,
    LAST_NAME,
    LEFT_ON,
    NAME_PARTICLE,
    RECORD_ID,
    STATUS,
    YEAR,
    Layout,
)

__all__ = ["ReadResult", "Record", "UnreadableFile", "read_export"]

SEPARATORS = (";", ",", "\t", "|")
SEPARATOR_LABELS = {
    ";": "; (Semikolon)",
    ",": ", (Komma)",
    "\t": "Tabulator",
    "|": "| (senkrechter Strich)",
}
NAME_FIELDS = (FIRST_NAME, LAST_NAME, NAME_PARTICLE)
MAX_LENGTHS = {
    RECORD_ID: 100,
    FIRST_NAME: 150,
    LAST_NAME: 150,
    NAME_PARTICLE: 50,
    CLASS_NAME: 100,
    YEAR: 20,
    KUERZEL: 10,
    EMAIL: 254,
}
_SAMPLE_LINES = 50
_DATE_GERMAN = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$")
_DATE_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2})?)?$")
_SPACES = re.compile(r"[\s\u00a0\u202f\u2007]+")


@dataclass
class Record:
    """One person as the file describes them, after cleaning and validation."""

    line: int
    record_id: str = ""
    last_name: str = ""
    first_name: str = ""
    name_particle: str = ""
    birth_date: date | None = None
    class_name: str = ""
    year: str = ""
    leaving: bool = False
    left_on: date | None = None
    kuerzel: str = ""
    email: str = ""
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Name fields whose value has letters lost as "?" (the diff decides if that is usable).
    lossy: dict[str, str] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def display_name(self) -> str:
        family = " ".join(part for part in (self.name_particle, self.last_name) if part)
        return ("%s, %s" % (family, self.first_name)).strip(", ")


@dataclass
class ReadResult:
    records: list[Record]
    decoded: DecodedText
    separator: str
    has_header: bool
    # Field key → the column it was read from ("Nachname" or "Spalte 2").
    mapping: dict[str, str]
    file_warnings: list[str]
    rows: int
    # Rows skipped on purpose (SchILD status 1, waiting list): their record ids, so that a
    # full import does not take those people for leavers.
    skipped_ids: set[str] = field(default_factory=set)

    @property
    def skipped(self) -> int:
        return len(self.skipped_ids)

    @property
    def encoding_label(self) -> str:
        return self.decoded.label


def _clean(value: str) -> str:
    value = unicodedata.normalize("NFC", value)
    return _SPACES.sub(" ", value).strip()


def parse_date(text: str) -> date | None:
    """``DD.MM.YYYY`` (SchILD) or ``YYYY-MM-DD``; a trailing time is ignored. None if the
    text is no valid date."""
    text = text.strip()
    match = _DATE_GERMAN.match(text)
    if match:
        day, month, year = (int(part) for part in match.groups())
    else:
        match = _DATE_ISO.match(text)
        if not match:
            return None
        year, month, day = (int(part) for part in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _detect_separator(text: str, wanted: str) -> str:
    if wanted:
        return wanted
    lines = [line for line in text.splitlines() if line.strip()][:_SAMPLE_LINES]
    best = ""
    best_score = (0, 0)
    for candidate in SEPARATORS:
        widths = [len(row) for row in csv.reader(lines, delimiter=candidate, quotechar='"')]
        if not widths or widths[0] < 2:
            continue
        # How many lines agree with the first line's width, then how wide it is.
        score = (sum(1 for width in widths if width == widths[0]), widths[0])
        if score > best_score:
            best, best_score = candidate, score
    if not best:
        raise UnreadableFile(
            _(
                "Die Spalten der Datei lassen sich nicht erkennen: kein Trennzeichen (Semikolon, "
                "Komma, Tabulator) gefunden. Ist es wirklich ein Text-Export der Schulverwaltung?"
            )
        )
    return best


def _strip_bom(cell: str) -> str:
    for bom in ("\ufeff", "ï»¿"):
        if cell.startswith(bom):
            return cell[len(bom) :]
    return cell


def _map_headings(cells: list[str], layout: Layout) -> dict[str, int]:
    """Field → column index for a heading row; the first-named synonym wins (so SchILD's
    "Interne ID-Nummer" beats the GUID when both are there)."""
    best: dict[str, tuple[int, int]] = {}
    for index, cell in enumerate(cells):
        key = layout.heading_for(cell)
        if key is None:
            continue
        rank = layout.headings[key].index(profiles.normalise_heading(cell))
        if key not in best or rank < best[key][0]:
            best[key] = (rank, index)
    return {key: index for key, (_rank, index) in best.items()}


def _required_fields(layout: Layout, mapped: dict[str, int]) -> list[str]:
    required = [LAST_NAME, FIRST_NAME]
    if not (layout.kuerzel_is_id and KUERZEL in mapped):
        required.insert(0, RECORD_ID)
    return required


def _missing_columns_message(missing: list[str], cells: list[str]) -> str:
    labels = ", ".join(str(profiles.FIELDS[key]) for key in missing)
    found = "; ".join(cell for cell in cells if cell)[:200]
    if len(cells) < 2:
        return _(
            "In der Kopfzeile fehlen die Spalten %(missing)s. Die Zeile hat nur eine Spalte "
            "(„%(found)s“): Ist das Trennzeichen richtig?"
        ) % {"missing": labels, "found": found}
    return _(
        "In der Kopfzeile fehlen die Spalten %(missing)s. Gefunden: %(found)s. Wählen Sie "
        "das passende Importprofil."
    ) % {"missing": labels, "found": found}


@dataclass
class _Columns:
    has_header: bool
    index: dict[str, int]
    # The usual number of cells in a row.
    width: int
    labels: dict[str, str]
    # The usual rows end with an empty cell (a separator at the end of every line).
    trailing_empty: bool = False

    def fits(self, cells: list[str]) -> bool:
        """Whether a row has the usual number of cells; empty cells at its end (from a
        trailing separator, or its absence) do not count."""
        if len(cells) < self.width - (1 if self.trailing_empty else 0):
            return False
        return not any(cell.strip() for cell in cells[self.width :])


def _columns(first_row: list[str], layout: Layout, width: int) -> _Columns:
    cells = [_clean(_strip_bom(cell)) for cell in first_row]
    by_heading = _map_headings(cells, layout)
    if layout.header == HeaderMode.YES and not layout.headings:
        # A profile by column numbers for files with a heading row: skip it, use positions.
        return _positional(cells, layout, width, has_header=True)
    use_header = layout.header == HeaderMode.YES or (
        layout.header == HeaderMode.AUTO and (len(by_heading) >= 2 or not layout.positions)
    )
    if use_header:
        missing = [key for key in _required_fields(layout, by_heading) if key not in by_heading]
        if missing:
            raise UnreadableFile(_missing_columns_message(missing, cells))
        labels = {key: cells[i] for key, i in by_heading.items()}
        return _Columns(True, by_heading, width, labels)
    return _positional(cells, layout, width, has_header=False)


def _positional(cells: list[str], layout: Layout, width: int, *, has_header: bool) -> _Columns:
    index = dict(layout.positions)
    missing = [key for key in _required_fields(layout, index) if key not in index]
    if missing:
        raise UnreadableFile(_missing_columns_message(missing, cells))
    needed = max(index.values()) + 1
    # A file without headings may leave out the trailing optional columns.
    index = {key: position for key, position in index.items() if position < width}
    if any(key not in index for key in _required_fields(layout, index)) or width < 2:
        raise UnreadableFile(
            _(
                "Die Datei hat keine erkennbare Kopfzeile und nur %(found)d Spalten; ohne "
                "Kopfzeile erwartet das Profil %(needed)d Spalten in fester Reihenfolge."
            )
            % {"found": width, "needed": needed}
        )
    labels = {key: _("Spalte %(number)d") % {"number": i + 1} for key, i in index.items()}
    return _Columns(has_header, index, width, labels)


class _RowReader:
    """Turns one row's cells into a Record (errors and warnings included)."""

    def __init__(self, layout: Layout, columns: _Columns, today: date) -> None:
        self.layout = layout
        self.columns = columns
        self.today = today
        self.is_pupil = layout.role == ImportRole.PUPIL
        self.skipped_ids: set[str] = set()

    def cell(self, cells: list[str], key: str) -> str:
        index = self.columns.index.get(key)
        if index is None or index >= len(cells):
            return ""
        return cells[index]

    def text(self, record: Record, cells: list[str], key: str) -> str:
        value = _clean(self.cell(cells, key))
        label = profiles.FIELDS[key]
        repaired = repair_double_encoding(value)
        if repaired is not None:
            record.warnings.append(
                _(
                    "%(field)s „%(value)s“ war doppelt kodiert (UTF-8 als Windows-1252 gelesen) "
                    "und wird als „%(fixed)s“ übernommen."
                )
                % {"field": label, "value": value, "fixed": repaired}
            )
            value = repaired
        if control_characters(value):
            record.errors.append(
                _("%(field)s enthält Steuerzeichen; vermutlich ist die Kodierung falsch.")
                % {"field": label}
            )
        elif lost_letters(value):
            if key in NAME_FIELDS:
                record.lossy[key] = value
            else:
                record.warnings.append(
                    _(
                        "%(field)s „%(value)s“ enthält „?“ statt eines Buchstabens, der beim "
                        "Export verloren ging."
                    )
                    % {"field": label, "value": value}
                )
        limit = MAX_LENGTHS.get(key)
        if limit and len(value) > limit:
            record.errors.append(
                _("%(field)s ist länger als %(limit)d Zeichen.") % {"field": label, "limit": limit}
            )
        return value

    def a_date(self, record: Record, cells: list[str], key: str) -> date | None:
        raw = _clean(self.cell(cells, key))
        if not raw:
            return None
        parsed = parse_date(raw)
        if parsed is None:
            record.errors.append(
                _("%(field)s „%(value)s“ ist kein gültiges Datum (erwartet TT.MM.JJJJ).")
                % {"field": profiles.FIELDS[key], "value": raw}
            )
        return parsed

    def read(self, cells: list[str], line: int) -> Record | None:
        """The record of one row; None for rows skipped on purpose (waiting list)."""
        record = Record(line=line)
        if not self.columns.fits(cells):
            record.errors.append(
                _(
                    "Die Zeile hat %(found)d statt %(expected)d Spalten (fehlt ein Trennzeichen "
                    "oder ein Anführungszeichen?)."
                )
                % {"found": len(cells), "expected": self.columns.width}
            )
        status = _clean(self.cell(cells, STATUS)).lower()
        if status in self.layout.waiting_values:
            self.skipped_ids.add(_clean(self.cell(cells, RECORD_ID) or self.cell(cells, KUERZEL)))
            return None
        record.record_id = self.text(record, cells, RECORD_ID)
        record.last_name = self.text(record, cells, LAST_NAME)
        record.first_name = self.text(record, cells, FIRST_NAME)
        record.name_particle = self.text(record, cells, NAME_PARTICLE)
        record.birth_date = self.a_date(record, cells, BIRTH_DATE)
        record.kuerzel = self.text(record, cells, KUERZEL).upper()
        record.email = self.text(record, cells, EMAIL)
        if self.is_pupil:
            record.class_name = normalise_class(self.text(record, cells, CLASS_NAME))
            record.year = normalise_year(self.text(record, cells, YEAR))
        if self.layout.kuerzel_is_id and RECORD_ID not in self.columns.index:
            record.record_id = record.kuerzel
        self._status(record, status, cells)
        self._check(record)
        return record

    def _status(self, record: Record, status: str, cells: list[str]) -> None:
        if not status or status in self.layout.active_values:
            leaving = False
        elif status in self.layout.left_values:
            leaving = True
        elif not self.layout.active_values:
            leaving = False  # profiles: every other status counts as active
        else:
            record.errors.append(
                _("Unbekannter Status „%(value)s“ (erwartet: 2 aktiv, 8 Abschluss, 9 Abgang).")
                % {"value": status}
            )
            leaving = False
        record.leaving = leaving
        left_on = self.a_date(record, cells, LEFT_ON)
        if leaving:
            record.left_on = left_on
            if left_on is None and not record.errors:
                record.warnings.append(
                    _("Abgang ohne Entlassdatum: als Abgangsdatum gilt der Tag der Übernahme.")
                )

    def _check(self, record: Record) -> None:
        if not record.record_id:
            if self.layout.kuerzel_is_id and RECORD_ID not in self.columns.index:
                record.errors.append(_("Das Kürzel fehlt; es dient in dieser Datei als Kennung."))
            else:
                record.errors.append(_("Die Kennung (ID) fehlt."))
        if not record.last_name:
            record.errors.append(_("Der Nachname fehlt."))
        if not record.first_name:
            record.errors.append(_("Der Vorname fehlt."))
        if record.birth_date and record.birth_date > self.today:
            record.errors.append(_("Das Geburtsdatum liegt in der Zukunft."))
        if record.leaving:
            return
        if self.is_pupil:
            if BIRTH_DATE in self.columns.index and record.birth_date is None and not record.errors:
                record.warnings.append(
                    _("Das Geburtsdatum fehlt (es wird für die Einwilligung gebraucht).")
                )
            if CLASS_NAME in self.columns.index and not record.class_name:
                record.warnings.append(
                    _("Keine Klasse angegeben: die Klassenzugehörigkeit bleibt, wie sie ist.")
                )
        else:
            if KUERZEL in self.columns.index and not record.kuerzel:
                record.warnings.append(_("Das Kürzel fehlt."))
        if record.email:
            try:
                validate_email(record.email)
            except ValidationError:
                record.warnings.append(
                    _("Die E-Mail-Adresse „%(value)s“ ist ungültig.") % {"value": record.email}
                )


def _file_warnings(layout: Layout, columns: _Columns) -> list[str]:
    warnings: list[str] = []
    present = columns.index
    if layout.role == ImportRole.PUPIL:
        if CLASS_NAME not in present:
            warnings.append(
                _("Die Datei hat keine Spalte „Klasse“: Klassen und Jahrgänge bleiben unverändert.")
            )
        if BIRTH_DATE not in present:
            warnings.append(
                _(
                    "Die Datei hat keine Spalte „Geburtsdatum“; es wird für die Einwilligung "
                    "(Alter) gebraucht."
                )
            )
    if layout.kuerzel_is_id and RECORD_ID not in present:
        warnings.append(
            _("Die Datei hat keine ID-Spalte: das Kürzel dient als Kennung der Lehrkräfte.")
        )
    if STATUS not in present:
        warnings.append(_("Die Datei hat keine Spalte „Status“: alle Personen gelten als aktiv."))
    return warnings


def _mark_duplicates(records: list[Record]) -> None:
    lines: dict[str, list[int]] = {}
    for record in records:
        if record.record_id:
            lines.setdefault(record.record_id, []).append(record.line)
    for record in records:
        seen = lines.get(record.record_id, [])
        if len(seen) > 1:
            record.errors.append(
                _("Die Kennung %(id)s kommt mehrfach vor (Zeilen %(lines)s).")
                % {"id": record.record_id, "lines": ", ".join(str(n) for n in seen)}
            )


def read_export(
    data: bytes, layout: Layout, *, encoding: str = AUTO, today: date | None = None
) -> ReadResult:
    """Read a whole export. Raises :class:`UnreadableFile` if it cannot be read as a whole."""
    decoded = decode(data, encoding or layout.encoding or AUTO)
    text = decoded.text
    separator = _detect_separator(text, layout.separator)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, quotechar='"')
    rows: list[tuple[int, list[str]]] = []
    try:
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                break
            if any(cell.strip() for cell in cells):
                rows.append((start, cells))
    except csv.Error as error:
        raise UnreadableFile(
            _("Die Datei ist als CSV fehlerhaft (Zeile %(line)d): %(error)s")
            % {"line": reader.line_num, "error": error}
        ) from error
    if not rows:
        raise UnreadableFile(_("Die Datei enthält keine Zeilen."))
    # The usual number of cells per row (rows that differ are errors; empty extra cells from
    # a separator at the end of a line are tolerated by ``_Columns.fits``).
    width = Counter(len(cells) for _line, cells in rows).most_common(1)[0][0]
    columns = _columns(rows[0][1], layout, width)
    columns.trailing_empty = all(
        not cells[-1].strip() for _line, cells in rows[1:] if len(cells) == width
    )
    body = rows[1:] if columns.has_header else rows
    if not body:
        raise UnreadableFile(_("Die Datei enthält nur die Kopfzeile und keine Personen."))
    row_reader = _RowReader(layout, columns, today or timezone.localdate())
    records: list[Record] = []
    for line, cells in body:
        record = row_reader.read(cells, line)
        if record is not None:
            records.append(record)
    _mark_duplicates(records)
    return ReadResult(
        records=records,
        decoded=decoded,
        separator=separator,
        has_header=columns.has_header,
        mapping=columns.labels,
        file_warnings=_file_warnings(layout, columns),
        rows=len(body),
        skipped_ids=row_reader.skipped_ids,
    )

"""What an export's columns mean: the fields we read, the built-in SchILD-NRW layouts, and
saved import profiles for other software, all as one ``Layout``."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from schulhof.schoolimport.models import HeaderMode, ImportProfile, ImportRole

# Field keys, in the order a profile form shows them.
RECORD_ID = "record_id"
LAST_NAME = "last_name"
FIRST_NAME = "first_name"
NAME_PARTICLE = "name_particle"
BIRTH_DATE = "birth_date"
CLASS_NAME = "class_name"
YEAR = "year"
STATUS = "status"
LEFT_ON = "left_on"
KUERZEL = "kuerzel"
EMAIL = "email"

FIELDS: dict[str, str | Promise] = {
    RECORD_ID: _("Kennung (eindeutige ID)"),
    LAST_NAME: _("Nachname"),
    FIRST_NAME: _("Vorname(n)"),
    NAME_PARTICLE: _("Namenszusatz"),
    BIRTH_DATE: _("Geburtsdatum"),
    CLASS_NAME: _("Klasse"),
    YEAR: _("Jahrgang"),
    STATUS: _("Status"),
    LEFT_ON: _("Entlassdatum"),
    KUERZEL: _("Kürzel"),
    EMAIL: _("E-Mail (dienstlich)"),
}

#: Fields a row cannot do without (the record id may come from the Kürzel for teachers).
REQUIRED = (RECORD_ID, LAST_NAME, FIRST_NAME)

#: SchILD-NRW status numbers: 2 active, 8 graduated, 9 left; 0 new admission (counts as
#: active: next year's pupils are exported with it), 3 on leave, 6 external.
SCHILD_ACTIVE = frozenset({"0", "2", "3", "6", "aktiv", "neuaufnahme", "beurlaubt", "extern"})
SCHILD_LEFT = frozenset({"8", "9", "abschluss", "abgang", "abgänger", "entlassen"})
#: 1 = waiting list: not a pupil (yet); such rows are skipped.
SCHILD_WAITING = frozenset({"1", "warteliste"})


def normalise_heading(text: str) -> str:
    """A heading as we compare it: lower case, umlauts kept, spaces and dots unified."""
    text = unicodedata.normalize("NFC", text).strip().strip('"').strip().lower()
    return re.sub(r"\s+", " ", text)


@dataclass(frozen=True)
class Layout:
    """How to read one kind of export.

    ``headings`` lists, per field, the column headings that mean it (files with a heading
    row); ``positions`` the 0-based column of each field in files without one.
    """

    key: str
    label: str | Promise
    source: str
    role: str
    headings: dict[str, tuple[str, ...]]
    positions: dict[str, int] = field(default_factory=dict)
    separator: str = ""
    encoding: str = ""
    header: str = HeaderMode.AUTO
    active_values: frozenset[str] = SCHILD_ACTIVE
    left_values: frozenset[str] = SCHILD_LEFT
    waiting_values: frozenset[str] = SCHILD_WAITING
    # A teacher export may have no id column: then the Kürzel identifies the person.
    kuerzel_is_id: bool = False

    def heading_for(self, heading: str) -> str | None:
        """The field a column heading stands for, or None."""
        wanted = normalise_heading(heading)
        for key, names in self.headings.items():
            if wanted in names:
                return key
        return None


_SCHILD_HEADINGS: dict[str, tuple[str, ...]] = {
    RECORD_ID: (
        "interne id-nummer",
        "interne id",
        "id-nummer",
        "id",
        "schüler-id",
        "lehrer-id",
        "eindeutige nummer (guid)",
        "guid",
    ),
    LAST_NAME: ("nachname", "name", "familienname"),
    FIRST_NAME: ("vorname", "vornamen"),
    NAME_PARTICLE: ("namenszusatz", "zusatz"),
    BIRTH_DATE: ("geburtsdatum", "geb.-datum", "geb.datum", "geburtstag"),
    CLASS_NAME: ("klasse",),
    YEAR: ("jahrgang", "jahrgangsstufe", "stufe"),
    STATUS: ("status",),
    LEFT_ON: ("entlassdatum", "entlassungsdatum", "abgangsdatum"),
    KUERZEL: ("kürzel", "kuerzel", "lehrerkürzel", "lehrerkuerzel"),
    EMAIL: ("e-mail (dienstlich)", "e-mail dienstlich", "dienstliche e-mail", "e-mail", "email"),
}

SCHILD_PUPILS = Layout(
    key="builtin:schild-schueler",
    label=_("SchILD-NRW: Schüler/innen"),
    source="schild-schueler",
    role=ImportRole.PUPIL.value,
    headings=_SCHILD_HEADINGS,
    # The column order of our documented SchILD export (docs/admin/import.md) for files
    # exported without a heading row.
    positions={
        RECORD_ID: 0,
        LAST_NAME: 1,
        FIRST_NAME: 2,
        NAME_PARTICLE: 3,
        BIRTH_DATE: 4,
        CLASS_NAME: 5,
        YEAR: 6,
        STATUS: 7,
        LEFT_ON: 8,
    },
)

SCHILD_TEACHERS = Layout(
    key="builtin:schild-lehrer",
    label=_("SchILD-NRW: Lehrkräfte"),
    source="schild-lehrer",
    role=ImportRole.TEACHER.value,
    headings=_SCHILD_HEADINGS,
    positions={KUERZEL: 0, LAST_NAME: 1, FIRST_NAME: 2, NAME_PARTICLE: 3, EMAIL: 4},
    kuerzel_is_id=True,
)

BUILTIN: dict[str, Layout] = {layout.key: layout for layout in (SCHILD_PUPILS, SCHILD_TEACHERS)}
#: Short names for the command line.
BUILTIN_NAMES = {"schild-schueler": SCHILD_PUPILS, "schild-lehrer": SCHILD_TEACHERS}


def _split_values(text: str) -> frozenset[str]:
    return frozenset(part.strip().lower() for part in text.split(",") if part.strip())


def layout_from_profile(profile: ImportProfile) -> Layout:
    """A saved profile as a layout: each mapped column by heading or, if a number, position."""
    headings: dict[str, tuple[str, ...]] = {}
    positions: dict[str, int] = {}
    for key, value in (profile.columns or {}).items():
        text = str(value).strip()
        if key not in FIELDS or not text:
            continue
        if text.isdigit():
            positions[key] = int(text) - 1
        else:
            headings[key] = (normalise_heading(text),)
    left = _split_values(profile.left_values)
    return Layout(
        key="profile:%d" % profile.pk,
        label=profile.name,
        source=profile.source,
        role=str(profile.role),
        headings=headings,
        positions=positions,
        separator=profile.separator,
        encoding=profile.encoding,
        header=profile.header,
        # Any other non-empty status counts as active; empty always does.
        active_values=frozenset(),
        left_values=left,
        waiting_values=frozenset(),
        kuerzel_is_id=profile.role == ImportRole.TEACHER
        and RECORD_ID not in (profile.columns or {}),
    )


def layout_for_key(key: str) -> Layout | None:
    """The layout behind a form choice: ``builtin:<name>`` or ``profile:<pk>``."""
    if key in BUILTIN:
        return BUILTIN[key]
    if key.startswith("profile:") and key[8:].isdigit():
        profile = ImportProfile.objects.filter(pk=int(key[8:])).first()
        return layout_from_profile(profile) if profile else None
    return None


def layout_by_name(name: str) -> Layout | None:
    """The layout for ``--profile NAME`` on the command line: a built-in or a saved profile."""
    if name in BUILTIN_NAMES:
        return BUILTIN_NAMES[name]
    if name in BUILTIN:
        return BUILTIN[name]
    profile = ImportProfile.objects.filter(name=name).first()
    return layout_from_profile(profile) if profile else None


def layout_choices() -> list[tuple[str, str | Promise]]:
    """Choices for the upload form: the built-ins, then the saved profiles."""
    choices: list[tuple[str, str | Promise]] = [
        (layout.key, layout.label) for layout in BUILTIN.values()
    ]
    choices += [("profile:%d" % p.pk, p.name) for p in ImportProfile.objects.order_by("name")]
    return choices

"""The diff: what an import would change, per person, before anything is written.

People are matched by (source, record id), never by name. Each person gets exactly one
change type (the strongest that applies):

``invalid``  the row has errors; the person is left untouched
``new``      not known yet: an account is created, with the username shown
``returned`` a leaver (left, or leaving date ahead) is in the file as active again
``left``     status 8/9 in the file, or missing from a full import
``updated``  names, birth date or Kürzel changed (a new username may be offered)
``class_changed``  only class, year or role group memberships change
``unchanged``

The diff is a pure function of the file's records and a ``Snapshot`` of the database, so the
same file against the same data always gives the same diff and the same ``fingerprint``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.utils.translation import gettext as _

from schulhof.accounts.models import (
    Group,
    GroupKind,
    IssuedUsername,
    Membership,
    Role,
    Status,
    User,
)
from schulhof.accounts.usernames import MAX_RECOMMENDED_LENGTH, first_free_username, username_base
from schulhof.schoolimport.encodings import matches_lossy
from schulhof.schoolimport.groups import (
    ROLE_GROUPS,
    GroupSpec,
    class_spec,
    year_of_class,
    year_spec,
)
from schulhof.schoolimport.models import ImportRole, UsernameAlias
from schulhof.schoolimport.readers import NAME_FIELDS, ReadResult, Record

NEW = "new"
UPDATED = "updated"
CLASS_CHANGED = "class_changed"
LEFT = "left"
RETURNED = "returned"
UNCHANGED = "unchanged"
INVALID = "invalid"
CHANGES = (NEW, UPDATED, CLASS_CHANGED, LEFT, RETURNED, UNCHANGED, INVALID)

#: A full import that would mark more than this share of a source's people as leavers
#: (and at least ``MASS_LEAVERS_MIN``) gets a prominent warning: wrong file or source?
MASS_LEAVERS_SHARE = 0.5
MASS_LEAVERS_MIN = 10

_FIELD_LABELS = {
    "first_name": "Vorname",
    "last_name": "Nachname",
    "name_particle": "Namenszusatz",
    "birth_date": "Geburtsdatum",
    "kuerzel": "Kürzel",
}


@dataclass
class Existing:
    """A person of this source as the database has them now."""

    user_id: int
    username: str
    role: str
    status: str
    first_name: str
    last_name: str
    name_particle: str
    birth_date: date | None
    kuerzel: str
    left_on: date | None
    deletion_due: date | None
    classes: dict[str, str] = field(default_factory=dict)  # slug → name
    years: set[str] = field(default_factory=set)
    roles: set[str] = field(default_factory=set)

    @property
    def is_leaver(self) -> bool:
        return self.status == Status.LEFT or self.deletion_due is not None


@dataclass
class Snapshot:
    """What the diff needs to know about the database, loaded in a few queries."""

    people: dict[str, Existing]
    taken: set[str]
    groups: dict[str, tuple[str, str]]  # slug → (name, kind)
    # Accounts without an import identity, by folded (first, last) name → username.
    unlinked: dict[tuple[str, str], str]


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


def load_snapshot(source: str, role: str) -> Snapshot:
    users = list(
        User.objects.filter(external_source=source)
        .exclude(external_id="")
        .exclude(role=Role.SYSTEM)
    )
    people = {
        user.external_id: Existing(
            user_id=user.pk,
            username=user.username,
            role=user.role,
            status=user.status,
            first_name=user.first_name,
            last_name=user.last_name,
            name_particle=user.name_particle,
            birth_date=user.birth_date,
            kuerzel=user.kuerzel,
            left_on=user.left_on,
            deletion_due=user.deletion_due,
        )
        for user in users
    }
    by_pk = {person.user_id: person for person in people.values()}
    memberships = Membership.objects.filter(
        user__in=[user.pk for user in users],
        group__kind__in=[GroupKind.CLASS, GroupKind.YEAR, GroupKind.ROLE],
    ).values_list("user_id", "group__slug", "group__name", "group__kind")
    for user_id, slug, name, kind in memberships:
        person = by_pk[user_id]
        if kind == GroupKind.CLASS:
            person.classes[slug] = name
        elif kind == GroupKind.YEAR:
            person.years.add(slug)
        else:
            person.roles.add(slug)
    taken = set(User.objects.values_list("username", flat=True))
    taken |= set(IssuedUsername.objects.values_list("username", flat=True))
    taken |= set(UsernameAlias.objects.values_list("username", flat=True))
    groups = {
        slug: (name, kind) for slug, name, kind in Group.objects.values_list("slug", "name", "kind")
    }
    unlinked = {
        (_fold(first), _fold(last)): username
        for first, last, username in User.objects.filter(external_id="", role=role)
        .exclude(status=Status.DELETED)
        .values_list("first_name", "last_name", "username")
    }
    return Snapshot(people=people, taken=taken, groups=groups, unlinked=unlinked)


@dataclass
class PersonChange:
    """One person's change. ``updates`` holds typed new values for ``do_update_user``."""

    change: str
    record_id: str
    role: str
    line: int | None = None
    user_id: int | None = None
    username: str = ""
    new_username: str = ""
    first_name: str = ""
    last_name: str = ""
    name_particle: str = ""
    birth_date: date | None = None
    class_name: str = ""
    class_from: list[str] = field(default_factory=list)
    year: str = ""
    kuerzel: str = ""
    left_on: date | None = None
    # Missing from a full import (no row in the file).
    absent: bool = False
    updates: dict[str, Any] = field(default_factory=dict)
    # Field → (old, new), for display.
    field_changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    groups_add: list[str] = field(default_factory=list)
    groups_remove: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def display_name(self) -> str:
        family = " ".join(part for part in (self.name_particle, self.last_name) if part)
        return ("%s, %s" % (family, self.first_name)).strip(", ")

    def fingerprint_data(self) -> list[Any]:
        """Everything the apply would do for this person (no messages: they depend on the
        language)."""
        return [
            self.change,
            self.record_id,
            self.user_id,
            self.username,
            self.new_username,
            self.first_name,
            self.last_name,
            self.name_particle,
            self.birth_date.isoformat() if self.birth_date else None,
            self.kuerzel,
            self.left_on.isoformat() if self.left_on else None,
            self.absent,
            sorted((key, str(value)) for key, value in self.updates.items()),
            self.groups_add,
            self.groups_remove,
        ]

    def as_json(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "record_id": self.record_id,
            "change": self.change,
            "user_id": self.user_id,
            "username": self.username,
            "new_username": self.new_username,
            "name": self.display_name,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "name_particle": self.name_particle,
            "birth_date": self.birth_date.isoformat() if self.birth_date else None,
            "class": self.class_name,
            "class_from": self.class_from,
            "year": self.year,
            "role": self.role,
            "kuerzel": self.kuerzel,
            "left_on": self.left_on.isoformat() if self.left_on else None,
            "absent": self.absent,
            "fields": {
                key: [_json_value(old), _json_value(new)]
                for key, (old, new) in self.field_changes.items()
            },
            "groups_add": self.groups_add,
            "groups_remove": self.groups_remove,
            "errors": self.errors,
            "warnings": self.warnings,
        }


def _json_value(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    return value


@dataclass
class Diff:
    people: list[PersonChange]
    groups_to_create: list[GroupSpec]
    warnings: list[str]
    skipped: int = 0

    @property
    def counts(self) -> dict[str, int]:
        counter = Counter(person.change for person in self.people)
        return {change: counter.get(change, 0) for change in CHANGES}

    @property
    def invalid(self) -> list[PersonChange]:
        return [person for person in self.people if person.change == INVALID]

    @property
    def has_changes(self) -> bool:
        return bool(self.groups_to_create) or any(
            person.change not in (UNCHANGED, INVALID) for person in self.people
        )

    @property
    def fingerprint(self) -> str:
        data = {
            "people": [person.fingerprint_data() for person in self.people],
            "groups": [spec.as_json() for spec in self.groups_to_create],
        }
        encoded = json.dumps(data, sort_keys=True, ensure_ascii=False).encode("utf-8")
        return hashlib.sha256(encoded).hexdigest()


class _Planner:
    """Computes the diff; remembers usernames planned in this file (collisions inside it)."""

    def __init__(self, snapshot: Snapshot, role: str) -> None:
        self.snapshot = snapshot
        self.role = role
        self.planned: set[str] = set()
        self.needed: dict[str, GroupSpec] = {}
        self.role_group = ROLE_GROUPS[role]

    def taken(self, candidate: str) -> bool:
        return candidate in self.snapshot.taken or candidate in self.planned

    def plan_username(self, base: str) -> str:
        name = first_free_username(base, self.taken)
        self.planned.add(name)
        return name

    def target_groups(self, record: Record, person: PersonChange) -> tuple[str, str] | None:
        """(class slug, year slug) from the record, registering the groups it needs; None if
        the file gives no class (memberships then stay as they are)."""
        self.needed.setdefault(self.role_group.slug, self.role_group)
        if self.role != ImportRole.PUPIL or not record.class_name:
            return None
        year = record.year or year_of_class(record.class_name)
        person.year = year
        spec = class_spec(record.class_name, year)
        if not spec.slug:
            person.errors.append(
                _("Aus dem Klassennamen „%(name)s“ lässt sich keine Gruppe bilden.")
                % {"name": record.class_name}
            )
            return None
        year_slug = ""
        if year:
            year_group = year_spec(year)
            self.needed.setdefault(year_group.slug, year_group)
            year_slug = year_group.slug
        else:
            person.warnings.append(
                _("Der Jahrgang der Klasse „%(name)s“ ist nicht erkennbar.")
                % {"name": record.class_name}
            )
        self.needed.setdefault(spec.slug, spec)
        return spec.slug, year_slug

    def person(self, record: Record) -> PersonChange | None:
        existing = self.snapshot.people.get(record.record_id) if record.record_id else None
        person = PersonChange(
            change=UNCHANGED,
            record_id=record.record_id,
            role=self.role,
            line=record.line,
            first_name=record.first_name,
            last_name=record.last_name,
            name_particle=record.name_particle,
            birth_date=record.birth_date,
            class_name=record.class_name,
            year=record.year,
            kuerzel=record.kuerzel,
            errors=list(record.errors),
            warnings=list(record.warnings),
        )
        if existing is not None:
            person.user_id = existing.user_id
            person.username = existing.username
            if existing.role != self.role:
                person.errors.append(
                    _(
                        "Die Kennung %(id)s gehört zu %(username)s mit einer anderen Rolle. "
                        "Ist die richtige Quelle gewählt?"
                    )
                    % {"id": record.record_id, "username": existing.username}
                )
            if existing.status == Status.DELETED:
                person.errors.append(
                    _("Das Konto %(username)s wird gerade gelöscht.")
                    % {"username": existing.username}
                )
        self._lossy_names(record, person, existing)
        if person.errors:
            person.change = INVALID
            return person
        if existing is None:
            return self._new(record, person)
        return self._known(record, person, existing)

    def _lossy_names(self, record: Record, person: PersonChange, existing: Existing | None) -> None:
        for key, value in record.lossy.items():
            current = getattr(existing, key) if existing is not None else ""
            label = _FIELD_LABELS[key]
            if current and matches_lossy(value, current):
                setattr(person, key, current)
                person.warnings.append(
                    _(
                        "%(field)s „%(value)s“: Buchstaben gingen beim Export verloren; der "
                        "gespeicherte Name „%(current)s“ bleibt."
                    )
                    % {"field": label, "value": value, "current": current}
                )
            else:
                person.errors.append(
                    _(
                        "%(field)s „%(value)s“ enthält „?“ statt eines Buchstabens, der beim "
                        "Export verloren ging. Der Name ist so nicht verwendbar: bitte als UTF-8 "
                        "exportieren."
                    )
                    % {"field": label, "value": value}
                )

    def _new(self, record: Record, person: PersonChange) -> PersonChange | None:
        if record.leaving:
            return None  # a leaver we never knew: nothing to do
        try:
            base = username_base(person.first_name, person.last_name, person.name_particle)
            person.username = self.plan_username(base)
        except ValueError as error:
            person.errors.append(str(error))
            person.change = INVALID
            return person
        person.change = NEW
        self._username_warnings(person, person.username)
        twin = self.snapshot.unlinked.get((_fold(person.first_name), _fold(person.last_name)))
        if twin:
            person.warnings.append(
                _(
                    "Es gibt schon ein Konto %(username)s mit diesem Namen, aber ohne "
                    "Import-Kennung; es wird ein zweites Konto angelegt."
                )
                % {"username": twin}
            )
        targets = self.target_groups(record, person)
        person.groups_add = [self.role_group.slug]
        if targets:
            person.groups_add += [slug for slug in targets if slug]
        return person

    def _username_warnings(self, person: PersonChange, username: str) -> None:
        if len(username) > MAX_RECOMMENDED_LENGTH:
            person.warnings.append(
                _(
                    "Der Benutzername %(username)s ist länger als %(limit)d Zeichen; manche "
                    "Programme kürzen ihn."
                )
                % {"username": username, "limit": MAX_RECOMMENDED_LENGTH}
            )

    def _known(self, record: Record, person: PersonChange, existing: Existing) -> PersonChange:
        if record.leaving:
            same_date = record.left_on is None or record.left_on == existing.left_on
            person.change = UNCHANGED if existing.is_leaver and same_date else LEFT
            person.left_on = record.left_on or (existing.left_on if existing.is_leaver else None)
            person.class_name = ", ".join(existing.classes.values())
            return person
        self._field_changes(record, person, existing)
        self._group_changes(record, person, existing)
        if existing.is_leaver:
            person.change = RETURNED
        elif person.updates or person.new_username:
            person.change = UPDATED
        elif person.groups_add or person.groups_remove:
            person.change = CLASS_CHANGED
        else:
            person.change = UNCHANGED
        return person

    def _field_changes(self, record: Record, person: PersonChange, existing: Existing) -> None:
        wanted: dict[str, Any] = {
            "first_name": person.first_name,
            "last_name": person.last_name,
            "name_particle": person.name_particle,
        }
        if record.birth_date is not None:
            wanted["birth_date"] = record.birth_date
        if self.role == ImportRole.TEACHER and record.kuerzel:
            wanted["kuerzel"] = record.kuerzel
        for key, value in wanted.items():
            old = getattr(existing, key)
            if old != value:
                person.updates[key] = value
                person.field_changes[key] = (old, value)
        if not any(key in person.updates for key in NAME_FIELDS):
            return
        try:
            base = username_base(person.first_name, person.last_name, person.name_particle)
        except ValueError:
            return
        if re.fullmatch(re.escape(base) + r"\d*", existing.username):
            return
        person.new_username = self.plan_username(base)
        self._username_warnings(person, person.new_username)

    def _group_changes(self, record: Record, person: PersonChange, existing: Existing) -> None:
        targets = self.target_groups(record, person)
        add: list[str] = []
        remove: list[str] = []
        if self.role_group.slug not in existing.roles:
            add.append(self.role_group.slug)
        if targets is None:
            if self.role == ImportRole.PUPIL:
                person.class_name = ", ".join(existing.classes.values())
        else:
            wanted_class, wanted_year = targets
            if wanted_class not in existing.classes:
                add.append(wanted_class)
            remove += sorted(slug for slug in existing.classes if slug != wanted_class)
            if wanted_year:
                if wanted_year not in existing.years:
                    add.append(wanted_year)
                remove += sorted(slug for slug in existing.years if slug != wanted_year)
            if set(existing.classes) != {wanted_class}:
                person.class_from = sorted(existing.classes.values())
        person.groups_add = add
        person.groups_remove = remove

    def absent(self, existing: Existing, record_id: str) -> PersonChange:
        return PersonChange(
            change=LEFT,
            record_id=record_id,
            role=existing.role,
            user_id=existing.user_id,
            username=existing.username,
            first_name=existing.first_name,
            last_name=existing.last_name,
            name_particle=existing.name_particle,
            birth_date=existing.birth_date,
            class_name=", ".join(existing.classes.values()),
            kuerzel=existing.kuerzel,
            absent=True,
        )

    def groups_to_create(self, people: list[PersonChange], warnings: list[str]) -> list[GroupSpec]:
        used = {
            slug
            for person in people
            if person.change not in (INVALID, LEFT, UNCHANGED)
            for slug in person.groups_add
        }
        specs: list[GroupSpec] = []
        order: dict[str, int] = {GroupKind.ROLE: 0, GroupKind.YEAR: 1, GroupKind.CLASS: 2}
        for slug in sorted(used, key=lambda s: (order.get(self.needed[s].kind, 3), s)):
            spec = self.needed[slug]
            found = self.snapshot.groups.get(slug)
            if found is None:
                specs.append(spec)
            elif found[1] != spec.kind:
                warnings.append(
                    _(
                        "Die Gruppe „%(name)s“ (%(slug)s) gibt es schon, aber nicht als "
                        "%(kind)s; sie wird trotzdem verwendet."
                    )
                    % {"name": found[0], "slug": slug, "kind": GroupKind(spec.kind).label}
                )
        return specs


def compute_diff(read: ReadResult, snapshot: Snapshot, *, role: str, full: bool) -> Diff:
    planner = _Planner(snapshot, role)
    people: list[PersonChange] = []
    skipped = read.skipped
    for record in read.records:
        person = planner.person(record)
        if person is None:
            skipped += 1
        else:
            people.append(person)
    warnings = list(read.file_warnings)
    if full:
        present = {record.record_id for record in read.records if record.record_id}
        present |= read.skipped_ids
        candidates = [
            (record_id, existing)
            for record_id, existing in sorted(snapshot.people.items())
            if existing.role == role and existing.status != Status.DELETED
        ]
        absent = [
            planner.absent(existing, record_id)
            for record_id, existing in candidates
            if record_id not in present and not existing.is_leaver
        ]
        people += absent
        active = sum(1 for _id, existing in candidates if not existing.is_leaver)
        if len(absent) >= MASS_LEAVERS_MIN and len(absent) > MASS_LEAVERS_SHARE * active:
            warnings.append(
                _(
                    "Achtung: %(count)d von %(total)d bisherigen Personen dieser Quelle fehlen in "
                    "der Datei und würden als abgegangen markiert. Prüfen Sie, ob Datei, "
                    "Importprofil und Quelle stimmen, oder wählen Sie „Vollständiger Import“ ab."
                )
                % {"count": len(absent), "total": active}
            )
    groups = planner.groups_to_create(people, warnings)
    return Diff(people=people, groups_to_create=groups, warnings=warnings, skipped=skipped)

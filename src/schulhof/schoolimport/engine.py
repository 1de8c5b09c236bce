"""The import engine: read and diff a file (the preview), and carry a diff out (the apply).

``make_preview`` writes nothing. ``apply_diff`` performs the changes through the accounts
actions and must run inside the caller's transaction (``actions.do_apply_import_run``), so a
failure half-way leaves nothing behind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.utils import timezone

from schulhof.accounts.actions import (
    UserSpec,
    do_add_member,
    do_create_group,
    do_create_users,
    do_remove_member,
    do_update_user,
)
from schulhof.accounts.lifecycle_actions import do_mark_left, do_reactivate
from schulhof.accounts.models import Group, User
from schulhof.schoolimport.diff import (
    CHANGES,
    INVALID,
    LEFT,
    NEW,
    RETURNED,
    UNCHANGED,
    Diff,
    compute_diff,
    load_snapshot,
)
from schulhof.schoolimport.encodings import AUTO
from schulhof.schoolimport.profiles import Layout
from schulhof.schoolimport.readers import SEPARATOR_LABELS, ReadResult, read_export


@dataclass(frozen=True)
class ImportOptions:
    layout: Layout
    source: str
    encoding: str = AUTO
    full: bool = True

    @property
    def role(self) -> str:
        return self.layout.role


@dataclass
class Preview:
    """A file read and compared with the database; nothing written."""

    read: ReadResult
    diff: Diff
    options: ImportOptions

    @property
    def fingerprint(self) -> str:
        return self.diff.fingerprint

    @property
    def counts(self) -> dict[str, int]:
        return self.diff.counts

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [
            {"line": person.line, "record_id": person.record_id, "message": message}
            for person in self.diff.people
            for message in person.errors
        ]

    @property
    def warnings(self) -> list[dict[str, Any]]:
        file_level: list[dict[str, Any]] = [
            {"line": None, "record_id": "", "message": message} for message in self.diff.warnings
        ]
        return file_level + [
            {"line": person.line, "record_id": person.record_id, "message": message}
            for person in self.diff.people
            for message in person.warnings
        ]

    def as_json(self) -> dict[str, Any]:
        """The preview as stored with the run and printed by ``import_users --json``."""
        read = self.read
        return {
            "counts": self.counts,
            "people": [person.as_json() for person in self.diff.people],
            "errors": self.errors,
            "warnings": self.warnings,
            "groups_to_create": [spec.as_json() for spec in self.diff.groups_to_create],
            "file": {
                "encoding": read.decoded.encoding,
                "encoding_label": read.encoding_label,
                "encoding_detected": read.decoded.detected,
                "separator": read.separator,
                "separator_label": SEPARATOR_LABELS.get(read.separator, read.separator),
                "header": read.has_header,
                "columns": read.mapping,
                "rows": read.rows,
                "skipped": self.diff.skipped,
            },
            "source": self.options.source,
            "role": self.options.role,
            "full_import": self.options.full,
            "has_changes": self.diff.has_changes,
            "fingerprint": self.fingerprint,
        }


def make_preview(data: bytes, options: ImportOptions, *, today: date | None = None) -> Preview:
    """Read the whole file and diff it against the database. Raises ``UnreadableFile``."""
    read = read_export(data, options.layout, encoding=options.encoding, today=today)
    return compare_with_database(read, options)


def compare_with_database(read: ReadResult, options: ImportOptions) -> Preview:
    """Diff a file that has been read already (``read_export`` is a pure function of the
    bytes) against the database as it is now."""
    snapshot = load_snapshot(options.source, options.role)
    diff = compute_diff(read, snapshot, role=options.role, full=options.full)
    return Preview(read=read, diff=diff, options=options)


@dataclass
class ApplyResult:
    counts: dict[str, int]
    created: list[int] = field(default_factory=list)
    # User id → clear first password, for the credential letters. Never stored.
    first_passwords: dict[int, str] = field(default_factory=dict)
    renamed: list[tuple[str, str]] = field(default_factory=list)
    skipped_lines: list[int] = field(default_factory=list)
    groups_created: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """What the run keeps (no passwords)."""
        return {
            "counts": self.counts,
            "created": self.created,
            "renamed": [list(pair) for pair in self.renamed],
            "skipped_lines": self.skipped_lines,
            "groups_created": self.groups_created,
        }


def _ensure_groups(diff: Diff, acting_user: User, source: str) -> list[str]:
    created: list[str] = []
    for spec in diff.groups_to_create:
        parent = Group.objects.filter(slug=spec.parent_slug).first() if spec.parent_slug else None
        do_create_group(
            name=spec.name,
            slug=spec.slug,
            kind=spec.kind,
            parent=parent,
            has_folder=spec.has_folder,
            has_mail=spec.has_mail,
            acting_user=acting_user,
            external_source=source,
            external_id="%s:%s" % (spec.kind, spec.slug),
        )
        created.append(spec.slug)
    return created


def apply_diff(
    diff: Diff,
    *,
    acting_user: User,
    source: str,
    rename_usernames: bool = True,
    first_passwords: dict[str, tuple[str, str]] | None = None,
    today: date | None = None,
) -> ApplyResult:
    """Carry out ``diff`` (inside the caller's transaction). Invalid people are skipped; the
    caller has decided whether that is allowed. ``first_passwords`` maps record ids of new
    people to prepared ``(clear, hash)`` pairs."""
    from schulhof.schoolimport.actions import do_rename_user

    today = today or timezone.localdate()
    first_passwords = first_passwords or {}
    result = ApplyResult(counts=dict.fromkeys(CHANGES, 0))
    result.groups_created = _ensure_groups(diff, acting_user, source)
    slugs = {slug for person in diff.people for slug in person.groups_add + person.groups_remove}
    groups = {group.slug: group for group in Group.objects.filter(slug__in=slugs)}
    users = User.objects.in_bulk(
        [person.user_id for person in diff.people if person.user_id is not None]
    )
    # New people are created together (a few bulk INSERTs, see do_create_users), before the
    # changes of known people; the diff has already kept their usernames apart.
    new_people = [person for person in diff.people if person.change == NEW]
    created_users = do_create_users(
        [
            UserSpec(
                first_name=person.first_name,
                last_name=person.last_name,
                name_particle=person.name_particle,
                birth_date=person.birth_date,
                role=person.role,
                kuerzel=person.kuerzel,
                username=person.username,
                groups=tuple(groups[slug] for slug in person.groups_add),
                external_source=source,
                external_id=person.record_id,
                hashed_first_password=first_passwords.get(person.record_id),
            )
            for person in new_people
        ],
        acting_user=acting_user,
    )
    for created in created_users:
        result.created.append(created.user.pk)
        if created.first_password:
            result.first_passwords[created.user.pk] = created.first_password
    for person in diff.people:
        result.counts[person.change] += 1
        if person.change == INVALID:
            if person.line is not None:
                result.skipped_lines.append(person.line)
            continue
        if person.change in (UNCHANGED, NEW):
            continue
        assert person.user_id is not None  # noqa: S101 - known people carry their id
        user = users[person.user_id]
        if person.change == LEFT:
            do_mark_left(user, left_on=person.left_on or today, acting_user=acting_user)
            continue
        if person.change == RETURNED:
            do_reactivate(user, acting_user=acting_user)
        if person.updates:
            do_update_user(user, person.updates, acting_user=acting_user)
        if person.new_username and rename_usernames:
            old = user.username
            do_rename_user(user, person.new_username, acting_user=acting_user)
            result.renamed.append((old, person.new_username))
        for slug in person.groups_remove:
            do_remove_member(groups[slug], user, acting_user=acting_user)
        for slug in person.groups_add:
            do_add_member(groups[slug], user, acting_user=acting_user)
    return result

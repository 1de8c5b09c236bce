"""Import actions: the only write path of the import (runs, profiles, renames).

``do_create_import_run`` stores an uploaded file with its preview; ``do_apply_import_run``
carries it out in one transaction, but only if a fresh diff equals the previewed one.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from schulhof.accounts.actions import username_taken
from schulhof.accounts.models import IssuedUsername, User
from schulhof.core.actions import log_event
from schulhof.core.audit import AuditEvent
from schulhof.schoolimport import hashing
from schulhof.schoolimport.diff import NEW
from schulhof.schoolimport.engine import (
    ApplyResult,
    ImportOptions,
    apply_diff,
    compare_with_database,
    make_preview,
)
from schulhof.schoolimport.models import ImportProfile, ImportRun, RunStatus, UsernameAlias
from schulhof.schoolimport.profiles import Layout, layout_for_key
from schulhof.schoolimport.readers import read_export

logger = logging.getLogger(__name__)

#: Uploaded files and previews hold personal data: runs older than this are deleted.
RUN_RETENTION = timedelta(days=30)


class ImportRefused(Exception):
    """The apply was refused and nothing was written; ``str()`` is the German reason."""


class ImportBlocked(ImportRefused):
    pass


class ImportChanged(ImportRefused):
    pass


class ImportNotOpen(ImportRefused):
    pass


def do_create_import_run(
    data: bytes,
    *,
    filename: str,
    options: ImportOptions,
    acting_user: User,
) -> ImportRun:
    """Read and diff the file and store it with its preview. Raises ``UnreadableFile`` (and
    stores nothing) if the file cannot be read as a whole."""
    preview = make_preview(data, options)
    stored = preview.as_json()
    with transaction.atomic():
        run = ImportRun.objects.create(
            created_by=acting_user,
            filename=filename[:255],
            data=data,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            layout_key=options.layout.key,
            layout_label=str(options.layout.label)[:150],
            source=options.source,
            role=options.role,
            encoding=options.encoding,
            full_import=options.full,
            preview=stored,
            fingerprint=preview.fingerprint,
        )
        log_event(
            AuditEvent.IMPORT_PREVIEW,
            acting_user=acting_user,
            details={
                "run": run.pk,
                "filename": run.filename,
                "sha256": run.sha256,
                "source": run.source,
                "role": run.role,
                "full_import": run.full_import,
                "counts": preview.counts,
            },
        )
    return run


def run_options(run: ImportRun, layout: Layout | None = None) -> ImportOptions:
    """The options a run was previewed with. Raises ``ImportRefused`` if its profile is gone."""
    layout = layout or layout_for_key(run.layout_key)
    if layout is None:
        raise ImportRefused(
            _("Das Importprofil dieser Vorschau gibt es nicht mehr. Bitte neu hochladen.")
        )
    return ImportOptions(
        layout=layout, source=run.source, encoding=run.encoding, full=run.full_import
    )


def do_apply_import_run(
    run: ImportRun,
    *,
    acting_user: User,
    skip_invalid: bool = False,
    rename_usernames: bool = True,
    layout: Layout | None = None,
    workers: int | None = None,
) -> ApplyResult:
    """Carry out a previewed run in one transaction.

    Refused (``ImportRefused``, nothing written) if the run is not open any more, if rows have
    errors and ``skip_invalid`` is off, or if the database changed since the preview so that
    the same file would now give another diff.
    """
    if run.status != RunStatus.PREVIEWED:
        raise ImportNotOpen(_("Dieser Import wurde bereits übernommen oder verworfen."))
    options = run_options(run, layout)
    invalid = run.counts.get("invalid", 0)
    if invalid and not skip_invalid:
        raise ImportBlocked(
            _(
                "%(count)d Zeilen haben Fehler. Korrigieren Sie die Datei oder wählen Sie "
                "„Fehlerhafte Zeilen überspringen“; dann bleiben diese Personen unverändert."
            )
            % {"count": invalid}
        )
    data = bytes(run.data)
    # Hashing is slow by design: done before the transaction (the database is not locked
    # meanwhile), for the previewed new people. While the pool hashes, this process reads
    # the file again, so that the transaction only compares with the database and writes.
    new_ids = [
        person["record_id"] for person in run.preview.get("people", []) if person["change"] == NEW
    ]
    with hashing.start_first_passwords(len(new_ids), workers=workers) as pending:
        read = read_export(data, options.layout, encoding=options.encoding)
        prepared = dict(zip(new_ids, pending.result(), strict=True))
    with transaction.atomic():
        claimed = ImportRun.objects.filter(pk=run.pk, status=RunStatus.PREVIEWED).update(
            status=RunStatus.APPLIED, applied_at=timezone.now(), applied_by=acting_user
        )
        if not claimed:
            raise ImportNotOpen(_("Dieser Import wurde bereits übernommen oder verworfen."))
        fresh = compare_with_database(read, options)
        if fresh.fingerprint != run.fingerprint:
            raise ImportChanged(
                _(
                    "Seit der Vorschau haben sich die Daten geändert (z. B. durch einen anderen "
                    "Import oder eine Änderung von Hand). Es wurde nichts übernommen; bitte "
                    "laden Sie die Datei erneut hoch und prüfen Sie die neue Vorschau."
                )
            )
        result = apply_diff(
            fresh.diff,
            acting_user=acting_user,
            source=options.source,
            rename_usernames=rename_usernames,
            first_passwords=prepared,
        )
        run.refresh_from_db()
        run.result = result.as_json() | {
            "skip_invalid": skip_invalid,
            "rename_usernames": rename_usernames,
        }
        run.data = b""
        run.save(update_fields=["result", "data"])
        log_event(
            AuditEvent.IMPORT_APPLY,
            acting_user=acting_user,
            details={
                "run": run.pk,
                "filename": run.filename,
                "source": run.source,
                "role": run.role,
                "full_import": run.full_import,
                "skip_invalid": skip_invalid,
                "counts": result.counts,
                "skipped_lines": result.skipped_lines,
                "groups_created": result.groups_created,
            },
        )
    return result


def do_discard_import_run(run: ImportRun, *, acting_user: User) -> None:
    """Drop an open preview; its file is deleted at once."""
    with transaction.atomic():
        updated = ImportRun.objects.filter(pk=run.pk, status=RunStatus.PREVIEWED).update(
            status=RunStatus.DISCARDED, data=b""
        )
        if updated:
            log_event(
                AuditEvent.IMPORT_DISCARD,
                acting_user=acting_user,
                details={"run": run.pk, "filename": run.filename},
            )


def do_purge_old_import_runs(*, acting_user: User) -> int:
    """Delete runs (files and previews) older than ``RUN_RETENTION``."""
    cutoff = timezone.now() - RUN_RETENTION
    with transaction.atomic():
        deleted, _by_model = ImportRun.objects.older_than(cutoff).delete()
    if deleted:
        logger.info("Deleted %d import runs older than %s", deleted, cutoff.isoformat())
    return deleted


def do_rename_user(user: User, new_username: str, *, acting_user: User) -> None:
    """Give ``user`` a new username after a name change. The old one becomes an alias (the
    mail module keeps delivering to it) and, like every issued name, is never reused."""
    with transaction.atomic():
        if username_taken(new_username):
            raise ValueError("username %s is taken or was issued before" % new_username)
        old = user.username
        UsernameAlias.objects.create(user=user, username=old)
        IssuedUsername.objects.get_or_create(username=old)
        IssuedUsername.objects.create(username=new_username)
        user.username = new_username
        user.save(update_fields=["username"])
        log_event(
            AuditEvent.IMPORT_RENAME,
            acting_user=acting_user,
            modified_user=user,
            details={"old": old, "new": new_username},
        )


def aliases_of(user: User) -> list[str]:
    """Earlier usernames of ``user`` (selector for the mail module)."""
    return list(UsernameAlias.objects.filter(user=user).values_list("username", flat=True))


def do_save_profile(
    profile: ImportProfile | None, values: dict[str, Any], *, acting_user: User
) -> ImportProfile:
    """Create (``profile`` None) or change an import profile from validated form values."""
    allowed = {
        "name",
        "source",
        "role",
        "separator",
        "encoding",
        "header",
        "columns",
        "left_values",
    }
    unknown = set(values) - allowed
    if unknown:
        raise ValueError("fields not editable here: %s" % ", ".join(sorted(unknown)))
    with transaction.atomic():
        created = profile is None
        if profile is None:
            profile = ImportProfile(**values)
        else:
            for key, value in values.items():
                setattr(profile, key, value)
        profile.updated = timezone.now()
        profile.save()
        log_event(
            AuditEvent.IMPORT_PROFILE_SAVE,
            acting_user=acting_user,
            details={
                "profile": profile.pk,
                "name": profile.name,
                "created": created,
                "source": profile.source,
                "role": profile.role,
                "columns": profile.columns,
            },
        )
    return profile


def do_delete_profile(profile: ImportProfile, *, acting_user: User) -> None:
    with transaction.atomic():
        details = {"profile": profile.pk, "name": profile.name}
        profile.delete()
        log_event(AuditEvent.IMPORT_PROFILE_DELETE, acting_user=acting_user, details=details)


def delete_person_import_data(user: User) -> None:
    """The import's deletion step for a purged person: their old usernames (aliases), and
    their entries in stored previews. Idempotent."""
    UsernameAlias.objects.filter(user=user).delete()
    for run in ImportRun.objects.all().only("pk", "status", "preview", "data"):
        people = run.preview.get("people", [])
        kept = [person for person in people if person.get("user_id") != user.pk]
        if len(kept) != len(people):
            run.preview = dict(run.preview, people=kept)
            # The file itself still names the person: drop it (an open preview of it can
            # no longer be applied anyway once they are gone).
            run.data = b""
            if run.status == RunStatus.PREVIEWED:
                run.status = RunStatus.DISCARDED
            run.save(update_fields=["preview", "data", "status"])

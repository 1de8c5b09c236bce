"""Apply: one transaction, skip-invalid, re-import, refusals, renames, retention."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.hashers import check_password
from django.utils import timezone

from schulhof.accounts.lifecycle import deletion_steps
from schulhof.accounts.models import (
    Group,
    GroupKind,
    IssuedUsername,
    Membership,
    Status,
    User,
    get_system_actor,
)
from schulhof.accounts.tests.factories import make_user
from schulhof.core.audit import AuditEvent
from schulhof.core.models import AuditLogEntry
from schulhof.schoolimport import engine
from schulhof.schoolimport.actions import (
    ImportBlocked,
    ImportChanged,
    ImportNotOpen,
    aliases_of,
    delete_person_import_data,
    do_apply_import_run,
    do_create_import_run,
    do_discard_import_run,
    do_purge_old_import_runs,
)
from schulhof.schoolimport.encodings import UnreadableFile
from schulhof.schoolimport.models import ImportRun, RunStatus, UsernameAlias
from schulhof.schoolimport.tests.helpers import HEADER, csv_bytes, options, row, run_import

pytestmark = pytest.mark.django_db

BASE = [
    row("1", "Müller", "Jan", "5a"),
    row("2", "Kaya", "Elif", "5a"),
    row("3", "Weber", "Tom", "6b"),
]


def user(record_id):
    return User.objects.get(external_source="schild-schueler", external_id=record_id)


def test_apply_creates_people_groups_and_memberships():
    run, result = run_import(csv_bytes(HEADER, *BASE))
    assert run.status == RunStatus.APPLIED
    assert bytes(run.data) == b""  # the file is gone once applied
    assert run.result["counts"]["new"] == 3
    jan = user("1")
    assert (jan.username, jan.role, jan.first_name, jan.last_name) == (
        "jan.mueller",
        "pupil",
        "Jan",
        "Müller",
    )
    assert jan.birth_date.isoformat() == "2015-02-01"
    assert jan.first_password_pending
    assert check_password(result.first_passwords[jan.pk], jan.password)
    assert set(jan.memberships_groups.values_list("slug", flat=True)) == {
        "schueler",
        "5a",
        "jahrgang-5",
    }
    klasse = Group.objects.get(slug="5a")
    assert (klasse.kind, klasse.has_folder, klasse.has_mail, klasse.parent.slug) == (
        GroupKind.CLASS,
        True,
        True,
        "jahrgang-5",
    )
    assert Group.objects.get(slug="schueler").kind == GroupKind.ROLE
    events = set(AuditLogEntry.objects.values_list("event_type", flat=True))
    assert {AuditEvent.IMPORT_PREVIEW, AuditEvent.IMPORT_APPLY, AuditEvent.USER_CREATE} <= events
    apply_entry = AuditLogEntry.objects.get(event_type=AuditEvent.IMPORT_APPLY)
    assert apply_entry.details["counts"]["new"] == 3
    # Created in bulk, audited as one by one: an entry per person and per membership.
    assert AuditLogEntry.objects.filter(event_type=AuditEvent.USER_CREATE).count() == 3
    assert set(
        AuditLogEntry.objects.filter(
            event_type=AuditEvent.MEMBERSHIP_ADD, modified_user=jan
        ).values_list("modified_group__slug", flat=True)
    ) == {"schueler", "5a", "jahrgang-5"}
    assert AuditLogEntry.objects.filter(event_type=AuditEvent.MEMBERSHIP_ADD).count() == 9
    assert set(IssuedUsername.objects.values_list("username", flat=True)) >= {
        "jan.mueller",
        "elif.kaya",
        "tom.weber",
    }
    assert result.created == [user(record_id).pk for record_id in ("1", "2", "3")]


def test_reimport_changes_nothing():
    data = csv_bytes(HEADER, *BASE)
    run_import(data)
    users = list(User.objects.values_list("pk", "username", "password", "status"))
    memberships = Membership.objects.count()
    entries = AuditLogEntry.objects.count()
    run, result = run_import(data)
    assert result.counts["unchanged"] == 3
    assert sum(count for change, count in result.counts.items() if change != "unchanged") == 0
    assert list(User.objects.values_list("pk", "username", "password", "status")) == users
    assert Membership.objects.count() == memberships
    # Only the run's own two entries (preview, apply).
    assert AuditLogEntry.objects.count() == entries + 2
    assert not run.preview["has_changes"]


def test_failure_midway_leaves_nothing(monkeypatch):
    created = []
    real = engine.do_create_users

    def flaky(specs, **kwargs):
        created.extend(real(specs, **kwargs))  # the people are written ...
        raise RuntimeError("disk full")  # ... and then something fails

    monkeypatch.setattr(engine, "do_create_users", flaky)
    system = get_system_actor()
    run = do_create_import_run(
        csv_bytes(HEADER, *BASE), filename="x.csv", options=options(), acting_user=system
    )
    with pytest.raises(RuntimeError):
        do_apply_import_run(run, acting_user=system)
    assert len(created) == 3
    assert not IssuedUsername.objects.exists()
    assert not AuditLogEntry.objects.filter(event_type=AuditEvent.USER_CREATE).exists()
    assert not User.objects.people().exists()
    assert not Group.objects.exists()
    run.refresh_from_db()
    assert run.status == RunStatus.PREVIEWED  # can be tried again
    assert not AuditLogEntry.objects.filter(event_type=AuditEvent.IMPORT_APPLY).exists()


def test_unreadable_file_writes_nothing():
    with pytest.raises(UnreadableFile):
        do_create_import_run(
            b"PK\x03\x04", filename="x.xlsx", options=options(), acting_user=get_system_actor()
        )
    assert not ImportRun.objects.exists()
    assert not AuditLogEntry.objects.filter(event_type=AuditEvent.IMPORT_PREVIEW).exists()


def test_errors_block_unless_skipped():
    run_import(csv_bytes(HEADER, *BASE))
    data = csv_bytes(
        HEADER,
        row("1", "Müller", "", "6a"),  # invalid: Jan stays as he is (and is no leaver)
        row("2", "Kaya", "Elif", "6a"),
        row("3", "Weber", "Tom", "7b"),
        row("4", "Neu", "Nora", "5a"),
    )
    system = get_system_actor()
    run = do_create_import_run(data, filename="x.csv", options=options(), acting_user=system)
    with pytest.raises(ImportBlocked, match="1 Zeilen haben Fehler"):
        do_apply_import_run(run, acting_user=system)
    assert not User.objects.filter(external_id="4").exists()
    assert user("2").memberships_groups.filter(slug="5a").exists()
    result = do_apply_import_run(run, acting_user=system, skip_invalid=True)
    assert result.skipped_lines == [2]
    assert result.counts["new"] == 1 and result.counts["class_changed"] == 2
    jan = user("1")
    assert jan.status == Status.ACTIVE and jan.left_on is None
    assert jan.memberships_groups.filter(slug="5a").exists()
    assert user("2").memberships_groups.filter(slug="6a").exists()


def test_database_changed_since_preview_refuses():
    system = get_system_actor()
    run = do_create_import_run(
        csv_bytes(HEADER, *BASE), filename="x.csv", options=options(), acting_user=system
    )
    make_user(username="jan.mueller", first_name="Jan", last_name="Müller")  # takes the name
    with pytest.raises(ImportChanged, match="Seit der Vorschau"):
        do_apply_import_run(run, acting_user=system)
    assert not User.objects.filter(external_source="schild-schueler").exists()
    run.refresh_from_db()
    assert run.status == RunStatus.PREVIEWED


def test_apply_twice_and_discard():
    run, _result = run_import(csv_bytes(HEADER, *BASE))
    with pytest.raises(ImportNotOpen):
        do_apply_import_run(run, acting_user=get_system_actor())
    other = do_create_import_run(
        csv_bytes(HEADER, *BASE),
        filename="y.csv",
        options=options(),
        acting_user=get_system_actor(),
    )
    do_discard_import_run(other, acting_user=get_system_actor())
    other.refresh_from_db()
    assert other.status == RunStatus.DISCARDED and bytes(other.data) == b""
    with pytest.raises(ImportNotOpen):
        do_apply_import_run(other, acting_user=get_system_actor())


def test_name_change_renames_and_keeps_an_alias():
    run_import(csv_bytes(HEADER, *BASE))
    jan = user("1")
    password = jan.password
    _run, result = run_import(csv_bytes(HEADER, row("1", "Kowalczyk", "Jan", "5a"), *BASE[1:]))
    jan.refresh_from_db()
    assert result.counts["updated"] == 1
    assert jan.username == "jan.kowalczyk"
    assert jan.last_name == "Kowalczyk"
    assert jan.password == password
    assert aliases_of(jan) == ["jan.mueller"]
    assert IssuedUsername.objects.filter(username__in=["jan.mueller", "jan.kowalczyk"]).count() == 2
    entry = AuditLogEntry.objects.get(event_type=AuditEvent.IMPORT_RENAME)
    assert entry.details == {"old": "jan.mueller", "new": "jan.kowalczyk"}
    # Nobody else ever gets the old name.
    _run, result = run_import(
        csv_bytes(
            HEADER, row("1", "Kowalczyk", "Jan", "5a"), *BASE[1:], row("9", "Müller", "Jan", "5b")
        )
    )
    assert user("9").username == "jan.mueller2"


def test_name_change_without_renaming():
    run_import(csv_bytes(HEADER, *BASE))
    run_import(
        csv_bytes(HEADER, row("1", "Kowalczyk", "Jan", "5a"), *BASE[1:]), rename_usernames=False
    )
    jan = user("1")
    assert (jan.username, jan.last_name) == ("jan.mueller", "Kowalczyk")
    assert not UsernameAlias.objects.exists()


def test_leavers_and_returners():
    run_import(csv_bytes(HEADER, *BASE))
    today = timezone.localdate()
    _run, result = run_import(
        csv_bytes(HEADER, row("1", "Müller", "Jan", status="9", left="01.07.2026"), BASE[1])
    )
    assert result.counts["left"] == 2
    jan, tom = user("1"), user("3")
    assert jan.status == Status.LEFT and jan.left_on.isoformat() == "2026-07-01"
    assert tom.status == Status.LEFT and tom.left_on == today
    assert tom.deletion_due == today + timedelta(days=42)
    _run, result = run_import(csv_bytes(HEADER, *BASE))
    assert result.counts["returned"] == 2
    tom.refresh_from_db()
    assert tom.status == Status.ACTIVE and tom.deletion_due is None
    assert tom.memberships_groups.filter(slug="6b").exists()


def test_runs_are_deleted_after_30_days():
    _run, _result = run_import(csv_bytes(HEADER, *BASE))
    with time_machine.travel(timezone.now() + timedelta(days=29)):
        assert do_purge_old_import_runs(acting_user=get_system_actor()) == 0
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        assert do_purge_old_import_runs(acting_user=get_system_actor()) == 1
    assert not ImportRun.objects.exists()


def test_deletion_step_removes_aliases_and_preview_entries():
    assert deletion_steps()["schoolimport"] is delete_person_import_data
    run_import(csv_bytes(HEADER, *BASE))
    run, _result = run_import(csv_bytes(HEADER, row("1", "Kowalczyk", "Jan", "5a"), *BASE[1:]))
    jan = user("1")
    open_run = do_create_import_run(
        csv_bytes(HEADER, *BASE),
        filename="z.csv",
        options=options(),
        acting_user=get_system_actor(),
    )
    delete_person_import_data(jan)
    delete_person_import_data(jan)  # idempotent
    assert not UsernameAlias.objects.exists()
    for stored in (run, open_run):
        stored.refresh_from_db()
        assert all(p["user_id"] != jan.pk for p in stored.preview["people"])
    assert open_run.status == RunStatus.DISCARDED and bytes(open_run.data) == b""

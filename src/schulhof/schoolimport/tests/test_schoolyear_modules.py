"""The school-year change across every module present: a leaver's purge leaves no row and no
file behind; a pupil who returns within the grace period finds everything as it was."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from schulhof.accounts.authentication import authenticate
from schulhof.accounts.lifecycle_jobs import process_leavers
from schulhof.accounts.models import (
    LoginAttempt,
    Membership,
    Protocol,
    Status,
    User,
    UserSession,
)
from schulhof.core.models import AuditLogEntry
from schulhof.files import disk, storage
from schulhof.files.actions import do_delete, do_make_dir, do_write_file
from schulhof.files.models import FileEntry, QuotaLedger, Reservation, TrashItem
from schulhof.schoolimport import testdata
from schulhof.schoolimport.tests.helpers import run_import

pytestmark = pytest.mark.django_db(transaction=True)


def _by_id(record_id: str) -> User:
    return User.objects.get(external_source="schild-schueler", external_id=record_id)


def _give_files(user: User) -> storage.Space:
    space = storage.user_space(user)
    do_make_dir(space, "Hausaufgaben", acting_user=user)
    do_write_file(
        space, "Hausaufgaben/Aufsatz über Flüsse.txt", [b"Der Rhein " * 100], acting_user=user
    )
    do_write_file(space, "Entwurf.txt", [b"alt"], acting_user=user)
    do_delete(space, "Entwurf.txt", acting_user=user)  # the trash counts as data too
    return space


def test_purge_after_the_grace_period_removes_the_leaver_everywhere():
    pupils = testdata.school(40, seed=5)
    run_import(testdata.pupil_export(pupils))
    leaving, returning = pupils[3], pupils[7]
    leaver, returner = _by_id(leaving.record_id), _by_id(returning.record_id)
    leaver_space, returner_space = _give_files(leaver), _give_files(returner)
    leaver_dir = disk.space_dir(leaver_space.kind, leaver_space.key)
    assert leaver_dir.exists()
    authenticate(leaver.username, "falsch", protocol=Protocol.WEB, client_address="192.0.2.1")

    # Next year's export lacks both: full import → both leave today.
    others = [p for p in pupils if p.record_id not in (leaving.record_id, returning.record_id)]
    run_import(testdata.pupil_export(others))
    leaver.refresh_from_db()
    assert leaver.status == Status.LEFT

    # Three weeks later the returner is back in the export: reactivated, files intact.
    with time_machine.travel(timezone.now() + timedelta(days=21)):
        _run, result = run_import(testdata.pupil_export([*others, returning]))
        assert result.counts["returned"] == 1

    # After the grace period (42 days) the worker's job purges the leaver.
    with time_machine.travel(timezone.now() + timedelta(days=43)):
        process_leavers()

    assert not User.objects.filter(pk=leaver.pk).exists()
    key = leaver_space.key
    for model in (FileEntry, TrashItem, QuotaLedger):
        assert not model.objects.filter(space_kind="user", space_key=key).exists(), model
    assert not Reservation.objects.filter(ledger__space_key=key).exists()
    assert not leaver_dir.exists()
    assert not disk.trash_dir(leaver_space.kind, key).exists()
    assert not LoginAttempt.objects.filter(user_id=leaver.pk).exists()
    assert not LoginAttempt.objects.filter(username=leaver.username).exists()
    assert not Membership.objects.filter(user_id=leaver.pk).exists()
    assert not UserSession.objects.filter(user_id=leaver.pk).exists()
    assert not AuditLogEntry.objects.filter(modified_user_id=leaver.pk).exists()
    assert not AuditLogEntry.objects.filter(acting_user_id=leaver.pk).exists()

    returner.refresh_from_db()
    assert returner.status == Status.ACTIVE
    names = {node.name for node in storage.list_dir(returner_space, "Hausaufgaben")}
    assert names == {"Aufsatz über Flüsse.txt"}
    with storage.open_read(returner_space, "Hausaufgaben/Aufsatz über Flüsse.txt") as handle:
        assert handle.read() == b"Der Rhein " * 100
    assert [entry.name for entry in storage.trash_list(returner_space)] == ["Entwurf.txt"]

"""Deletion and export steps, and the periodic jobs."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from schulhof.accounts.lifecycle import deletion_steps, export_steps
from schulhof.accounts.models import User
from schulhof.core.audit import AuditEvent
from schulhof.core.models import AuditLogEntry
from schulhof.files import actions, disk, jobs
from schulhof.files.models import FileEntry, QuotaLedger, TrashItem
from schulhof.files.storage import Space, list_dir, trash_list, usage_for_user


def test_steps_are_registered() -> None:
    assert "files" in deletion_steps() and "files" in export_steps()


def test_export_lists_own_files_lazily(owner: User, space: Space, class_space: Space) -> None:
    actions.do_make_dir(space, "Kunst", acting_user=owner)
    actions.do_write_file(space, "Kunst/Bild.png", [b"png"], acting_user=owner)
    actions.do_write_file(space, ".DS_Store", [b"junk"], acting_user=owner)
    actions.do_write_file(class_space, "Gruppe.txt", [b"g"], acting_user=owner)
    items = list(export_steps()["files"](owner))
    assert [(item.path, item.size) for item in items] == [("Dateien/Kunst/Bild.png", 3)]
    assert b"".join(items[0].open()) == b"png"


def test_deletion_removes_own_space_but_not_group_files(
    owner: User, space: Space, class_space: Space
) -> None:
    actions.do_write_file(space, "a.txt", [b"a"], acting_user=owner)
    actions.do_delete(space, "a.txt", acting_user=owner)
    actions.do_write_file(class_space, "Gruppe.txt", [b"g"], acting_user=owner)
    deletion_steps()["files"](owner)
    deletion_steps()["files"](owner)  # idempotent
    assert not FileEntry.objects.filter(space_kind="user").exists()
    assert not TrashItem.objects.filter(space_kind="user").exists()
    assert not QuotaLedger.objects.filter(space_kind="user").exists()
    assert not disk.space_dir("user", "lena.lang").exists()
    assert [n.name for n in list_dir(class_space, "")] == ["Gruppe.txt"]
    assert AuditLogEntry.objects.filter(event_type=AuditEvent.FILES_SPACE_PURGE).exists()


def test_trash_expires_after_the_retention(owner: User, space: Space) -> None:
    actions.do_write_file(space, "alt.txt", [b"alt"], acting_user=owner)
    actions.do_write_file(space, "neu.txt", [b"neu"], acting_user=owner)
    old = actions.do_delete(space, "alt.txt", acting_user=owner)
    actions.do_delete(space, "neu.txt", acting_user=owner)
    assert old is not None
    TrashItem.objects.filter(pk=old.id).update(deleted=timezone.now() - timedelta(days=31))
    jobs.expire_trash()
    assert [entry.name for entry in trash_list(space)] == ["neu.txt"]
    assert usage_for_user(owner).files == 3
    assert AuditLogEntry.objects.filter(event_type=AuditEvent.FILES_TRASH_EXPIRE).count() == 1


def test_recovery_and_lock_jobs_run(owner: User) -> None:
    jobs.recover_interrupted_uploads()
    jobs.purge_expired_dav_locks()

"""The write path: uploads, folders, move, copy, trash, quota overrides."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from schulhof.accounts.models import User
from schulhof.core.audit import AuditEvent
from schulhof.core.models import AuditLogEntry
from schulhof.files import actions, disk, quota
from schulhof.files.models import FileEntry, QuotaLedger, Reservation
from schulhof.files.storage import (
    AlreadyExists,
    Conflict,
    NotFound,
    QuotaExceeded,
    Space,
    list_dir,
    open_read,
    stat,
    trash_list,
    usage_for_space,
    usage_for_user,
)


def write(space: Space, path: str, data: bytes, user: User, **kwargs: object) -> None:
    actions.do_write_file(space, path, [data], acting_user=user, **kwargs)  # type: ignore[arg-type]


def read(space: Space, path: str) -> bytes:
    with open_read(space, path) as handle:
        return handle.read()


def test_write_and_read_back(space: Space, owner: User) -> None:
    node = actions.do_write_file(space, "Hallo.txt", [b"Guten ", b"Tag"], acting_user=owner)
    assert node.size == 9 and node.name == "Hallo.txt" and node.content_type == "text/plain"
    assert read(space, "Hallo.txt") == b"Guten Tag"
    assert (disk.space_dir("user", "lena.lang") / "Hallo.txt").read_bytes() == b"Guten Tag"
    assert usage_for_user(owner).files == 9


def test_write_from_file_object_and_overwrite_keeps_quota_exact(space: Space, owner: User) -> None:
    actions.do_write_file(space, "a.bin", io.BytesIO(b"x" * 5000), acting_user=owner)
    first = stat(space, "a.bin")
    actions.do_write_file(
        space, "a.bin", io.BytesIO(b"y" * 100), acting_user=owner, expected_size=100
    )
    second = stat(space, "a.bin")
    assert second.etag != first.etag
    assert usage_for_user(owner).files == 100
    assert not Reservation.objects.exists()


def test_no_overwrite_refuses(space: Space, owner: User) -> None:
    write(space, "a.txt", b"1", owner)
    with pytest.raises(AlreadyExists):
        write(space, "a.txt", b"2", owner, overwrite=False)
    assert read(space, "a.txt") == b"1"


def test_short_stream_with_expected_size_leaves_nothing(space: Space, owner: User) -> None:
    with pytest.raises(Exception, match="unterbrochen"):
        write(space, "kurz.txt", b"abc", owner, expected_size=10)
    with pytest.raises(NotFound):
        stat(space, "kurz.txt")
    assert os.listdir(disk.space_dir("user", "lena.lang")) == []
    assert usage_for_user(owner).files == 0
    assert not Reservation.objects.exists()


def test_failing_stream_leaves_nothing(space: Space, owner: User) -> None:
    def broken() -> object:
        yield b"a" * 1000
        raise ConnectionError("client went away")

    with pytest.raises(ConnectionError):
        actions.do_write_file(space, "x.txt", broken(), acting_user=owner)  # type: ignore[arg-type]
    assert os.listdir(disk.space_dir("user", "lena.lang")) == []
    assert usage_for_user(owner).files == 0


def test_quota_refuses_and_keeps_old_file(space: Space, owner: User, system_actor: User) -> None:
    actions.do_set_quota_override(owner, 1000, acting_user=system_actor)
    write(space, "a.txt", b"a" * 600, owner)
    with pytest.raises(QuotaExceeded) as info:
        write(space, "b.txt", b"b" * 600, owner, expected_size=600)
    assert "Nicht genug Speicherplatz" in info.value.message
    with pytest.raises(QuotaExceeded):
        write(space, "c.txt", b"c" * 600, owner)  # unknown size: refused while writing
    # Replacing a file only needs the difference.
    write(space, "a.txt", b"z" * 900, owner, expected_size=900)
    assert usage_for_user(owner).files == 900
    assert sorted(os.listdir(disk.space_dir("user", "lena.lang"))) == ["a.txt"]
    assert AuditLogEntry.objects.filter(event_type=AuditEvent.FILES_QUOTA_SET).count() == 1


def test_quota_counts_mail(space: Space, owner: User, system_actor: User) -> None:
    actions.do_set_quota_override(owner, 1000, acting_user=system_actor)
    provider = quota.register_mail_usage_provider(lambda user: 700)
    try:
        assert usage_for_user(owner).mail == 700
        with pytest.raises(QuotaExceeded):
            write(space, "b.txt", b"b" * 400, owner, expected_size=400)
        write(space, "c.txt", b"c" * 300, owner)
        assert usage_for_user(owner).used == 1000
    finally:
        quota._mail_providers.remove(provider)


def test_make_dir_move_copy(space: Space, owner: User) -> None:
    actions.do_make_dir(space, "Mathe", acting_user=owner)
    actions.do_make_dir(space, "Mathe/Übungen", acting_user=owner)
    write(space, "Mathe/Übungen/blatt1.txt", b"1+1", owner)
    with pytest.raises(Conflict):
        actions.do_make_dir(space, "Fehlt/Unterordner", acting_user=owner)
    with pytest.raises(AlreadyExists):
        actions.do_make_dir(space, "Mathe", acting_user=owner)

    actions.do_copy(space, "Mathe", space, "Mathe Kopie", acting_user=owner)
    assert read(space, "Mathe Kopie/Übungen/blatt1.txt") == b"1+1"
    assert usage_for_user(owner).files == 6

    actions.do_move(space, "Mathe", space, "Physik", acting_user=owner)
    assert [n.name for n in list_dir(space, "")] == ["Mathe Kopie", "Physik"]
    assert read(space, "Physik/Übungen/blatt1.txt") == b"1+1"
    assert not FileEntry.objects.filter(path__startswith="Mathe/").exists()
    with pytest.raises(Conflict):
        actions.do_move(space, "Physik", space, "Physik/Übungen/x", acting_user=owner)
    with pytest.raises(AlreadyExists):
        actions.do_move(space, "Physik", space, "Mathe Kopie", acting_user=owner)
    actions.do_move(space, "Physik", space, "Mathe Kopie", acting_user=owner, overwrite=True)
    assert [n.name for n in list_dir(space, "")] == ["Mathe Kopie"]
    assert usage_for_user(owner).files == 3
    assert sorted(os.listdir(disk.space_dir("user", "lena.lang"))) == ["Mathe Kopie"]


def test_case_sensitive_prefixes(space: Space, owner: User) -> None:
    actions.do_make_dir(space, "a", acting_user=owner)
    actions.do_make_dir(space, "A", acting_user=owner)
    write(space, "A/x", b"1", owner)
    write(space, "a/x", b"22", owner)
    actions.do_move(space, "a", space, "b", acting_user=owner)
    assert read(space, "A/x") == b"1"
    assert read(space, "b/x") == b"22"


def test_move_between_spaces_moves_quota(space: Space, class_space: Space, owner: User) -> None:
    write(space, "Referat.pdf", b"%PDF" + b"0" * 96, owner)
    actions.do_move(space, "Referat.pdf", class_space, "Referat.pdf", acting_user=owner)
    assert usage_for_user(owner).files == 0
    assert usage_for_space(class_space).files == 100
    assert read(class_space, "Referat.pdf").startswith(b"%PDF")
    assert AuditLogEntry.objects.filter(event_type=AuditEvent.FILES_MOVE).count() == 1


def test_trash_and_restore(space: Space, owner: User) -> None:
    actions.do_make_dir(space, "Bio", acting_user=owner)
    write(space, "Bio/zelle.txt", b"Zelle", owner)
    entry = actions.do_delete(space, "Bio", acting_user=owner)
    assert entry is not None and entry.size == 5 and entry.is_dir
    assert list_dir(space, "") == []
    assert usage_for_user(owner).files == 5  # the trash counts
    assert [t.name for t in trash_list(space)] == ["Bio"]
    actions.do_make_dir(space, "Bio", acting_user=owner)  # the name is taken meanwhile
    node = actions.do_restore(space, entry.id, acting_user=owner)
    assert node.path == "Bio (2)"
    assert read(space, "Bio (2)/zelle.txt") == b"Zelle"
    assert trash_list(space) == []
    assert usage_for_user(owner).files == 5


def test_empty_trash_frees_quota(space: Space, owner: User) -> None:
    write(space, "a.txt", b"a" * 10, owner)
    actions.do_delete(space, "a.txt", acting_user=owner)
    assert actions.do_empty_trash(space, acting_user=owner) == 10
    assert usage_for_user(owner).files == 0
    assert os.listdir(disk.trash_dir("user", "lena.lang")) == []


def test_client_junk_is_hidden_and_deleted_for_good(space: Space, owner: User) -> None:
    write(space, ".DS_Store", b"junk", owner)
    write(space, "._Referat.pdf", b"junk", owner)
    assert list_dir(space, "") == []
    assert len(list_dir(space, "", include_hidden=True)) == 2
    assert actions.do_delete(space, ".DS_Store", acting_user=owner) is None
    assert trash_list(space) == []
    assert usage_for_user(owner).files == 4


def test_recover_releases_reservation_of_dead_writer(space: Space, owner: User) -> None:
    pending = actions.PendingWrite(space, "gross.bin", acting_user=owner, expected_size=10_000)
    pending.write(b"x" * 5000)
    assert usage_for_user(owner).files == 10_000
    # Simulate a dead process: its lock is gone (close the file without cleanup).
    assert pending._file is not None
    pending._file.close()
    pending._file = None
    assert quota.recover() == 1
    assert usage_for_user(owner).files == 0
    assert os.listdir(disk.space_dir("user", "lena.lang")) == []


def test_recover_leaves_living_writer_alone(space: Space, owner: User) -> None:
    pending = actions.PendingWrite(space, "gross.bin", acting_user=owner, expected_size=3)
    assert quota.recover() == 0
    pending.write(b"abc")
    pending.commit()
    assert read(space, "gross.bin") == b"abc"
    assert QuotaLedger.objects.get(space_key="lena.lang").used == 3


def test_purge_space(space: Space, owner: User, system_actor: User, data_dir: Path) -> None:
    write(space, "a.txt", b"a", owner)
    actions.do_delete(space, "a.txt", acting_user=owner)
    write(space, "b.txt", b"b", owner)
    actions.do_purge_space(space, acting_user=system_actor)
    assert not FileEntry.objects.exists()
    assert not disk.space_dir("user", "lena.lang").exists()
    assert not disk.trash_dir("user", "lena.lang").exists()

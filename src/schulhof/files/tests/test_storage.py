"""The read API and access policy."""

from __future__ import annotations

import os

import pytest

from schulhof.accounts.models import Group, Sanction, Status, User
from schulhof.accounts.tests.factories import make_user
from schulhof.files import actions, disk
from schulhof.files.storage import (
    Conflict,
    Forbidden,
    InvalidName,
    NotFound,
    Space,
    check_access,
    group_space,
    list_dir,
    open_read,
    search,
    space_for_key,
    spaces_for,
    stat,
    usage_for_space,
    user_space,
    walk,
)


def put(space: Space, path: str, data: bytes, user: User) -> None:
    actions.do_write_file(space, path, [data], acting_user=user)


def test_spaces_for_lists_own_and_group_folders(owner: User, klasse: Group) -> None:
    Group.objects.create(name="AG Chemie", slug="ag-chemie", kind="custom", has_folder=True)
    no_folder = Group.objects.create(name="Ohne", slug="ohne", kind="custom")
    no_folder.members.add(owner)
    spaces = spaces_for(owner)
    assert [(s.kind, s.key) for s in spaces] == [("user", "lena.lang"), ("group", "7c")]
    assert spaces[0].title == "Eigene Dateien" and spaces[1].title == "7c"
    assert space_for_key("group", "7c") == group_space(klasse)
    with pytest.raises(NotFound):
        space_for_key("group", "ohne")


def test_check_access(owner: User, space: Space, class_space: Space, system_actor: User) -> None:
    other = make_user(pupil=True, username="max.muster", klasse="8a")
    check_access(owner, space, write=True)
    check_access(owner, class_space, write=True)
    with pytest.raises(Forbidden):
        check_access(other, space, write=False)
    with pytest.raises(Forbidden):
        check_access(other, class_space, write=False)
    admin = make_user(admin=True, username="anna.admin")
    with pytest.raises(Forbidden):
        check_access(admin, space, write=False)  # admins do not browse pupils' files
    with pytest.raises(Forbidden):
        check_access(system_actor, space, write=False)


def test_sanctions_block_files(owner: User, space: Space, system_actor: User) -> None:
    sanction = Sanction.objects.create(
        user=owner, blocked=["files_write"], reason="Test", created_by=system_actor
    )
    check_access(owner, space, write=False)
    with pytest.raises(Forbidden, match="Hochladen"):
        check_access(owner, space, write=True)
    sanction.blocked = ["files"]
    sanction.save()
    with pytest.raises(Forbidden, match="gesperrt"):
        check_access(owner, space, write=False)


def test_locked_account_has_no_access(owner: User, space: Space) -> None:
    owner.status = Status.LOCKED
    owner.save()
    with pytest.raises(Forbidden):
        check_access(owner, space, write=False)


def test_list_stat_walk_search(space: Space, owner: User) -> None:
    actions.do_make_dir(space, "Deutsch", acting_user=owner)
    actions.do_make_dir(space, "Deutsch/Aufsätze", acting_user=owner)
    put(space, "Deutsch/Aufsätze/Erörterung.txt", b"abc", owner)
    put(space, "zettel.txt", b"z", owner)
    put(space, "Zebra.txt", b"zz", owner)
    put(space, ".DS_Store", b"junk", owner)
    assert [n.name for n in list_dir(space, "")] == ["Deutsch", "Zebra.txt", "zettel.txt"]
    node = stat(space, "Deutsch/Aufsätze/Erörterung.txt")
    assert node.size == 3 and not node.is_dir and node.parent_path == "Deutsch/Aufsätze"
    assert node.modified.tzinfo is not None and node.etag and '"' not in node.etag
    root = stat(space, "")
    assert root.is_dir and root.path == ""
    assert [n.path for n in walk(space, "Deutsch")] == [
        "Deutsch/Aufsätze",
        "Deutsch/Aufsätze/Erörterung.txt",
    ]
    assert [n.name for n in search(space, "ERÖRT")] == ["Erörterung.txt"]
    assert [n.name for n in search(space, "z")][:1] == ["Aufsätze"]  # folders first
    assert search(space, "store") == []  # hidden files are not found
    assert search(space, "  ") == []
    with pytest.raises(Conflict):
        list_dir(space, "zettel.txt")
    with pytest.raises(NotFound):
        list_dir(space, "Fehlt")
    with pytest.raises(InvalidName):
        stat(space, "../etc/passwd")


def test_open_read_supports_seek(space: Space, owner: User) -> None:
    put(space, "zahlen.txt", b"0123456789", owner)
    with open_read(space, "zahlen.txt") as handle:
        handle.seek(4)
        assert handle.read(3) == b"456"
    with pytest.raises(Conflict):
        open_read(space, "")


def test_symlinks_on_disk_are_never_followed(space: Space, owner: User, tmp_path: object) -> None:
    put(space, "echt.txt", b"echt", owner)
    secret = disk.files_root() / "geheim.txt"
    secret.write_bytes(b"geheim")
    folder = disk.space_dir("user", "lena.lang")
    os.unlink(folder / "echt.txt")
    os.symlink(secret, folder / "echt.txt")
    with pytest.raises(NotFound):
        open_read(space, "echt.txt")
    actions.do_make_dir(space, "Ordner", acting_user=owner)
    put(space, "Ordner/a.txt", b"a", owner)
    os.rename(folder / "Ordner", folder / "Ordner.bak")
    os.symlink(disk.files_root(), folder / "Ordner")
    with pytest.raises(NotFound):
        open_read(space, "Ordner/a.txt")


def test_usage_for_group_space(class_space: Space, owner: User) -> None:
    put(class_space, "Plan.txt", b"p" * 10, owner)
    usage = usage_for_space(class_space)
    assert usage.files == 10 and usage.mail == 0 and usage.limit == 10 * 1024**3
    assert usage_for_space(user_space(owner)).files == 0

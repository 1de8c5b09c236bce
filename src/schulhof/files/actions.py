"""The files module's write path: every change of files, folders, trash and quota.

Each ``do_*`` function checks the tree, keeps the index, the quota ledger and the disk in
step, and audits. Permissions are the caller's job (``storage.check_access``).

Crash safety, in short: content is written to a temporary file next to its target, fsynced,
and renamed over the target inside the database transaction that updates index and quota (so
a crash leaves either the old or the new file, never a partial one); quota is reserved
before bytes are written (see ``files.quota``). Folder operations (move, copy, trash) build
their result under a temporary name and rename it into place at the end.

Auditing (see ``docs/dev/files.md``): deletes, restores, emptying the trash and quota changes
are always audited; uploads, new folders, moves and copies only in group folders, because a
person's own folder is theirs alone and WebDAV clients write very often (an Office save is
several requests).
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import shutil
import stat as stat_module
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, BinaryIO

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.db.models.functions import Left
from django.utils import timezone
from django.utils.translation import gettext as _

from schulhof.core.audit import AuditEvent
from schulhof.files import disk, names, quota, tree
from schulhof.files.errors import (
    AlreadyExists,
    Conflict,
    NotFound,
    StorageError,
)
from schulhof.files.models import FileEntry, QuotaLedger, Reservation, TrashItem
from schulhof.files.storage import (
    Node,
    Space,
    TrashEntry,
    canonical_path,
    stat,
    user_space,
)
from schulhof.files.writing import PendingWrite, chunks_of

if TYPE_CHECKING:
    from schulhof.accounts.models import Group, User

logger = logging.getLogger(__name__)


def do_write_file(
    space: Space,
    path: str,
    stream: Iterable[bytes] | BinaryIO,
    *,
    acting_user: User,
    overwrite: bool = True,
    expected_size: int | None = None,
    content_type: str | None = None,
) -> Node:
    """Write a file atomically from ``stream`` (an iterable of byte chunks or a binary file).

    Memory stays constant; quota is reserved before bytes are written, so parallel uploads
    cannot overshoot it (:class:`QuotaExceeded`). With ``expected_size`` the whole amount is
    reserved up front and a shorter or longer stream is refused. The parent folder must exist
    (:class:`Conflict`); an existing file is replaced if ``overwrite`` (else
    :class:`AlreadyExists`). On any error nothing is left behind."""
    pending = PendingWrite(
        space,
        path,
        acting_user=acting_user,
        overwrite=overwrite,
        expected_size=expected_size,
        content_type=content_type,
    )
    try:
        for chunk in chunks_of(stream):
            pending.write(chunk)
    except BaseException:
        pending.abort()
        raise
    return pending.commit()


def do_set_modified(space: Space, path: str, when: datetime, *, acting_user: User) -> Node:
    """Set a file's modification time (clients that preserve times: Windows, rclone)."""
    path = canonical_path(path)
    entry = tree.entries(space).filter(path=path).first()
    if entry is None:
        raise NotFound()
    with tree.dir_fd(space, entry.parent) as fd, contextlib.suppress(OSError):
        os.utime(entry.name, (when.timestamp(), when.timestamp()), dir_fd=fd, follow_symlinks=False)
    tree.entries(space).filter(pk=entry.pk).update(modified=when)
    return stat(space, path)


# --- Folders -----------------------------------------------------------------------------


def do_make_dir(space: Space, path: str, *, acting_user: User) -> Node:
    """Create the folder ``path``; its parent must exist (:class:`Conflict`), the name must be
    free (:class:`AlreadyExists`)."""
    path = canonical_path(path)
    if not path:
        raise AlreadyExists()
    folder, name = names.parent_and_name(path)
    tree.require_folder(space, folder)
    if tree.entries(space).filter(path=path).exists():
        raise AlreadyExists()
    with tree.dir_fd(space, folder) as fd:
        created = False
        try:
            os.mkdir(name, 0o700, dir_fd=fd)
            created = True
        except FileExistsError:
            # Made by a parallel request (rclone creates parents in parallel), or left on
            # disk without an index entry by a crash: then it is adopted below.
            info = disk.lstat_at(fd, name)
            if info is None or not stat_module.S_ISDIR(info.st_mode):
                raise AlreadyExists() from None
        try:
            with transaction.atomic():
                entry = tree.entry_for(space, path, is_dir=True)
                try:
                    with transaction.atomic():
                        entry.save()
                except IntegrityError:
                    raise AlreadyExists() from None
                tree.touch(space, folder)
                if tree.audited(space):
                    tree.audit(
                        AuditEvent.FILES_FOLDER_CREATE,
                        space,
                        acting_user=acting_user,
                        details={"path": path},
                    )
        except AlreadyExists:
            raise
        except BaseException:
            if created:
                with contextlib.suppress(OSError):
                    os.rmdir(name, dir_fd=fd)
            raise
        disk.fsync_dir(fd)
    return stat(space, path)


def do_ensure_dirs(space: Space, path: str, *, acting_user: User) -> Node:
    """Create the folder ``path`` and any missing parents (folder uploads in the web)."""
    path = canonical_path(path)
    current = ""
    for part in path.split("/") if path else []:
        current = names.join(current, part)
        entry = tree.entries(space).filter(path=current).first()
        if entry is None:
            with contextlib.suppress(AlreadyExists):
                do_make_dir(space, current, acting_user=acting_user)
        elif not entry.is_dir:
            raise Conflict(_("„%(name)s“ ist kein Ordner.") % {"name": entry.name})
    return stat(space, path)


# --- Move and copy -----------------------------------------------------------------------


def _check_target(src_space: Space, src: str, dst_space: Space, dst: str) -> None:
    if not src:
        raise Conflict(_("Der Hauptordner kann nicht verschoben oder kopiert werden."))
    if not dst:
        raise Conflict(_("Das Ziel muss ein Name in einem Ordner sein."))
    if src_space == dst_space and (dst == src or dst.startswith(src + "/")):
        raise Conflict(_("Ein Ordner kann nicht in sich selbst verschoben oder kopiert werden."))


def _files_size(space: Space, path: str) -> int:
    total = tree.subtree(space, path).filter(is_dir=False).aggregate(total=Sum("size"))["total"]
    return int(total or 0)


def _rewrite_paths(src_space: Space, src: str, dst_space: Space, dst: str) -> None:
    """Point the index entries of the subtree ``src`` to ``dst`` (maybe in another space)."""
    rows = list(tree.subtree(src_space, src))
    for row in rows:
        new_path = dst + row.path[len(src) :]
        parent, name = names.parent_and_name(new_path)
        row.space_kind = dst_space.kind
        row.space_key = dst_space.key
        row.path = new_path
        row.parent = parent
        if row.path == dst:
            row.name = name
            row.name_fold = name.casefold()
            row.hidden = (not row.is_dir) and names.is_client_junk(name)
            if not row.is_dir:
                row.content_type = tree.guess_content_type(name)
    # Two steps, so that no intermediate state collides with the unique (space, path).
    FileEntry.objects.filter(pk__in=[row.pk for row in rows]).update(
        space_key="~moving-" + secrets.token_hex(6)
    )
    FileEntry.objects.bulk_update(
        rows,
        [
            "space_kind",
            "space_key",
            "path",
            "parent",
            "name",
            "name_fold",
            "hidden",
            "content_type",
        ],
        batch_size=500,
    )


def _discard_target(space: Space, path: str) -> tuple[int, str | None]:
    """Move an existing target that is being replaced aside on disk (renamed to a temporary
    name) and drop its index entries. Returns (its bytes, aside name) — the caller deletes
    the aside copy after commit, or renames it back on failure."""
    entry = tree.entries(space).filter(path=path).first()
    if entry is None:
        return 0, None
    size = _files_size(space, path)
    aside = tree.temp_name("replaced")
    with tree.dir_fd(space, entry.parent) as fd:
        os.rename(entry.name, aside, src_dir_fd=fd, dst_dir_fd=fd)
    tree.subtree(space, path).delete()
    return size, aside


def _drop_aside(space: Space, folder: str, aside: str | None) -> None:
    if aside is None:
        return
    with contextlib.suppress(NotFound, OSError), tree.dir_fd(space, folder) as fd:
        disk.remove_tree_at(fd, aside)


def _undo_aside(space: Space, folder: str, aside: str | None, name: str) -> None:
    if aside is None:
        return
    with contextlib.suppress(NotFound, OSError), tree.dir_fd(space, folder) as fd:
        os.rename(aside, name, src_dir_fd=fd, dst_dir_fd=fd)


def do_move(
    src_space: Space,
    src_path: str,
    dst_space: Space,
    dst_path: str,
    *,
    acting_user: User,
    overwrite: bool = False,
) -> Node:
    """Move or rename a file or folder, also between spaces (then the destination's quota
    must have room: :class:`QuotaExceeded`). An existing destination is replaced only with
    ``overwrite`` (else :class:`AlreadyExists`); the replaced item is deleted for good, as
    with an overwriting upload."""
    src = canonical_path(src_path)
    dst = canonical_path(dst_path)
    _check_target(src_space, src, dst_space, dst)
    entry = tree.entries(src_space).filter(path=src).first()
    if entry is None:
        raise NotFound()
    dst_folder, dst_name = names.parent_and_name(dst)
    tree.require_folder(dst_space, dst_folder)
    if src_space == dst_space and src == dst:
        return stat(src_space, src)
    target = tree.entries(dst_space).filter(path=dst).first()
    if target is not None and not overwrite:
        raise AlreadyExists()
    if target is not None and (src_space == dst_space and src.startswith(dst + "/")):
        raise Conflict(_("Ein Ordner kann nicht durch seinen eigenen Inhalt ersetzt werden."))
    moved_bytes = _files_size(src_space, src)
    aside: str | None = None
    src_ledger = quota.ledger_for(src_space)
    dst_ledger = quota.ledger_for(dst_space)
    try:
        with transaction.atomic():
            replaced_bytes, aside = (0, None)
            if target is not None:
                replaced_bytes, aside = _discard_target(dst_space, dst)
                quota.credit(dst_ledger, replaced_bytes)
            if src_ledger.pk != dst_ledger.pk:
                quota.charge(dst_space, dst_ledger, moved_bytes)
                quota.credit(src_ledger, moved_bytes)
            _rewrite_paths(src_space, src, dst_space, dst)
            tree.touch(src_space, entry.parent)
            tree.touch(dst_space, dst_folder)
            if tree.audited(src_space, dst_space):
                tree.audit(
                    AuditEvent.FILES_MOVE,
                    dst_space,
                    acting_user=acting_user,
                    details={
                        "from": "%s:%s/%s" % (src_space.kind, src_space.key, src),
                        "to": dst,
                        "replaced": target is not None,
                    },
                )
            with (
                tree.dir_fd(src_space, entry.parent) as src_fd,
                tree.dir_fd(dst_space, dst_folder) as dst_fd,
            ):
                os.rename(entry.name, dst_name, src_dir_fd=src_fd, dst_dir_fd=dst_fd)
                disk.fsync_dir(dst_fd)
                disk.fsync_dir(src_fd)
    except BaseException:
        _undo_aside(dst_space, dst_folder, aside, dst_name)
        raise
    _drop_aside(dst_space, dst_folder, aside)
    return stat(dst_space, dst)


def do_copy(
    src_space: Space,
    src_path: str,
    dst_space: Space,
    dst_path: str,
    *,
    acting_user: User,
    overwrite: bool = False,
    recursive: bool = True,
) -> Node:
    """Copy a file or a whole folder (also between spaces). The copy's bytes are reserved in
    the destination's quota first (:class:`QuotaExceeded`); the copy is built under a
    temporary name and appears at once when complete. Modification times are kept.
    ``recursive=False`` copies a folder without its content (WebDAV ``Depth: 0``)."""
    src = canonical_path(src_path)
    dst = canonical_path(dst_path)
    _check_target(src_space, src, dst_space, dst)
    entry = tree.entries(src_space).filter(path=src).first()
    if entry is None:
        raise NotFound()
    dst_folder, dst_name = names.parent_and_name(dst)
    tree.require_folder(dst_space, dst_folder)
    target = tree.entries(dst_space).filter(path=dst).first()
    if target is not None and not overwrite:
        raise AlreadyExists()
    if target is not None and (src_space == dst_space and src.startswith(dst + "/")):
        raise Conflict(_("Ein Ordner kann nicht durch seinen eigenen Inhalt ersetzt werden."))
    if recursive:
        sources = sorted(
            tree.subtree(src_space, src), key=lambda row: (row.path.count("/"), row.path)
        )
    else:
        sources = [entry]
    total = sum(row.size for row in sources if not row.is_dir)
    dst_ledger = quota.ledger_for(dst_space)
    temp = tree.temp_name("copy")
    with tree.dir_fd(dst_space, dst_folder) as dst_fd:
        reservation: Reservation | None = None
        aside: str | None = None
        temp_fd = -1
        try:
            # The temporary file or folder is locked like an upload's, for the recovery.
            if entry.is_dir:
                os.mkdir(temp, 0o700, dir_fd=dst_fd)
                temp_fd = os.open(temp, disk.DIR_FLAGS, dir_fd=dst_fd)
            else:
                temp_fd = os.open(
                    temp,
                    os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                    0o600,
                    dir_fd=dst_fd,
                )
            quota.lock_temp_file(temp_fd)
            reservation = quota.reserve(
                dst_space, dst_ledger, total, tree.relative_to_root(dst_space, dst_folder, temp)
            )
            rows = _copy_tree(src_space, src, sources, dst_space, dst, temp_fd)
            with transaction.atomic():
                replaced = 0
                if target is not None:
                    replaced, aside = _discard_target(dst_space, dst)
                quota.settle(dst_space, reservation, total - replaced)
                FileEntry.objects.bulk_create(rows, batch_size=500)
                tree.touch(dst_space, dst_folder)
                if tree.audited(src_space, dst_space):
                    tree.audit(
                        AuditEvent.FILES_COPY,
                        dst_space,
                        acting_user=acting_user,
                        details={
                            "from": "%s:%s/%s" % (src_space.kind, src_space.key, src),
                            "to": dst,
                            "size": total,
                        },
                    )
                os.rename(temp, dst_name, src_dir_fd=dst_fd, dst_dir_fd=dst_fd)
            disk.fsync_dir(dst_fd)
            reservation = None
        except BaseException:
            with contextlib.suppress(OSError):
                disk.remove_tree_at(dst_fd, temp)
            if reservation is not None:
                quota.cancel(reservation)
            if aside is not None:
                with contextlib.suppress(OSError):
                    os.rename(aside, dst_name, src_dir_fd=dst_fd, dst_dir_fd=dst_fd)
            raise
        finally:
            if temp_fd >= 0:
                os.close(temp_fd)
        if aside is not None:
            with contextlib.suppress(OSError):
                disk.remove_tree_at(dst_fd, aside)
    return stat(dst_space, dst)


def _copy_into(src_root: Any, path: str, out_fd: int) -> os.stat_result:
    """Copy the file ``path`` of a space (root ``src_root``) into the open ``out_fd``."""
    parts = path.split("/")
    try:
        fd_in = disk.open_file_read(src_root, parts)
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        raise NotFound(
            _("„%(name)s“ wurde während des Kopierens gelöscht.") % {"name": parts[-1]}
        ) from None
    try:
        info = os.fstat(fd_in)
        with (
            os.fdopen(fd_in, "rb", closefd=False) as reader,
            os.fdopen(out_fd, "wb", closefd=False) as writer,
        ):
            shutil.copyfileobj(reader, writer, tree.CHUNK)
            writer.flush()
        os.fsync(out_fd)
        os.utime(out_fd, (info.st_atime, info.st_mtime))
        return info
    finally:
        os.close(fd_in)


def _copy_tree(
    src_space: Space,
    src: str,
    sources: list[FileEntry],
    dst_space: Space,
    dst: str,
    temp_fd: int,
) -> list[FileEntry]:
    """Copy the indexed ``sources`` (the subtree of ``src``, parents first) into the
    temporary file or folder ``temp_fd`` and return the index rows of the copy at ``dst``."""
    rows: list[FileEntry] = []
    src_root = tree.space_root(src_space)
    for row in sources:
        rel = row.path[len(src) :].lstrip("/")
        new_path = dst + ("/" + rel if rel else "")
        if row.is_dir:
            if rel:
                *parents, name = rel.split("/")
                with disk.open_dir_from(temp_fd, parents) as fd:
                    os.mkdir(name, 0o700, dir_fd=fd)
            rows.append(tree.entry_for(dst_space, new_path, is_dir=True, modified=row.modified))
            continue
        if not rel:
            info = _copy_into(src_root, row.path, temp_fd)
        else:
            *parents, name = rel.split("/")
            with disk.open_dir_from(temp_fd, parents) as fd:
                out = os.open(
                    name,
                    os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                    0o600,
                    dir_fd=fd,
                )
                try:
                    info = _copy_into(src_root, row.path, out)
                finally:
                    os.close(out)
        rows.append(
            tree.entry_for(
                dst_space,
                new_path,
                is_dir=False,
                size=info.st_size,
                modified=row.modified,
                content_type=row.content_type,
            )
        )
    return rows


# --- Trash -------------------------------------------------------------------------------


def _trash_root(space: Space) -> Any:
    root = disk.trash_dir(space.kind, space.key)
    disk.ensure_dir(root)
    return root


def do_delete(space: Space, path: str, *, acting_user: User) -> TrashEntry | None:
    """Delete a file or folder into the space's trash (it keeps counting for the quota until
    the trash is emptied or expires). Clients' bookkeeping files (``.DS_Store``, ``._*``,
    ``~$*``, LibreOffice lock files) are deleted for good instead; then None is returned."""
    path = canonical_path(path)
    if not path:
        raise Conflict(_("Der Hauptordner kann nicht gelöscht werden."))
    entry = tree.entries(space).filter(path=path).first()
    if entry is None:
        raise NotFound()
    if not entry.is_dir and names.is_client_junk(entry.name):
        _delete_for_good(space, entry)
        return None
    size = _files_size(space, path)
    trash = _trash_root(space)
    with transaction.atomic():
        item = TrashItem.objects.create(
            space_kind=space.kind,
            space_key=space.key,
            original_path=path,
            name=entry.name,
            is_dir=entry.is_dir,
            size=size,
            deleted_by=acting_user,
        )
        tree.subtree(space, path).delete()
        tree.touch(space, entry.parent)
        tree.audit(
            AuditEvent.FILES_DELETE,
            space,
            acting_user=acting_user,
            details={"path": path, "size": size, "trash_id": item.pk},
        )
        with tree.dir_fd(space, entry.parent) as src_fd, disk.open_dir(trash, []) as trash_fd:
            try:
                os.rename(entry.name, str(item.pk), src_dir_fd=src_fd, dst_dir_fd=trash_fd)
            except FileNotFoundError:
                raise NotFound() from None
            disk.fsync_dir(trash_fd)
            disk.fsync_dir(src_fd)
    return TrashEntry(
        id=item.pk,
        original_path=item.original_path,
        name=item.name,
        is_dir=item.is_dir,
        size=item.size,
        deleted=item.deleted,
    )


def _delete_for_good(space: Space, entry: FileEntry) -> None:
    ledger = quota.ledger_for(space)
    with transaction.atomic():
        tree.entries(space).filter(pk=entry.pk).delete()
        quota.credit(ledger, entry.size)
        with tree.dir_fd(space, entry.parent) as fd, contextlib.suppress(FileNotFoundError):
            os.unlink(entry.name, dir_fd=fd)


def _index_tree(space: Space, path: str, is_dir: bool) -> list[FileEntry]:
    """Index rows for what is on disk at ``path`` (after a restore)."""
    root = tree.space_root(space)
    parts = path.split("/")
    with disk.open_dir(root, parts[:-1]) as fd:
        info = disk.lstat_at(fd, parts[-1])
    if info is None:
        raise NotFound()
    rows = [
        tree.entry_for(
            space,
            path,
            is_dir=is_dir,
            size=info.st_size,
            modified=datetime.fromtimestamp(info.st_mtime, tz=UTC),
        )
    ]
    if is_dir:
        for rel, child in disk.walk_files(root, parts):
            child_path = "/".join([path, *rel])
            try:
                canonical_path(child_path)
            except StorageError:
                continue
            rows.append(
                tree.entry_for(
                    space,
                    child_path,
                    is_dir=stat_module.S_ISDIR(child.st_mode),
                    size=child.st_size,
                    modified=datetime.fromtimestamp(child.st_mtime, tz=UTC),
                )
            )
    return rows


def do_restore(space: Space, trash_id: int, *, acting_user: User) -> Node:
    """Put a trash entry back where it was. Missing parent folders are created again; if the
    name is taken meanwhile, the restored item gets a free name (``Name (2).txt``)."""
    item = TrashItem.objects.filter(pk=trash_id, space_kind=space.kind, space_key=space.key).first()
    if item is None:
        raise NotFound(_("Dieser Eintrag ist nicht mehr im Papierkorb."))
    folder, name = names.parent_and_name(item.original_path)
    if folder:
        do_ensure_dirs(space, folder, acting_user=acting_user)
    taken = set(tree.entries(space).filter(parent=folder).values_list("name", flat=True))
    with tree.dir_fd(space, folder) as fd:
        taken.update(os.listdir(fd))
    target = names.join(folder, names.free_name(name, taken))
    target_name = names.parent_and_name(target)[1]
    trash = _trash_root(space)
    with transaction.atomic():
        deleted, _rows = TrashItem.objects.filter(pk=item.pk).delete()
        if not deleted:
            raise NotFound(_("Dieser Eintrag ist nicht mehr im Papierkorb."))
        with disk.open_dir(trash, []) as trash_fd, tree.dir_fd(space, folder) as dst_fd:
            try:
                os.rename(str(item.pk), target_name, src_dir_fd=trash_fd, dst_dir_fd=dst_fd)
            except FileNotFoundError:
                raise NotFound(_("Dieser Eintrag ist nicht mehr im Papierkorb.")) from None
            try:
                rows = _index_tree(space, target, item.is_dir)
                FileEntry.objects.bulk_create(rows, batch_size=500)
                tree.touch(space, folder)
                tree.audit(
                    AuditEvent.FILES_RESTORE,
                    space,
                    acting_user=acting_user,
                    details={"path": target, "trash_id": item.pk, "size": item.size},
                )
            except BaseException:
                os.rename(target_name, str(item.pk), src_dir_fd=dst_fd, dst_dir_fd=trash_fd)
                raise
            disk.fsync_dir(dst_fd)
    return stat(space, target)


def _purge_trash_items(space: Space, items: list[TrashItem]) -> int:
    """Delete trash items for good (disk first, then rows and quota). Returns bytes freed."""
    if not items:
        return 0
    trash = disk.trash_dir(space.kind, space.key)
    ledger = quota.ledger_for(space)
    freed = 0
    for item in items:
        with transaction.atomic():
            deleted, _rows = TrashItem.objects.filter(pk=item.pk).delete()
            if not deleted:
                continue
            quota.credit(ledger, item.size)
            freed += item.size
        if trash.exists():
            with disk.open_dir(trash, []) as fd, contextlib.suppress(OSError):
                disk.remove_tree_at(fd, str(item.pk))
    return freed


def do_delete_from_trash(space: Space, trash_id: int, *, acting_user: User) -> int:
    """Delete one trash entry for good; returns the bytes freed."""
    item = TrashItem.objects.filter(pk=trash_id, space_kind=space.kind, space_key=space.key).first()
    if item is None:
        raise NotFound(_("Dieser Eintrag ist nicht mehr im Papierkorb."))
    freed = _purge_trash_items(space, [item])
    tree.audit(
        AuditEvent.FILES_TRASH_EMPTY,
        space,
        acting_user=acting_user,
        details={"items": 1, "size": freed, "trash_ids": [item.pk]},
    )
    return freed


def do_empty_trash(space: Space, *, acting_user: User) -> int:
    """Delete everything in the space's trash for good; returns the bytes freed."""
    items = list(TrashItem.objects.filter(space_kind=space.kind, space_key=space.key))
    freed = _purge_trash_items(space, items)
    tree.audit(
        AuditEvent.FILES_TRASH_EMPTY,
        space,
        acting_user=acting_user,
        details={"items": len(items), "size": freed},
    )
    return freed


def do_expire_trash(*, acting_user: User) -> int:
    """Delete trash entries older than the school's ``trash_retention_days`` (a periodic
    job); one audit entry per space. Returns the number of entries deleted."""
    from datetime import timedelta

    from schulhof.core.models import SchoolSettings
    from schulhof.files.storage import space_for_key

    cutoff = timezone.now() - timedelta(days=SchoolSettings.get().trash_retention_days)
    old = TrashItem.objects.filter(deleted__lt=cutoff).order_by("space_kind", "space_key")
    by_space: dict[tuple[str, str], list[TrashItem]] = {}
    for item in old:
        by_space.setdefault((item.space_kind, item.space_key), []).append(item)
    count = 0
    for (kind, key), items in by_space.items():
        try:
            space = space_for_key(kind, key)
        except NotFound:
            space = Space(kind, key, key)  # type: ignore[arg-type]
        freed = _purge_trash_items(space, items)
        count += len(items)
        tree.audit(
            AuditEvent.FILES_TRASH_EXPIRE,
            space,
            acting_user=acting_user,
            details={"items": len(items), "size": freed, "cutoff": cutoff.isoformat()},
        )
    return count


# --- Quota and lifecycle -----------------------------------------------------------------


def do_set_quota_override(user: User, limit_bytes: int | None, *, acting_user: User) -> None:
    """Give ``user`` a personal quota limit instead of their role's default (None: back to the
    default). Files already stored stay; new uploads need room."""
    _set_override(user_space(user), limit_bytes, acting_user=acting_user)


def do_set_group_quota_override(
    group: Group, limit_bytes: int | None, *, acting_user: User
) -> None:
    """A group folder's own limit instead of the default (None: back to the default)."""
    from schulhof.files.storage import group_space

    _set_override(group_space(group), limit_bytes, acting_user=acting_user)


def _set_override(space: Space, limit_bytes: int | None, *, acting_user: User) -> None:
    if limit_bytes is not None and limit_bytes < 0:
        raise StorageError(_("Die Grenze darf nicht negativ sein."))
    ledger = quota.ledger_for(space)
    old = ledger.limit_override
    if old == limit_bytes:
        return
    with transaction.atomic():
        QuotaLedger.objects.filter(pk=ledger.pk).update(limit_override=limit_bytes)
        tree.audit(
            AuditEvent.FILES_QUOTA_SET,
            space,
            acting_user=acting_user,
            details={"old": old, "new": limit_bytes},
        )


def do_purge_space(space: Space, *, acting_user: User) -> int:
    """Delete a space completely: files, trash, index, quota ledger, WebDAV locks and
    properties (a leaver's deletion, a group folder's removal). Idempotent. Returns the
    bytes that were stored."""
    from schulhof.files.models import DavLock, DavProperty

    ledger = QuotaLedger.objects.filter(space_kind=space.kind, space_key=space.key).first()
    used = ledger.used if ledger is not None else 0
    # Disk first: if we crash, the retry still finds the rows and deletes again.
    disk.remove_path(disk.space_dir(space.kind, space.key))
    disk.remove_path(disk.trash_dir(space.kind, space.key))
    from schulhof.files.dav import ref_prefix

    prefix = ref_prefix(space)
    with transaction.atomic():
        tree.entries(space).delete()
        TrashItem.objects.filter(space_kind=space.kind, space_key=space.key).delete()
        QuotaLedger.objects.filter(space_kind=space.kind, space_key=space.key).delete()
        DavLock.objects.annotate(_p=Left("root", len(prefix))).filter(_p=prefix).delete()
        DavProperty.objects.annotate(_p=Left("ref_url", len(prefix))).filter(_p=prefix).delete()
        tree.audit(
            AuditEvent.FILES_SPACE_PURGE,
            space,
            acting_user=acting_user,
            details={"size": used},
        )
    return used

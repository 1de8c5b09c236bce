"""Low-level file system access under ``DATA_DIR/files`` that never follows a symlink.

Every operation walks from a space's root with directory file descriptors opened with
``O_NOFOLLOW | O_DIRECTORY`` and acts relative to them (``dir_fd=``), so a symlink placed
on disk (by an admin, a restore, a later SMB share) can neither lead out of the space nor
be read through. Only names already checked by ``files.names`` reach this module.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat as stat_module
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings

DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK


def files_root() -> Path:
    """``DATA_DIR/files``: the root of all personal and group folders and the trash."""
    return Path(settings.DATA_DIR) / "files"


def _safe_key(key: str) -> str:
    # Usernames and slugs are ASCII without slashes; refuse anything that could leave the
    # folder of its kind, whatever another module lets through.
    if not key or key.startswith(".") or "/" in key or "\\" in key or "\x00" in key:
        raise ValueError("unsafe space key %r" % key)
    return key


def space_dir(kind: str, key: str) -> Path:
    """The folder of a space: ``users/<username>`` or ``groups/<slug>``."""
    return files_root() / ("users" if kind == "user" else "groups") / _safe_key(key)


def trash_dir(kind: str, key: str) -> Path:
    """Where the trash of a space keeps deleted items, one entry per trash id."""
    return files_root() / "trash" / ("users" if kind == "user" else "groups") / _safe_key(key)


def ensure_dir(path: Path) -> None:
    """Create a folder below the files root (mode 0700 up to the root)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.is_symlink():  # pragma: no cover - only an admin could do this
        raise OSError("refusing symlinked space folder %s" % path)


@contextlib.contextmanager
def open_dir(base: Path, parts: list[str], *, create: bool = False) -> Iterator[int]:
    """A file descriptor of the folder ``base/parts…``, walked without following symlinks.

    ``create=True`` creates missing folders on the way (used for space roots only; the index
    decides what may exist). Raises FileNotFoundError / NotADirectoryError / OSError(ELOOP)."""
    if create:
        ensure_dir(base)
    fd = os.open(base, DIR_FLAGS)
    try:
        for part in parts:
            try:
                next_fd = os.open(part, DIR_FLAGS, dir_fd=fd)
            except FileNotFoundError:
                if not create:
                    raise
                os.mkdir(part, 0o700, dir_fd=fd)
                next_fd = os.open(part, DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = next_fd
        yield fd
    finally:
        os.close(fd)


@contextlib.contextmanager
def open_dir_from(start_fd: int, parts: list[str]) -> Iterator[int]:
    """Like :func:`open_dir`, starting at an open folder fd (which stays open)."""
    fd = os.dup(start_fd)
    try:
        for part in parts:
            next_fd = os.open(part, DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = next_fd
        yield fd
    finally:
        os.close(fd)


def open_file_read(base: Path, parts: list[str]) -> int:
    """An fd of the regular file ``base/parts…`` for reading (no symlinks, no devices)."""
    with open_dir(base, parts[:-1]) as dir_fd:
        fd = os.open(parts[-1], READ_FLAGS, dir_fd=dir_fd)
    info = os.fstat(fd)
    if not stat_module.S_ISREG(info.st_mode):
        os.close(fd)
        raise IsADirectoryError(parts[-1])
    os.set_blocking(fd, True)
    return fd


def lstat_at(dir_fd: int, name: str) -> os.stat_result | None:
    """``lstat`` of a name in a folder, None if missing."""
    try:
        return os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None


def remove_tree_at(dir_fd: int, name: str) -> None:
    """Delete a file or a whole folder tree inside ``dir_fd`` (symlinks are unlinked,
    never followed)."""
    info = lstat_at(dir_fd, name)
    if info is None:
        return
    if not stat_module.S_ISDIR(info.st_mode):
        os.unlink(name, dir_fd=dir_fd)
        return
    sub = os.open(name, DIR_FLAGS, dir_fd=dir_fd)
    try:
        for child in os.listdir(sub):
            remove_tree_at(sub, child)
    finally:
        os.close(sub)
    os.rmdir(name, dir_fd=dir_fd)


def remove_path(path: Path) -> None:
    """Delete a whole folder tree given by path (space roots, trash folders of a space)."""
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    elif path.exists():
        shutil.rmtree(path)


def fsync_dir(dir_fd: int) -> None:
    """Make a rename or unlink in this folder durable."""
    with contextlib.suppress(OSError):
        os.fsync(dir_fd)


def walk_files(base: Path, parts: list[str]) -> Iterator[tuple[list[str], os.stat_result]]:
    """All regular files and folders below ``base/parts`` as (relative parts, lstat), parents
    before children; symlinks and special files are skipped."""
    with open_dir(base, parts) as fd:
        yield from _walk_fd(fd, [])


def _walk_fd(fd: int, prefix: list[str]) -> Iterator[tuple[list[str], os.stat_result]]:
    for name in sorted(os.listdir(fd)):
        info = lstat_at(fd, name)
        if info is None:
            continue
        if stat_module.S_ISDIR(info.st_mode):
            yield [*prefix, name], info
            sub = os.open(name, DIR_FLAGS, dir_fd=fd)
            try:
                yield from _walk_fd(sub, [*prefix, name])
            finally:
                os.close(sub)
        elif stat_module.S_ISREG(info.st_mode):
            yield [*prefix, name], info

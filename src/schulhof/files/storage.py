"""The files module's read API: spaces, access checks, listing, reading, search, trash, usage.

Everything that *changes* files is in ``files.actions`` (``do_write_file``, ``do_make_dir``,
``do_move``, ``do_copy``, ``do_delete``, ``do_restore``, ``do_empty_trash``, …).

Concepts:

- A **space** is a personal folder (``kind="user"``, ``key`` = username) or a group folder
  (``kind="group"``, ``key`` = group slug) of a group with ``has_folder``.
- A **path** inside a space is ``""`` for its root or names joined by ``/`` (no leading or
  trailing slash), NFC-normalised. Every function accepts any user input as path and
  canonicalises it with ``files.names`` (raising :class:`InvalidName`), so ``..``, backslashes,
  NUL and the like can never reach the disk.
- Files are ordinary files under ``DATA_DIR/files/users/<username>/…`` and
  ``DATA_DIR/files/groups/<slug>/…``; the database index (``FileEntry``) describes them for
  fast listing, search and quota. Reads go through the index, then open the file on disk
  without following symlinks.
- **ETags** are opaque strings *without* quotes; HTTP adds the quotes.

These functions do not check permissions; callers check with :func:`check_access` first.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, BinaryIO, Literal

from django.db.models.functions import Left
from django.utils.translation import gettext as _

from schulhof.files import disk, names
from schulhof.files.errors import (
    AlreadyExists,
    Conflict,
    Forbidden,
    InvalidName,
    NotFound,
    QuotaExceeded,
    StorageError,
    TooLarge,
)
from schulhof.files.models import FileEntry, TrashItem

if TYPE_CHECKING:
    from schulhof.accounts.models import Group, User

__all__ = [
    "AlreadyExists",
    "Conflict",
    "Forbidden",
    "InvalidName",
    "Node",
    "NotFound",
    "QuotaExceeded",
    "Space",
    "StorageError",
    "TooLarge",
    "TrashEntry",
    "Usage",
    "canonical_path",
    "check_access",
    "group_space",
    "list_dir",
    "open_read",
    "search",
    "space_for_key",
    "spaces_for",
    "stat",
    "trash_list",
    "usage_for_space",
    "usage_for_user",
    "user_space",
    "walk",
]

SpaceKindName = Literal["user", "group"]


@dataclass(frozen=True)
class Space:
    """A personal folder or a group folder. ``key`` is the username or the group slug;
    ``title`` is what the user sees (``"Eigene Dateien"`` or the group's name)."""

    kind: SpaceKindName
    key: str
    title: str

    def __eq__(self, other: object) -> bool:
        # The title is for display only (and depends on the language).
        return isinstance(other, Space) and (self.kind, self.key) == (other.kind, other.key)

    def __hash__(self) -> int:
        return hash((self.kind, self.key))


@dataclass(frozen=True)
class Node:
    """A file or folder as listed: ``path`` is canonical (``""`` for the space root), ``size``
    is 0 for folders, ``modified`` timezone-aware, ``etag`` without quotes, ``content_type``
    empty for folders. ``hidden`` marks clients' bookkeeping files (``.DS_Store``, ``._*``,
    ``~$*``), which the web file manager does not list."""

    space: Space
    path: str
    name: str
    is_dir: bool
    size: int
    modified: datetime
    etag: str
    content_type: str
    hidden: bool = False

    @property
    def parent_path(self) -> str:
        """The containing folder's path (``""`` for entries in the root and for the root)."""
        return self.path.rpartition("/")[0]


@dataclass(frozen=True)
class TrashEntry:
    """A deleted file or folder in a space's trash; ``size`` counts all files inside."""

    id: int
    original_path: str
    name: str
    is_dir: bool
    size: int
    deleted: datetime


@dataclass(frozen=True)
class Usage:
    """Bytes used by files (including the trash and running uploads) and by mail, their sum,
    and the limit (both counted against it)."""

    files: int
    mail: int
    used: int
    limit: int

    @property
    def free(self) -> int:
        """Bytes still available (never negative)."""
        return max(0, self.limit - self.used)

    @property
    def percent(self) -> int:
        """Used share of the limit in whole percent (0–100), for a quota bar."""
        if self.limit <= 0:
            return 100
        return min(100, round(100 * self.used / self.limit))


# --- Spaces and access -------------------------------------------------------------------


def user_space(user: User) -> Space:
    """The personal space of ``user``."""
    return Space("user", user.username, _("Eigene Dateien"))


def group_space(group: Group) -> Space:
    """The folder of ``group`` (whether or not it has ``has_folder``; see
    :func:`check_access`)."""
    return Space("group", group.slug, group.name)


def spaces_for(user: User) -> list[Space]:
    """The user's own space, then the folders of the groups with a folder that the user is a
    member of, sorted by name."""
    from schulhof.accounts.models import Group

    groups = Group.objects.filter(has_folder=True, membership__user=user).order_by("name")
    return [user_space(user), *(group_space(group) for group in groups)]


def space_for_key(kind: str, key: str) -> Space:
    """The space of that kind and key, with its title; :class:`NotFound` if there is no such
    user or group folder."""
    from schulhof.accounts.models import Group, User

    if kind == "user":
        user = User.objects.filter(username=key).first()
        if user is None:
            raise NotFound()
        return user_space(user)
    if kind == "group":
        group = Group.objects.filter(slug=key, has_folder=True).first()
        if group is None:
            raise NotFound(_("Diesen Gruppenordner gibt es nicht."))
        return group_space(group)
    raise NotFound()


def check_access(user: Any, space: Space, *, write: bool) -> None:
    """Raise :class:`Forbidden` (with the German reason) unless ``user`` may read ``space``,
    or write to it with ``write=True``. Honours the account state and the sanctions
    ``files`` and ``files_write``; see ``files.policies``."""
    from schulhof.files.policies import refusal

    reason = refusal(user, space, write=write)
    if reason is not None:
        raise Forbidden(reason)


# --- Paths -------------------------------------------------------------------------------


def canonical_path(raw: str) -> str:
    """Canonicalise user input into a path (NFC, no empty segments); :class:`InvalidName`
    with a German message if a name is not allowed."""
    try:
        return names.clean_path(raw)
    except names.BadName as error:
        raise InvalidName(error.message) from None


def _entries(space: Space) -> Any:
    return FileEntry.objects.filter(space_kind=space.kind, space_key=space.key)


def _node(space: Space, entry: FileEntry) -> Node:
    return Node(
        space=space,
        path=entry.path,
        name=entry.name,
        is_dir=entry.is_dir,
        size=entry.size,
        modified=entry.modified,
        etag=entry.etag,
        content_type=entry.content_type,
        hidden=entry.hidden,
    )


def _entry(space: Space, path: str) -> FileEntry:
    entry = _entries(space).filter(path=path).first()
    if entry is None:
        raise NotFound()
    return entry


def _root_node(space: Space) -> Node:
    root = disk.space_dir(space.kind, space.key)
    try:
        info = os.stat(root, follow_symlinks=False)
        modified = datetime.fromtimestamp(info.st_mtime, tz=UTC)
    except FileNotFoundError:
        modified = datetime(2000, 1, 1, tzinfo=UTC)
    return Node(
        space=space,
        path="",
        name=space.title,
        is_dir=True,
        size=0,
        modified=modified,
        etag="root-%d" % int(modified.timestamp() * 1000),
        content_type="",
    )


# --- Reading -----------------------------------------------------------------------------


def stat(space: Space, path: str) -> Node:
    """The file or folder at ``path`` (the root for ``""``); :class:`NotFound` if missing."""
    path = canonical_path(path)
    if not path:
        return _root_node(space)
    return _node(space, _entry(space, path))


def list_dir(space: Space, path: str, *, include_hidden: bool = False) -> list[Node]:
    """The entries of the folder at ``path``: folders first, then files, each by name
    (case-insensitive). Clients' bookkeeping files are left out unless ``include_hidden``.
    :class:`NotFound` if there is no such folder, :class:`Conflict` if it is a file."""
    path = canonical_path(path)
    if path:
        entry = _entry(space, path)
        if not entry.is_dir:
            raise Conflict(_("„%(name)s“ ist kein Ordner.") % {"name": entry.name})
    rows = _entries(space).filter(parent=path)
    if not include_hidden:
        rows = rows.filter(hidden=False)
    nodes = [_node(space, entry) for entry in rows]
    nodes.sort(key=lambda node: (not node.is_dir, node.name.casefold(), node.name))
    return nodes


def walk(space: Space, path: str, *, include_hidden: bool = False) -> list[Node]:
    """All files and folders below the folder at ``path`` (not the folder itself), parents
    before their children, sorted by path (e.g. for a ZIP download)."""
    path = canonical_path(path)
    if path:
        entry = _entry(space, path)
        if not entry.is_dir:
            raise Conflict(_("„%(name)s“ ist kein Ordner.") % {"name": entry.name})
        prefix = path + "/"
        # Not path__startswith: SQLite's LIKE ignores case.
        rows = _entries(space).annotate(_prefix=Left("path", len(prefix))).filter(_prefix=prefix)
    else:
        rows = _entries(space)
    if not include_hidden:
        rows = rows.filter(hidden=False)
    # Sorted here: PostgreSQL's collation may ignore "/" when ordering.
    return sorted((_node(space, entry) for entry in rows), key=lambda node: node.path.split("/"))


def open_read(space: Space, path: str) -> BinaryIO:
    """Open the file at ``path`` for reading in binary mode. The caller closes it; it is a
    real file, so ``seek`` works (for HTTP Range requests). :class:`NotFound` if missing,
    :class:`Conflict` for a folder."""
    path = canonical_path(path)
    if not path:
        raise Conflict(_("Ein Ordner kann nicht als Datei gelesen werden."))
    entry = _entry(space, path)
    if entry.is_dir:
        raise Conflict(_("Ein Ordner kann nicht als Datei gelesen werden."))
    try:
        fd = disk.open_file_read(disk.space_dir(space.kind, space.key), path.split("/"))
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        raise NotFound() from None
    except OSError as error:  # ELOOP: a symlink on disk; we never follow it
        raise NotFound() from error
    return os.fdopen(fd, "rb")


def search(space: Space, query: str, *, limit: int = 200) -> list[Node]:
    """Files and folders in the whole space whose name contains ``query`` (case-insensitive,
    NFC), folders first, at most ``limit``. An empty query finds nothing."""
    needle = names.normalise(query).strip().casefold()
    if not needle:
        return []
    rows = (
        _entries(space)
        .filter(name_fold__contains=needle, hidden=False)
        .order_by("-is_dir", "name_fold", "path")[: max(0, limit)]
    )
    return [_node(space, entry) for entry in rows]


# --- Trash and usage ---------------------------------------------------------------------


def trash_list(space: Space) -> list[TrashEntry]:
    """The space's trash, newest first."""
    rows = TrashItem.objects.filter(space_kind=space.kind, space_key=space.key).order_by(
        "-deleted", "-id"
    )
    return [
        TrashEntry(
            id=item.pk,
            original_path=item.original_path,
            name=item.name,
            is_dir=item.is_dir,
            size=item.size,
            deleted=item.deleted,
        )
        for item in rows
    ]


def usage_for_user(user: User) -> Usage:
    """The user's personal quota: their files (with trash) plus their mail, and their limit
    (role default or personal override)."""
    from schulhof.files import quota

    return quota.usage(user_space(user), user=user)


def usage_for_space(space: Space) -> Usage:
    """The quota of a space: for a personal space the same as :func:`usage_for_user`; for a
    group folder its files against the group folder's limit (mail is 0)."""
    from schulhof.files import quota

    return quota.usage(space)

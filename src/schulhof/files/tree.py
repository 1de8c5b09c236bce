"""Shared helpers of the write path: index queries, disk access, audit, temporary names.

Used by ``files.actions`` and ``files.writing``; not an API for other modules.
"""

from __future__ import annotations

import contextlib
import mimetypes
import secrets
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet
from django.db.models.functions import Left
from django.utils import timezone
from django.utils.translation import gettext as _

from schulhof.core.actions import log_event
from schulhof.core.audit import AuditEvent
from schulhof.files import disk, names
from schulhof.files.errors import Conflict, NotFound
from schulhof.files.models import FileEntry
from schulhof.files.storage import Space

if TYPE_CHECKING:
    from schulhof.accounts.models import User

CHUNK = 1024 * 1024
# Unknown-size uploads reserve quota in steps of this size.
RESERVE_STEP = 16 * 1024 * 1024
TEMP_PREFIX = names.RESERVED_PREFIX + "-"


def entries(space: Space) -> QuerySet[FileEntry]:
    return FileEntry.objects.filter(space_kind=space.kind, space_key=space.key)


def subtree(space: Space, path: str) -> QuerySet[FileEntry]:
    """The entry at ``path`` and everything below it. A case-sensitive prefix test that works
    alike on SQLite (whose LIKE ignores case) and PostgreSQL (whose collations do not compare
    bytewise)."""
    prefix = path + "/"
    return (
        entries(space)
        .annotate(_prefix=Left("path", len(prefix)))
        .filter(Q(path=path) | Q(_prefix=prefix))
    )


def space_root(space: Space) -> Any:
    root = disk.space_dir(space.kind, space.key)
    disk.ensure_dir(root)
    return root


@contextlib.contextmanager
def dir_fd(space: Space, path: str) -> Iterator[int]:
    """An fd of the folder ``path`` of ``space`` on disk (no symlinks followed)."""
    parts = path.split("/") if path else []
    try:
        with disk.open_dir(space_root(space), parts) as fd:
            yield fd
    except (FileNotFoundError, NotADirectoryError):
        raise NotFound() from None


def new_etag() -> str:
    """A fresh opaque entity tag (without quotes)."""
    return secrets.token_hex(10)


def guess_content_type(name: str) -> str:
    """The MIME type by file name (``application/octet-stream`` if unknown)."""
    return mimetypes.guess_type(name, strict=False)[0] or "application/octet-stream"


def entry_for(
    space: Space,
    path: str,
    *,
    is_dir: bool,
    size: int = 0,
    modified: datetime | None = None,
    etag: str | None = None,
    content_type: str | None = None,
) -> FileEntry:
    parent, name = names.parent_and_name(path)
    return FileEntry(
        space_kind=space.kind,
        space_key=space.key,
        path=path,
        parent=parent,
        name=name,
        name_fold=name.casefold(),
        is_dir=is_dir,
        size=0 if is_dir else size,
        modified=modified or timezone.now(),
        etag=etag or new_etag(),
        content_type="" if is_dir else (content_type or guess_content_type(name)),
        hidden=(not is_dir) and names.is_client_junk(name),
    )


def touch(space: Space, folder: str) -> None:
    """A folder's content changed: new modification time and ETag (clients cache listings)."""
    if folder:
        entries(space).filter(path=folder).update(modified=timezone.now(), etag=new_etag())


def require_folder(space: Space, path: str) -> None:
    """The folder ``path`` must exist in the index (the root always does)."""
    if not path:
        return
    entry = entries(space).filter(path=path).first()
    if entry is None:
        raise Conflict(_("Der Zielordner existiert nicht."))
    if not entry.is_dir:
        raise Conflict(_("„%(name)s“ ist kein Ordner.") % {"name": entry.name})


def audited(*spaces: Space) -> bool:
    return any(space.kind == "group" for space in spaces)


def audit(event: AuditEvent, space: Space, *, acting_user: User, details: dict[str, Any]) -> None:
    from schulhof.accounts.models import Group, User

    modified_user = None
    modified_group = None
    if space.kind == "user":
        modified_user = User.objects.filter(username=space.key).first()
    else:
        modified_group = Group.objects.filter(slug=space.key).first()
    log_event(
        event,
        acting_user=acting_user,
        modified_user=modified_user,
        modified_group=modified_group,
        details={"space": "%s:%s" % (space.kind, space.key), **details},
    )


def temp_name(kind: str) -> str:
    return "%s%s-%s" % (TEMP_PREFIX, kind, secrets.token_hex(8))


def relative_to_root(space: Space, folder: str, name: str) -> str:
    """A path relative to the files root (for reservations)."""
    base = disk.space_dir(space.kind, space.key).relative_to(disk.files_root())
    return str(base / folder / name) if folder else str(base / name)

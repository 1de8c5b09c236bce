"""Writing one file: :class:`PendingWrite`, the atomic, quota-safe upload behind
``actions.do_write_file`` and WebDAV PUT."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, BinaryIO

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from schulhof.core.audit import AuditEvent
from schulhof.files import disk, names, quota, tree
from schulhof.files.errors import AlreadyExists, Conflict, QuotaExceeded, StorageError
from schulhof.files.models import Reservation
from schulhof.files.storage import Node, Space, canonical_path

if TYPE_CHECKING:
    from schulhof.accounts.models import User

logger = logging.getLogger(__name__)


class PendingWrite:
    """A file being written: ``write()`` bytes, then ``commit()`` (or ``abort()``).

    The constructor checks the target, creates and locks the temporary file next to it and
    reserves quota (all of ``expected_size`` at once, or in steps while writing). Nothing is
    visible until ``commit()``; ``abort()`` (also on any error) removes the temporary file and
    gives the reservation back. Used by :func:`do_write_file` and by the WebDAV adapter,
    which receives the body in pieces."""

    def __init__(
        self,
        space: Space,
        path: str,
        *,
        acting_user: User,
        overwrite: bool = True,
        expected_size: int | None = None,
        content_type: str | None = None,
    ) -> None:
        self.space = space
        self.path = canonical_path(path)
        if not self.path:
            raise Conflict(_("Der Hauptordner kann nicht überschrieben werden."))
        self.folder, self.name = names.parent_and_name(self.path)
        self.acting_user = acting_user
        self.overwrite = overwrite
        self.expected_size = expected_size
        self.content_type = content_type
        self.written = 0
        self._done = False
        self._file: BinaryIO | None = None
        self._dir_fd: int | None = None
        self._reservation: Reservation | None = None

        if expected_size is not None:
            if expected_size < 0:
                raise StorageError(_("Ungültige Dateigröße."))
            quota.check_upload_size(expected_size)
        tree.require_folder(space, self.folder)
        existing = tree.entries(space).filter(path=self.path).first()
        if existing is not None:
            if existing.is_dir:
                raise Conflict(
                    _("Es gibt schon einen Ordner „%(name)s“.") % {"name": existing.name}
                )
            if not overwrite:
                raise AlreadyExists()
        old_size = existing.size if existing is not None else 0
        self.ledger = quota.ledger_for(space)

        parts = self.folder.split("/") if self.folder else []
        try:
            dir_cm = disk.open_dir(tree.space_root(space), parts)
            self._dir_cm = dir_cm
            self._dir_fd = dir_cm.__enter__()
        except (FileNotFoundError, NotADirectoryError):
            raise Conflict(_("Der Zielordner existiert nicht.")) from None
        try:
            self.temp_name = tree.temp_name("upload")
            fd = os.open(
                self.temp_name,
                os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                0o600,
                dir_fd=self._dir_fd,
            )
            self._file = os.fdopen(fd, "wb", buffering=tree.CHUNK)
            quota.lock_temp_file(fd)
            initial = 0 if expected_size is None else max(0, expected_size - old_size)
            self._reservation = quota.reserve(
                space,
                self.ledger,
                initial,
                tree.relative_to_root(space, self.folder, self.temp_name),
            )
        except BaseException:
            self.abort()
            raise

    def write(self, data: bytes) -> None:
        """Append ``data`` (reserving more quota first if needed)."""
        if self._done or self._file is None or self._reservation is None:
            raise StorageError(_("Das Hochladen wurde bereits beendet."))
        if not data:
            return
        try:
            total = self.written + len(data)
            if self.expected_size is not None:
                if total > self.expected_size:
                    raise StorageError(_("Es kamen mehr Daten als angekündigt."))
            else:
                quota.check_upload_size(total)
                if total > self._reservation.bytes:
                    self._grow(total - self._reservation.bytes)
            self._file.write(data)
            self.written = total
        except BaseException:
            self.abort()
            raise

    def _grow(self, needed: int) -> None:
        if self._reservation is None:  # pragma: no cover - write() checked it
            raise StorageError()
        try:
            quota.grow(self.space, self._reservation, max(needed, tree.RESERVE_STEP))
        except QuotaExceeded:
            # Close to the limit a whole step may not fit, the last bytes might.
            quota.grow(self.space, self._reservation, needed)

    def commit(self) -> Node:
        """Make the file visible: fsync, then in one transaction settle the quota, update the
        index and rename the temporary file over the target."""
        if self._done or self._file is None or self._reservation is None:
            raise StorageError(_("Das Hochladen wurde bereits beendet."))
        try:
            if self.expected_size is not None and self.written != self.expected_size:
                raise StorageError(
                    _("Die Übertragung wurde unterbrochen; die Datei wurde nicht gespeichert.")
                )
            self._file.flush()
            os.fsync(self._file.fileno())
            now = timezone.now()
            os.utime(self._file.fileno(), (now.timestamp(), now.timestamp()))
            with transaction.atomic():
                existing = (
                    tree.entries(self.space).select_for_update().filter(path=self.path).first()
                )
                if existing is not None and existing.is_dir:
                    raise Conflict(
                        _("Es gibt schon einen Ordner „%(name)s“.") % {"name": existing.name}
                    )
                if existing is not None and not self.overwrite:
                    raise AlreadyExists()
                tree.require_folder(self.space, self.folder)
                old_size = existing.size if existing is not None else 0
                quota.settle(self.space, self._reservation, self.written - old_size)
                entry = tree.entry_for(
                    self.space,
                    self.path,
                    is_dir=False,
                    size=self.written,
                    modified=now,
                    content_type=self.content_type,
                )
                if existing is not None:
                    entry.pk = existing.pk
                try:
                    with transaction.atomic():
                        entry.save()
                except IntegrityError:
                    raise AlreadyExists(
                        _(
                            "Die Datei wurde gerade von jemand anderem angelegt. Bitte erneut "
                            "versuchen."
                        )
                    ) from None
                tree.touch(self.space, self.folder)
                if tree.audited(self.space):
                    tree.audit(
                        AuditEvent.FILES_UPLOAD,
                        self.space,
                        acting_user=self.acting_user,
                        details={
                            "path": self.path,
                            "size": self.written,
                            "replaced": existing is not None,
                        },
                    )
                dir_fd = self._dir_fd
                os.rename(self.temp_name, self.name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
            if dir_fd is not None:
                disk.fsync_dir(dir_fd)
            self._done = True
            return Node(
                space=self.space,
                path=entry.path,
                name=entry.name,
                is_dir=False,
                size=entry.size,
                modified=entry.modified,
                etag=entry.etag,
                content_type=entry.content_type,
                hidden=entry.hidden,
            )
        except BaseException:
            self.abort()
            raise
        finally:
            self._close()

    def abort(self) -> None:
        """Discard the upload: remove the temporary file, give the quota back."""
        if self._done:
            return
        self._done = True
        if self._dir_fd is not None and getattr(self, "temp_name", None):
            with contextlib.suppress(OSError):
                os.unlink(self.temp_name, dir_fd=self._dir_fd)
        if self._reservation is not None:
            try:
                quota.cancel(self._reservation)
            except Exception:
                # The recovery job gives it back once our lock is gone.
                logger.exception("could not cancel reservation %s", self._reservation.pk)
        self._close()

    def _close(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
            self._file = None
        if self._dir_fd is not None:
            with contextlib.suppress(Exception):
                self._dir_cm.__exit__(None, None, None)
            self._dir_fd = None


def chunks_of(stream: Iterable[bytes] | BinaryIO) -> Iterator[bytes]:
    read = getattr(stream, "read", None)
    if read is not None:
        while True:
            chunk = read(tree.CHUNK)
            if not chunk:
                return
            yield chunk
    else:
        yield from stream

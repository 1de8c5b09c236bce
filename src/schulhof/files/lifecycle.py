"""The files module's part in a person's lifecycle: deletion of a leaver's files and the
list of files for their data export (see ``accounts.lifecycle``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

from schulhof.accounts.lifecycle import ExportItem
from schulhof.files import storage

if TYPE_CHECKING:
    from schulhof.accounts.models import User

EXPORT_CHUNK = 1024 * 1024


def delete_person_files(user: User) -> None:
    """Delete the person's own space with its trash, index, quota ledger, locks and dead
    properties (idempotent). Group folders keep what the person put there: it belongs to
    the group."""
    from schulhof.accounts.models import get_system_actor
    from schulhof.files.actions import do_purge_space

    do_purge_space(storage.user_space(user), acting_user=get_system_actor())


def _reader(space: storage.Space, path: str) -> Callable[[], Iterable[bytes]]:
    def read() -> Iterator[bytes]:
        with storage.open_read(space, path) as handle:
            while chunk := handle.read(EXPORT_CHUNK):
                yield chunk

    return read


def export_person_files(user: User) -> Iterable[ExportItem]:
    """The files of the person's own space (not the trash, not group folders) as
    ``Dateien/<path>`` items of the data export, read lazily in chunks."""
    space = storage.user_space(user)
    for node in storage.walk(space, "", include_hidden=False):
        if node.is_dir:
            continue
        yield ExportItem(
            path="Dateien/" + node.path, open=_reader(space, node.path), size=node.size
        )

"""A folder as a ZIP archive, streamed: the archive is produced piece by piece while the
client downloads it, never built in memory or on disk.

The standard library's ``zipfile`` writes to any object with ``write``; given a stream that
cannot seek it writes data descriptors after each member instead of going back to patch the
local header, which is exactly what a one-way download needs. ZIP64 records are written for
members (and archives) beyond 4 GiB, so big files and folders work too. Names are stored as
UTF-8 with the language-encoding flag, which Windows Explorer, macOS and Linux tools read.
"""

from __future__ import annotations

import logging
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, BinaryIO, cast

from django.utils import timezone

logger = logging.getLogger(__name__)

CHUNK_SIZE = 256 * 1024

# Formats that are compressed already: deflating them again costs CPU and saves nothing.
STORED_EXTENSIONS = frozenset(
    {
        "7z", "aac", "avi", "bz2", "docx", "epub", "flac", "gif", "gz", "heic", "jpeg", "jpg",
        "key", "m4a", "m4v", "mkv", "mov", "mp3", "mp4", "odg", "odp", "ods", "odt", "ogg",
        "opus", "pages", "png", "pptx", "rar", "sb3", "tgz", "webm", "webp", "xlsx", "xz",
        "zip", "zst",
    }
)  # fmt: skip

# Members from this size on get ZIP64 fields in their local header (zipfile itself decides
# only from the size it is told, with a margin; being explicit keeps 2-4 GiB files safe).
ZIP64_FROM = 2**31

# The ZIP format cannot store times before 1980.
_EARLIEST = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class ZipMember:
    """One entry of the archive. ``name`` is the path inside the archive, with "/" between
    folders; a folder's name ends without a slash (it is added). ``open`` is called only when
    the member's turn comes, so a large tree never has more than one file open."""

    name: str
    is_dir: bool
    size: int
    modified: datetime | None
    open: Callable[[], BinaryIO] | None = None


class _Sink:
    """The file-like object ``zipfile`` writes into: it keeps what was written until the
    generator hands it on. It can tell its position but cannot seek, so ``zipfile`` streams."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._position = 0
        self.pending = 0

    def write(self, data: bytes) -> int:
        if data:
            self._parts.append(bytes(data))
            self._position += len(data)
            self.pending += len(data)
        return len(data)

    def tell(self) -> int:
        return self._position

    def flush(self) -> None:
        """Nothing to flush: the generator drains the parts."""

    def drain(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        self.pending = 0
        return data


def _date_time(modified: datetime | None) -> tuple[int, int, int, int, int, int]:
    if modified is None:
        modified = timezone.now()
    if timezone.is_aware(modified):
        modified = timezone.localtime(modified)
    stamp = (
        modified.year,
        modified.month,
        modified.day,
        modified.hour,
        modified.minute,
        modified.second,
    )
    return max(stamp, _EARLIEST)


def _compression_for(name: str) -> int:
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return zipfile.ZIP_STORED if extension in STORED_EXTENSIONS else zipfile.ZIP_DEFLATED


def stream_zip(members: Iterable[ZipMember], *, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
    """Yield the bytes of a ZIP archive of ``members``, a few hundred KiB at a time.

    A member that cannot be opened any more (deleted while the download runs) is skipped;
    that is the best a download that has already started can do. Memory use does not grow
    with the size of the files: each chunk read is compressed, written and handed on.
    """
    sink = _Sink()
    # strict_timestamps=False: clamp instead of failing on odd dates.
    with zipfile.ZipFile(
        cast("IO[bytes]", sink),  # _Sink has the part of the file API zipfile uses
        mode="w",
        compression=zipfile.ZIP_DEFLATED,
        compresslevel=6,
        allowZip64=True,
        strict_timestamps=False,
    ) as archive:
        for member in members:
            name = member.name.strip("/")
            if not name:
                continue
            if member.is_dir:
                info = zipfile.ZipInfo(name + "/", date_time=_date_time(member.modified))
                info.external_attr = (0o40755 << 16) | 0x10  # directory, also for Windows
                archive.writestr(info, b"")
                continue
            if member.open is None:
                continue
            try:
                source = member.open()
            except Exception as error:  # e.g. the storage's NotFound, or an OSError
                logger.warning("zip: skipped %s: %s", name, error)
                continue
            info = zipfile.ZipInfo(name, date_time=_date_time(member.modified))
            info.compress_type = _compression_for(name)
            info.external_attr = 0o100644 << 16
            # The size we expect decides whether the local header gets ZIP64 fields; a file
            # that grows past 4 GiB while we read it would otherwise fail the whole archive.
            info.file_size = member.size
            if sink.pending >= chunk_size:
                yield sink.drain()
            with (
                source,
                archive.open(info, mode="w", force_zip64=member.size >= ZIP64_FROM) as target,
            ):
                while True:
                    chunk = source.read(chunk_size)
                    if not chunk:
                        break
                    target.write(chunk)
                    # Deflate hands out small pieces; collect them into fewer, larger writes.
                    if sink.pending >= chunk_size:
                        yield sink.drain()
    # The central directory is written when the archive closes.
    tail = sink.drain()
    if tail:
        yield tail

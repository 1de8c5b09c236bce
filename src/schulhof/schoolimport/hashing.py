"""First passwords for many new people at once, hashed in parallel.

Argon2 (the production hasher) costs ~30 ms of CPU per hash by design; 1,300 new pupils are
about 40 CPU seconds. We hash before the import's transaction (so the database is not locked
meanwhile) in a pool of processes, one per core. The pool uses the ``spawn`` start method:
forking a web server process with threads is unsafe. Children only import the hasher class,
never Django's settings.

Starting the pool does not wait for it: ``start_first_passwords`` queues small chunks and
returns at once, so the caller can prepare its work meanwhile. ``PendingHashes.result()``
then lets this process hash too instead of only waiting: it takes chunks from the end of the
queue that no worker has started (cancelling their futures) while the workers take them
from the front. On an idle 2-core machine that changes nothing measurable (two workers keep
both cores busy; 600 hashes took 9.8 s either way, 9.6 s is the CPU cost); on a loaded one
the import gets a bigger share of the CPU (9.5 s instead of 12.7 s next to two busy
processes). Chunks of 16 (~0.5 s) keep the wait for the last one short.

Small batches are hashed in this process: starting the pool costs more than it saves.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from types import TracebackType

from django.contrib.auth.hashers import get_hasher

#: Below this many passwords the pool is not worth starting.
POOL_THRESHOLD = 16
#: At most this many processes (the benchmark's and a small server's two cores).
MAX_WORKERS = 2
#: Passwords per task: about half a second of work, small enough to share out evenly.
CHUNK_SIZE = 16


def _hasher_path() -> str:
    hasher = get_hasher("default")
    return "%s.%s" % (type(hasher).__module__, type(hasher).__qualname__)


def _hash_chunk(hasher_path: str, passwords: Sequence[str]) -> list[str]:
    """Runs in a pool process: the hasher from its dotted path, with its own random salts."""
    from django.utils.module_loading import import_string

    hasher = import_string(hasher_path)()
    return [hasher.encode(password, hasher.salt()) for password in passwords]


def default_workers() -> int:
    return max(1, min(MAX_WORKERS, os.cpu_count() or 1))


class PendingHashes:
    """Hashes being computed; ``result()`` helps and waits. Use as a context manager (or
    call ``close()``) so that the pool is shut down if the caller gives up early."""

    def __init__(self, passwords: Sequence[str], *, workers: int | None = None) -> None:
        self._path = _hasher_path()
        self._chunks = [
            list(passwords[i : i + CHUNK_SIZE]) for i in range(0, len(passwords), CHUNK_SIZE)
        ]
        self._pool: ProcessPoolExecutor | None = None
        self._futures: list[Future[list[str]]] = []
        workers = workers or default_workers()
        if len(passwords) >= POOL_THRESHOLD and workers > 1:
            self._pool = ProcessPoolExecutor(
                max_workers=workers, mp_context=multiprocessing.get_context("spawn")
            )
            self._futures = [
                self._pool.submit(_hash_chunk, self._path, chunk) for chunk in self._chunks
            ]

    def result(self) -> list[str]:
        """The hashes in the order of the passwords."""
        if self._pool is None:
            return [hashed for chunk in self._chunks for hashed in _hash_chunk(self._path, chunk)]
        try:
            done_here: dict[int, list[str]] = {}
            # Work items go to the workers in order, so once a chunk from the end cannot be
            # cancelled any more, every chunk before it has been started as well. (Taking
            # only from the end also matters if a worker dies: the pool then fails the
            # pending futures in order and, on Python 3.11, stops at the first cancelled
            # one, so every future we wait for has failed before that; see ``close``.)
            for index in range(len(self._futures) - 1, -1, -1):
                if not self._futures[index].cancel():
                    break
                done_here[index] = _hash_chunk(self._path, self._chunks[index])
            return [
                hashed
                for index, future in enumerate(self._futures)
                for hashed in (done_here[index] if index in done_here else future.result())
            ]
        finally:
            self.close()

    def close(self) -> None:
        if self._pool is None:
            return
        processes = list((self._pool._processes or {}).values())
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._pool = None
        # After a worker died, Python 3.11's pool stops cleaning up at the first cancelled
        # future and leaves the other worker running (CPython gh-107219, fixed later).
        for process in processes:
            if process.is_alive():
                process.terminate()

    def __enter__(self) -> PendingHashes:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class PendingFirstPasswords:
    """Fresh first passwords whose hashes are being computed (``start_first_passwords``)."""

    def __init__(self, clear: list[str], hashes: PendingHashes) -> None:
        self.clear = clear
        self._hashes = hashes

    def result(self) -> list[tuple[str, str]]:
        """``(clear, hash)`` pairs for ``do_create_user(hashed_first_password=...)``."""
        return list(zip(self.clear, self._hashes.result(), strict=True))

    def close(self) -> None:
        self._hashes.close()

    def __enter__(self) -> PendingFirstPasswords:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def hash_passwords(passwords: Sequence[str], *, workers: int | None = None) -> list[str]:
    """Hashes of ``passwords`` (same order) with the installation's default hasher."""
    with PendingHashes(passwords, workers=workers) as pending:
        return pending.result()


def start_first_passwords(count: int, *, workers: int | None = None) -> PendingFirstPasswords:
    """``count`` fresh 6-digit first passwords, hashing started in the background."""
    from schulhof.accounts.actions import generate_first_password

    clear = [generate_first_password() for _ in range(count)]
    return PendingFirstPasswords(clear, PendingHashes(clear, workers=workers))


def first_passwords(count: int, *, workers: int | None = None) -> list[tuple[str, str]]:
    """``count`` fresh 6-digit first passwords with their hashes, as ``(clear, hash)`` pairs
    for ``do_create_user(hashed_first_password=...)``."""
    with start_first_passwords(count, workers=workers) as pending:
        return pending.result()

"""First passwords for many new people at once, hashed in parallel.

Argon2 (the production hasher) costs about 0.3 CPU seconds per hash by design; 1,300 new
pupils are minutes of CPU time. We hash before the import's transaction (so the database is
not locked meanwhile) in a pool of processes, one per core. The pool uses the ``spawn``
start method: forking a web server process with threads is unsafe. Children only import the
hasher class, never Django's settings.

Small batches are hashed in this process: starting the pool costs more than it saves.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

from django.contrib.auth.hashers import get_hasher

#: Below this many passwords the pool is not worth starting.
POOL_THRESHOLD = 16
#: At most this many processes (the benchmark's and a small server's two cores).
MAX_WORKERS = 2


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


def hash_passwords(passwords: Sequence[str], *, workers: int | None = None) -> list[str]:
    """Hashes of ``passwords`` (same order) with the installation's default hasher."""
    path = _hasher_path()
    workers = workers or default_workers()
    if len(passwords) < POOL_THRESHOLD or workers == 1:
        return _hash_chunk(path, passwords)
    # Contiguous chunks, a few per worker so that a slow one does not hold up the end.
    size = max(1, len(passwords) // (workers * 4))
    chunks = [passwords[i : i + size] for i in range(0, len(passwords), size)]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        results = pool.map(_hash_chunk, [path] * len(chunks), chunks)
        return [hashed for chunk in results for hashed in chunk]


def first_passwords(count: int, *, workers: int | None = None) -> list[tuple[str, str]]:
    """``count`` fresh 6-digit first passwords with their hashes, as ``(clear, hash)`` pairs
    for ``do_create_user(hashed_first_password=...)``."""
    from schulhof.accounts.actions import generate_first_password

    clear = [generate_first_password() for _ in range(count)]
    return list(zip(clear, hash_passwords(clear, workers=workers), strict=True))

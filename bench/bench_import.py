"""Benchmark of the school import: preview of 1,300 rows, apply of 1,300 new pupils.

Runs against a fresh SQLite database in a temporary data folder with the production settings
(Argon2id with OWASP's parameters, see ``accounts/hashers.py``), first passwords hashed in a
pool of 2 processes (and the applying process itself, see ``schoolimport/hashing.py``). Run
by hand:

    .venv/bin/python bench/bench_import.py [--rows 1300] [--workers 2]

Targets (issue 4): preview ≤ 3 s, apply ≤ 30 s on 2 cores.

``--argon2 django`` measures Django's heavier default parameters (100 MiB, t=2, p=8) instead,
for comparison.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

PREVIEW_TARGET = 3.0
APPLY_TARGET = 30.0


def _timed(func: Callable[..., Any], timings: dict[str, float], key: str) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            timings[key] = timings.get(key, 0.0) + time.perf_counter() - start

    return wrapper


def _time_hashing(hashing: Any, timings: dict[str, float]) -> None:
    """Time from starting the pool to the last hash (the apply reads the file meanwhile)."""
    real_start = hashing.start_first_passwords

    def start_first_passwords(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        pending = real_start(*args, **kwargs)
        real_result = pending.result

        def result() -> Any:
            try:
                return real_result()
            finally:
                timings["hashing"] = timings.get("hashing", 0.0) + time.perf_counter() - started

        pending.result = result
        return pending

    hashing.start_first_passwords = start_first_passwords


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1300)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="Keep the temporary data folder.")
    parser.add_argument("--argon2", choices=["production", "django"], default="production")
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="schulhof-bench-import-")
    os.environ["SCHULHOF_DATA_DIR"] = data_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "schulhof.settings"
    os.environ.pop("SCHULHOF_TESTING", None)
    try:
        import django

        django.setup()
        from django.conf import settings
        from django.contrib.auth.hashers import get_hasher
        from django.core.management import call_command

        from schulhof.accounts.models import User, get_system_actor
        from schulhof.schoolimport import actions, hashing, testdata
        from schulhof.schoolimport.engine import ImportOptions, make_preview
        from schulhof.schoolimport.profiles import SCHILD_PUPILS

        call_command("migrate", verbosity=0)
        if args.argon2 == "django":
            from django.contrib.auth import hashers

            settings.PASSWORD_HASHERS = [
                "django.contrib.auth.hashers.Argon2PasswordHasher",
                *settings.PASSWORD_HASHERS,
            ]
            hashers.get_hashers.cache_clear()
            hashers.get_hashers_by_algorithm.cache_clear()
        hasher = get_hasher("default")
        print("Database: %s" % settings.DATABASES["default"]["ENGINE"])
        costs = ", ".join(
            "%s=%s" % (name, getattr(hasher, name))
            for name in ("time_cost", "memory_cost", "parallelism", "iterations")
            if hasattr(hasher, name)
        )
        print("Hasher:   %s (%s)" % (hasher.algorithm, costs))
        print("Cores:    %d (pool of %d)" % (os.cpu_count() or 1, args.workers))
        # Other work on the machine slows the hashing down in proportion.
        print("Load:     %.2f %.2f %.2f" % os.getloadavg())

        pupils = testdata.school(args.rows)
        data = testdata.pupil_export(pupils)
        options = ImportOptions(layout=SCHILD_PUPILS, source=SCHILD_PUPILS.source)
        system = get_system_actor()

        start = time.perf_counter()
        preview = make_preview(data, options)
        preview_read_diff = time.perf_counter() - start
        assert preview.counts["new"] == args.rows, preview.counts

        start = time.perf_counter()
        run = actions.do_create_import_run(
            data, filename="bench.csv", options=options, acting_user=system
        )
        preview_stored = time.perf_counter() - start

        timings: dict[str, float] = {}
        _time_hashing(hashing, timings)
        actions.compare_with_database = _timed(  # type: ignore[assignment]
            actions.compare_with_database, timings, "rediff"
        )
        actions.apply_diff = _timed(actions.apply_diff, timings, "apply_diff")  # type: ignore[assignment]
        start = time.perf_counter()
        result = actions.do_apply_import_run(run, acting_user=system, workers=args.workers)
        apply_total = time.perf_counter() - start
        assert len(result.created) == args.rows
        assert User.objects.filter(first_password_pending=True).count() == args.rows

        hashing_time = timings.get("hashing", 0.0)
        print()
        print("%-52s %8s %8s" % ("", "seconds", "target"))
        print(
            "%-52s %8.2f %8.1f"
            % ("preview of %d rows (read + diff)" % args.rows, preview_read_diff, PREVIEW_TARGET)
        )
        print(
            "%-52s %8.2f %8.1f"
            % ("preview as the page does it (+ store + audit)", preview_stored, PREVIEW_TARGET)
        )
        print(
            "%-52s %8.2f %8.1f"
            % ("apply of %d new users (total)" % args.rows, apply_total, APPLY_TARGET)
        )
        print("%-52s %8.2f" % ("  of which hashing %d first passwords" % args.rows, hashing_time))
        print(
            "%-52s %8.2f"
            % ("  of which database work (re-diff, create, audit)", apply_total - hashing_time)
        )
        print("%-52s %8.2f" % ("    re-diff in the transaction", timings.get("rediff", 0.0)))
        print(
            "%-52s %8.2f"
            % ("    groups, users, memberships, audit entries", timings.get("apply_diff", 0.0))
        )
        print(
            "%-52s %8.3f"
            % (
                "  hashing per password (wall, pool of %d + this one)" % args.workers,
                hashing_time / max(1, args.rows),
            )
        )
        ok_preview = preview_stored <= PREVIEW_TARGET
        ok_apply = apply_total <= APPLY_TARGET
        print()
        print(
            "preview: %s, apply: %s"
            % ("OK" if ok_preview else "MISSED", "OK" if ok_apply else "MISSED")
        )
        return 0
    finally:
        if args.keep:
            print("Data folder kept: %s" % data_dir)
        else:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

"""Support for tests with committed data (``transactional_db``).

Such a test ends with a flush that also removes what data migrations put into the test
database (the default privileges). The fixture that ran it calls
:func:`migration_rows_flushed`; the root conftest puts the rows back before the next test
of the process, so every test sees the database as migrations left it. The rows are put back
before every later test (a few queries), because the first of them may run inside a test's
transaction and be rolled back with it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

_flushed = [False]

DEADLOCK_SQLSTATE = "40P01"
FLUSH_ATTEMPTS = 5

# The data migrations whose rows tests rely on: (module path, function)
DATA_MIGRATIONS = (
    "schulhof.accounts.migrations.0002_default_privileges.grant",
    "schulhof.mail.migrations.0003_default_privileges.grant",
)


def migration_rows_flushed() -> None:
    _flushed[0] = True


def migration_rows_missing() -> bool:
    return _flushed[0]


def restore_migration_rows() -> None:
    from django.apps import apps
    from django.utils.module_loading import import_string

    for path in DATA_MIGRATIONS:
        import_string(path)(apps, None)


def is_deadlock(error: BaseException) -> bool:
    """Whether PostgreSQL chose this statement as the victim of a deadlock."""
    cause = error.__cause__ or error
    return getattr(cause, "sqlstate", None) == DEADLOCK_SQLSTATE


def retry_on_deadlock(
    func: Callable[..., Any], *args: Any, attempts: int = FLUSH_ATTEMPTS, pause: float = 0.2
) -> Any:
    """Run ``func`` again when PostgreSQL aborts it to break a deadlock.

    A transactional test ends with ``TRUNCATE`` of every table. The mail servers of the mail
    tests still write from other connections for a moment after the test (Dovecot reports a
    login after the client has its answer, and the gate records it): such an insert holds a
    lock on one table and waits for another that the ``TRUNCATE`` already holds. PostgreSQL
    then aborts one of the two; when it is the flush, it is rolled back whole and is safe to
    run again once the other transaction has finished.
    """
    from django.db import OperationalError

    for attempt in range(1, attempts + 1):
        try:
            return func(*args)
        except OperationalError as error:
            if attempt == attempts or not is_deadlock(error):
                raise
            time.sleep(pause * attempt)
    raise AssertionError("unreachable")  # pragma: no cover

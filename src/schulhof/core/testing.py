"""Support for tests with committed data (``transactional_db``).

Such a test ends with a flush that also removes what data migrations put into the test
database (the default privileges). The fixture that ran it calls
:func:`migration_rows_flushed`; the root conftest puts the rows back before the next test
of the process, so every test sees the database as migrations left it. The rows are put back
before every later test (a few queries), because the first of them may run inside a test's
transaction and be rolled back with it.
"""

from __future__ import annotations

_flushed = [False]

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

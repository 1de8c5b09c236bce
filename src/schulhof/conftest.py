"""Fixtures shared by every app's tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from schulhof.accounts.models import User, get_system_actor
from schulhof.accounts.tests.factories import make_user


@pytest.fixture
def system_actor(db: None) -> User:
    return get_system_actor()


@pytest.fixture
def admin_user(db: None) -> User:
    return make_user(admin=True, username="anna.admin", first_name="Anna", last_name="Admin")


@pytest.fixture
def pupil(db: None) -> User:
    return make_user(
        pupil=True, username="paul.pupil", first_name="Paul", last_name="Pupil", klasse="5a"
    )


# --- Rows that data migrations create ----------------------------------------------------
# A test with committed data (``transactional_db``, e.g. the mail tests) ends with a flush
# that also removes what data migrations put into the test database (default privileges).
# The next test of the process gets them back, before its own database fixture starts.


@pytest.fixture(autouse=True)
def _migration_rows(request: pytest.FixtureRequest) -> Iterator[None]:
    from schulhof.core import testing

    if testing.migration_rows_missing():
        blocker: Any = request.getfixturevalue("django_db_blocker")
        request.getfixturevalue("django_db_setup")
        with blocker.unblock():
            testing.restore_migration_rows()
    yield


@pytest.fixture(autouse=True, scope="session")
def _flush_survives_deadlocks() -> Iterator[None]:
    """The flush after a transactional test is tried again when PostgreSQL aborts it to break
    a deadlock with a mail server's late write (see ``core.testing.retry_on_deadlock``)."""
    from django.test import TransactionTestCase

    from schulhof.core.testing import retry_on_deadlock

    original = TransactionTestCase._fixture_teardown  # type: ignore[attr-defined]

    def fixture_teardown(self: TransactionTestCase) -> None:
        retry_on_deadlock(original, self)

    setattr(TransactionTestCase, "_fixture_teardown", fixture_teardown)  # noqa: B010
    yield
    setattr(TransactionTestCase, "_fixture_teardown", original)  # noqa: B010

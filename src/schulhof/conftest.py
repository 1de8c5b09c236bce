"""Fixtures shared by every app's tests."""

from __future__ import annotations

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

"""Fixtures for the files tests: a fresh data folder per test, spaces of a pupil and a class."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from schulhof.accounts.models import Group, User
from schulhof.accounts.tests.factories import make_user
from schulhof.files.storage import Space, group_space, user_space


@pytest.fixture(autouse=True)
def data_dir(settings: Any, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path
    return tmp_path


@pytest.fixture
def owner(db: None) -> User:
    return make_user(pupil=True, username="lena.lang", klasse="7c")


@pytest.fixture
def space(owner: User) -> Space:
    return user_space(owner)


@pytest.fixture
def klasse(owner: User) -> Group:
    return Group.objects.get(slug="7c")


@pytest.fixture
def class_space(klasse: Group) -> Space:
    return group_space(klasse)

"""Fixtures for the mail module: real Dovecot and Postfix (``mail_stack``), users whose
password works there (``mail_user``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth.hashers import make_password

from schulhof.accounts.hashers import SchulhofArgon2PasswordHasher
from schulhof.accounts.models import PrivilegeGrant, User
from schulhof.accounts.tests.factories import make_user
from schulhof.mail.conf import use_mail_conf
from schulhof.mail.testing import MailStack

MAIL_PASSWORD = "Post-Fach-Geheim-2026"


@pytest.fixture(autouse=True)
def _no_leftover_mail_conf() -> Iterator[None]:
    """A test's own mail settings (``use_mail_conf``) end with the test."""
    yield
    use_mail_conf(None)


@pytest.fixture(scope="session")
def mail_stack(django_db_setup: None, django_db_blocker: Any) -> Iterator[MailStack]:
    stack = MailStack()
    with django_db_blocker.unblock():
        stack.start()
    try:
        yield stack
    finally:
        stack.stop()


def grant_default_mail_privileges() -> None:
    """What migration 0003 grants (a transactional test's flush removes it)."""
    for role in ("teacher", "staff"):
        for privilege in ("mail.send_external", "mail.send_groups", "mail.send_all"):
            PrivilegeGrant.objects.get_or_create(privilege=privilege, kind="role", role=role)


@pytest.fixture
def mail(transactional_db: None, mail_stack: MailStack) -> Iterator[MailStack]:
    """The running mail stack, for a test with committed data (the servers read it from
    other processes). The database is flushed afterwards; the root conftest puts the rows
    of data migrations back before the next test."""
    from schulhof.core.testing import migration_rows_flushed

    grant_default_mail_privileges()
    yield mail_stack
    mail_stack.settle()
    migration_rows_flushed()


@pytest.fixture
def mail_user(mail: MailStack) -> Callable[..., User]:
    """``mail_user(username=..., pupil=True, ...)``: a user with the Argon2 password
    ``MAIL_PASSWORD`` (Dovecot verifies only Argon2 hashes); ``user.test_password`` has it."""

    def create(**kwargs: Any) -> User:
        kwargs.setdefault(
            "password", make_password(MAIL_PASSWORD, hasher=SchulhofArgon2PasswordHasher())
        )
        user = make_user(**kwargs)
        user.test_password = MAIL_PASSWORD  # type: ignore[attr-defined]
        return user

    return create

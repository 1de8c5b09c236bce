"""Fixtures for the mail set-up tests: the school's production-like mail settings, a pupil
with a client, and the app's templates even while the mail app is not installed yet."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.test import Client

from schulhof.accounts.models import User
from schulhof.accounts.tests.factories import make_user
from schulhof.core.models import SchoolSettings
from schulhof.mail.conf import MailConf, mail_conf, use_mail_conf

MAIL_TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
URLS = "schulhof.mail.tests.clientsetup.urls"


@pytest.fixture(autouse=True)
def mail_templates(settings: Any) -> None:
    """Find templates/mail/setup/ even where settings don't list the mail app (yet)."""
    if apps.is_installed("schulhof.mail"):
        return
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [*templates[0]["DIRS"], MAIL_TEMPLATES]
    settings.TEMPLATES = templates


@pytest.fixture(autouse=True)
def installation_conf_after() -> Iterator[None]:
    """Whatever a test sets with :func:`use_conf`, the next one starts from the installation's
    mail settings."""
    yield
    use_mail_conf(None)


def use_conf(**changes: Any) -> MailConf:
    """Make the current mail settings those of the installation with ``changes``."""
    use_mail_conf(None)
    conf = dataclasses.replace(mail_conf(), **changes)
    use_mail_conf(conf)
    return conf


@pytest.fixture
def production_conf() -> MailConf:
    """Standard ports, a real host name and a real certificate, as in production."""
    return use_conf(
        enabled=True,
        hostname="mail.lessing-gym.de",
        imap_port=143,
        imaps_port=993,
        submission_port=587,
        smtp_port=25,
        tls_cert=Path("/etc/letsencrypt/live/mail.lessing-gym.de/fullchain.pem"),
        tls_key=Path("/etc/letsencrypt/live/mail.lessing-gym.de/privkey.pem"),
    )


@pytest.fixture
def dev_conf() -> MailConf:
    """The development defaults: localhost, ports 1143/1993/1587, the generated certificate."""
    use_mail_conf(None)
    root = mail_conf().root
    conf = use_conf(
        enabled=True,
        hostname="localhost",
        imap_port=1143,
        imaps_port=1993,
        submission_port=1587,
        smtp_port=2525,
        tls_cert=root / "tls" / "cert.pem",
        tls_key=root / "tls" / "key.pem",
    )
    return conf


@pytest.fixture
def school(db: None) -> SchoolSettings:
    school = SchoolSettings.get()
    school.school_name = "Lessing-Gymnasium"
    school.mail_domain = "lessing-gym.de"
    school.portal_url = "https://portal.lessing-gym.de/"
    school.save()
    return school


@pytest.fixture
def leon(school: SchoolSettings) -> User:
    return make_user(
        pupil=True, username="leon.schmidt", first_name="Leon", last_name="Schmidt", klasse="5a"
    )


@pytest.fixture
def client(leon: User) -> Client:
    client = Client()
    client.force_login(leon)
    return client

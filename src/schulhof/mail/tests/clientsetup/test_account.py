"""The values for mail programs, from the mail settings and the school settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from schulhof.accounts.models import User
from schulhof.core.models import SchoolSettings
from schulhof.mail.clientsetup.account import (
    SSL,
    STARTTLS,
    Endpoint,
    account_for,
    portal_url,
    server_settings,
)
from schulhof.mail.conf import MailConf
from schulhof.mail.tests.clientsetup.conftest import use_conf

pytestmark = pytest.mark.django_db


def test_servers_in_production(production_conf: MailConf, school: SchoolSettings) -> None:
    servers = server_settings()
    assert servers.domain == "lessing-gym.de"
    assert servers.school_name == "Lessing-Gymnasium"
    assert servers.imap == Endpoint("mail.lessing-gym.de", 993, SSL)
    assert servers.imap_starttls == Endpoint("mail.lessing-gym.de", 143, STARTTLS)
    assert servers.smtp == Endpoint("mail.lessing-gym.de", 587, STARTTLS)
    assert servers.imap.implicit_tls and not servers.smtp.implicit_tls
    assert str(servers.smtp.security_label) == "STARTTLS"
    assert str(servers.imap.security_label) == "SSL/TLS"
    assert not servers.self_signed
    assert not servers.local_only
    assert servers.portal_url == "https://portal.lessing-gym.de"


def test_servers_in_development(dev_conf: MailConf, school: SchoolSettings) -> None:
    servers = server_settings()
    assert servers.imap == Endpoint("localhost", 1993, SSL)
    assert servers.imap_starttls == Endpoint("localhost", 1143, STARTTLS)
    assert servers.smtp == Endpoint("localhost", 1587, STARTTLS)
    # No certificate configured: the generated, self-signed one.
    assert servers.self_signed
    assert servers.local_only


@pytest.mark.parametrize(
    ("hostname", "local"),
    [
        ("localhost", True),
        ("mail.localhost", True),
        ("127.0.0.1", True),
        ("::1", True),
        ("192.168.10.5", False),
        ("mail.schule.de", False),
    ],
)
def test_local_only_names(db: None, hostname: str, local: bool) -> None:
    use_conf(hostname=hostname)
    assert server_settings().local_only is local


def test_the_mail_domain_is_lower_case(production_conf: MailConf, db: None) -> None:
    SchoolSettings.objects.update_or_create(pk=1, defaults={"mail_domain": "Schule.Example"})
    assert server_settings().domain == "schule.example"


def test_portal_url_falls_back_to_the_base_url(db: None, settings: object) -> None:
    settings.SCHULHOF_BASE_URL = "http://127.0.0.1:8000"  # type: ignore[attr-defined]
    assert portal_url() == "http://127.0.0.1:8000"


def test_account(production_conf: MailConf, leon: User) -> None:
    account = account_for(leon)
    assert account.address == "leon.schmidt@lessing-gym.de"
    assert account.username == "leon.schmidt"
    assert account.local_part == "leon.schmidt"
    assert account.display_name == "Leon Schmidt"
    assert account.user_id == leon.pk
    assert account.servers.imap.host == "mail.lessing-gym.de"


def test_account_with_a_name_particle(production_conf: MailConf, school: SchoolSettings) -> None:
    from schulhof.accounts.tests.factories import make_user

    user = make_user(username="jan.berg", first_name="Jan", last_name="Berg", name_particle="van")
    assert account_for(user).display_name == "Jan van Berg"


def test_configured_certificate_in_the_data_folder_is_not_self_signed(
    db: None, tmp_path: Path
) -> None:
    use_conf(tls_cert=tmp_path / "real.pem")
    assert not server_settings().self_signed

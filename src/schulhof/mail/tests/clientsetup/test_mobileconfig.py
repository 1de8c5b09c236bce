"""Apple's configuration profile: content, stable identifiers, no password, the download."""

from __future__ import annotations

import plistlib
import uuid
from typing import Any

import pytest
from django.test import Client

from schulhof.accounts.models import User
from schulhof.accounts.tests.factories import DEFAULT_PASSWORD, make_user
from schulhof.core.models import SchoolSettings
from schulhof.mail.clientsetup.account import account_for
from schulhof.mail.clientsetup.mobileconfig import mobileconfig, payload_identifier
from schulhof.mail.conf import MailConf
from schulhof.mail.tests.clientsetup.conftest import URLS

pytestmark = [pytest.mark.django_db, pytest.mark.urls(URLS)]

URL = "/mail/einrichtung/apple/profil.mobileconfig"


def profile_of(user: User) -> dict[str, Any]:
    return plistlib.loads(mobileconfig(account_for(user)))


def test_profile(production_conf: MailConf, leon: User) -> None:
    profile = profile_of(leon)
    assert profile["PayloadType"] == "Configuration"
    assert profile["PayloadVersion"] == 1
    assert profile["PayloadIdentifier"] == "de.lessing-gym.schulhof.mail.%d" % leon.pk
    assert profile["PayloadDisplayName"] == "E-Mail Lessing-Gymnasium"
    assert profile["PayloadOrganization"] == "Lessing-Gymnasium"
    assert "leon.schmidt@lessing-gym.de" in profile["PayloadDescription"]
    assert profile["PayloadRemovalDisallowed"] is False
    [mail] = profile["PayloadContent"]
    assert mail == mail | {
        "PayloadType": "com.apple.mail.managed",
        "PayloadVersion": 1,
        "PayloadIdentifier": "de.lessing-gym.schulhof.mail.%d.account" % leon.pk,
        "EmailAccountType": "EmailTypeIMAP",
        "EmailAccountDescription": "E-Mail Lessing-Gymnasium",
        "EmailAccountName": "Leon Schmidt",
        "EmailAddress": "leon.schmidt@lessing-gym.de",
        "IncomingMailServerHostName": "mail.lessing-gym.de",
        "IncomingMailServerPortNumber": 993,
        "IncomingMailServerUseSSL": True,
        "IncomingMailServerAuthentication": "EmailAuthPassword",
        "IncomingMailServerUsername": "leon.schmidt",
        "OutgoingMailServerHostName": "mail.lessing-gym.de",
        "OutgoingMailServerPortNumber": 587,
        "OutgoingMailServerUseSSL": True,
        "OutgoingMailServerAuthentication": "EmailAuthPassword",
        "OutgoingMailServerUsername": "leon.schmidt",
        "OutgoingPasswordSameAsIncomingPassword": True,
    }


def test_no_password_in_the_profile(production_conf: MailConf, leon: User) -> None:
    body = mobileconfig(account_for(leon))
    assert DEFAULT_PASSWORD.encode() not in body
    [mail] = plistlib.loads(body)["PayloadContent"]
    assert [key for key in mail if "Password" in key] == ["OutgoingPasswordSameAsIncomingPassword"]
    assert leon.password.encode() not in body


def test_development_ports(dev_conf: MailConf, leon: User) -> None:
    [mail] = profile_of(leon)["PayloadContent"]
    assert mail["IncomingMailServerHostName"] == "localhost"
    assert mail["IncomingMailServerPortNumber"] == 1993
    assert mail["OutgoingMailServerPortNumber"] == 1587


def uuids(user: User) -> tuple[str, str]:
    profile = profile_of(user)
    return profile["PayloadUUID"], profile["PayloadContent"][0]["PayloadUUID"]


def test_uuids_are_stable_and_unique(production_conf: MailConf, leon: User, settings: Any) -> None:
    first = uuids(leon)
    for value in first:
        assert str(uuid.UUID(value)).upper() == value
    assert first[0] != first[1]
    # The same person again: the same profile, so installing it again replaces the old one.
    assert uuids(leon) == first
    # Another person: other identifiers.
    mia = make_user(username="mia.meyer", first_name="Mia", last_name="Meyer")
    assert not set(uuids(mia)) & set(first)
    # Another installation (another secret key): other identifiers.
    settings.SECRET_KEY = "another installation's secret key, long enough to be one"
    assert not set(uuids(leon)) & set(first)


def test_identifier_survives_a_rename(production_conf: MailConf, leon: User) -> None:
    before = payload_identifier(account_for(leon))
    first = uuids(leon)
    leon.username = "leon.schmidt-mueller"
    leon.save()
    assert payload_identifier(account_for(leon)) == before
    assert uuids(leon) == first


def test_download(production_conf: MailConf, client: Client, leon: User) -> None:
    response = client.get(URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-apple-aspen-config"
    assert response["Content-Disposition"] == (
        'attachment; filename="E-Mail-leon.schmidt.mobileconfig"'
    )
    assert response["Cache-Control"] == "private, no-store"
    profile = plistlib.loads(response.content)
    assert profile["PayloadContent"][0]["EmailAddress"] == "leon.schmidt@lessing-gym.de"


def test_download_filename_is_safe(production_conf: MailConf, school: SchoolSettings) -> None:
    user = make_user(username='o"brien/../x', first_name="Liam", last_name="O'Brien")
    client = Client()
    client.force_login(user)
    disposition = client.get(URL)["Content-Disposition"]
    assert disposition == 'attachment; filename="E-Mail-o-brien-..-x.mobileconfig"'


def test_download_needs_login(production_conf: MailConf, school: SchoolSettings) -> None:
    response = Client().get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/anmelden/?next=")


def test_not_there_without_mail(client: Client) -> None:
    from schulhof.mail.tests.clientsetup.conftest import use_conf

    use_conf(enabled=False)
    assert client.get(URL).status_code == 404

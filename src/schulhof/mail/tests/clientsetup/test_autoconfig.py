"""Thunderbird's autoconfig file: its content, and the two public addresses it is served at."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from django.test import Client

from schulhof.core.models import SchoolSettings
from schulhof.mail.clientsetup.account import server_settings
from schulhof.mail.clientsetup.autoconfig import autoconfig_xml
from schulhof.mail.conf import MailConf
from schulhof.mail.tests.clientsetup.conftest import URLS, use_conf

pytestmark = [pytest.mark.django_db, pytest.mark.urls(URLS)]

PATHS = ["/.well-known/autoconfig/mail/config-v1.1.xml", "/mail/config-v1.1.xml"]


def parse(body: bytes) -> ET.Element:
    return ET.fromstring(body)  # noqa: S314 - our own output, not untrusted input


def servers_in(root: ET.Element) -> list[dict[str, str]]:
    provider = root.find("emailProvider")
    assert provider is not None
    found = []
    for server in [*provider.findall("incomingServer"), *provider.findall("outgoingServer")]:
        entry = {"tag": server.tag, "type": server.get("type", "")}
        entry.update({child.tag: child.text or "" for child in server})
        found.append(entry)
    return found


def test_file_content(production_conf: MailConf, school: SchoolSettings) -> None:
    body = autoconfig_xml(server_settings(), "https://portal.lessing-gym.de/mail/einrichtung/")
    assert body.startswith(b"<?xml version='1.0' encoding='utf-8'?>\n<clientConfig")
    root = parse(body)
    assert root.tag == "clientConfig"
    assert root.get("version") == "1.1"
    provider = root.find("emailProvider")
    assert provider is not None
    assert provider.get("id") == "lessing-gym.de"
    assert provider.findtext("domain") == "lessing-gym.de"
    assert provider.findtext("displayName") == "Lessing-Gymnasium"
    assert provider.findtext("displayShortName") == "Lessing-Gymnasium"
    common = {"authentication": "password-cleartext", "username": "%EMAILLOCALPART%"}
    assert servers_in(root) == [
        {"tag": "incomingServer", "type": "imap", "hostname": "mail.lessing-gym.de",
         "port": "993", "socketType": "SSL", **common},
        {"tag": "incomingServer", "type": "imap", "hostname": "mail.lessing-gym.de",
         "port": "143", "socketType": "STARTTLS", **common},
        {"tag": "outgoingServer", "type": "smtp", "hostname": "mail.lessing-gym.de",
         "port": "587", "socketType": "STARTTLS", **common},
    ]  # fmt: skip
    documentation = provider.find("documentation")
    assert documentation is not None
    assert documentation.get("url") == "https://portal.lessing-gym.de/mail/einrichtung/"
    assert {d.get("lang") for d in documentation.findall("descr")} == {"de", "en"}
    assert documentation.findtext("descr") == "Anleitungen für E-Mail-Programme im Schulportal"


def test_school_name_is_escaped(production_conf: MailConf, school: SchoolSettings) -> None:
    school.school_name = "Schule <Am Bach> & Co"
    school.save()
    root = parse(autoconfig_xml(server_settings()))
    assert root.findtext("emailProvider/displayName") == "Schule <Am Bach> & Co"
    assert root.find("emailProvider/documentation") is None


@pytest.mark.parametrize("path", PATHS)
def test_served_to_anyone(production_conf: MailConf, school: SchoolSettings, path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response["Cache-Control"] == "public, max-age=3600"
    root = parse(response.content)
    assert [s["port"] for s in servers_in(root)] == ["993", "143", "587"]
    assert {s["hostname"] for s in servers_in(root)} == {"mail.lessing-gym.de"}
    documentation = root.find("emailProvider/documentation")
    assert documentation is not None
    assert documentation.get("url") == "https://portal.lessing-gym.de/mail/einrichtung/"


@pytest.mark.parametrize("path", PATHS)
def test_development_ports(dev_conf: MailConf, school: SchoolSettings, path: str) -> None:
    root = parse(Client().get(path).content)
    assert [(s["hostname"], s["port"], s["socketType"]) for s in servers_in(root)] == [
        ("localhost", "1993", "SSL"),
        ("localhost", "1143", "STARTTLS"),
        ("localhost", "1587", "STARTTLS"),
    ]


@pytest.mark.parametrize(
    "address",
    ["leon.schmidt@lessing-gym.de", "Leon.Schmidt@Lessing-Gym.DE", "unknown.person@lessing-gym.de"],
)
def test_addresses_of_the_school(
    production_conf: MailConf, school: SchoolSettings, address: str
) -> None:
    # Whether the mailbox exists is not told to strangers: the file is the same for all.
    response = Client().get(PATHS[1], {"emailaddress": address})
    assert response.status_code == 200
    assert b"%EMAILLOCALPART%" in response.content


@pytest.mark.parametrize("address", ["leon@gmail.com", "leon.schmidt", "@", "a@b@lessing-gym.de"])
def test_no_file_for_other_domains(
    production_conf: MailConf, school: SchoolSettings, address: str
) -> None:
    for path in PATHS:
        assert Client().get(path, {"emailaddress": address}).status_code == 404


def test_empty_address_is_no_address(production_conf: MailConf, school: SchoolSettings) -> None:
    assert Client().get(PATHS[0], {"emailaddress": ""}).status_code == 200


def test_only_get_and_head(production_conf: MailConf, school: SchoolSettings) -> None:
    client = Client()
    assert client.head(PATHS[0]).status_code == 200
    assert client.post(PATHS[0]).status_code == 405


def test_not_there_without_mail(school: SchoolSettings) -> None:
    use_conf(enabled=False)
    for path in PATHS:
        assert Client().get(path).status_code == 404


def test_logged_in_users_get_the_same_file(
    production_conf: MailConf, client: Client, school: SchoolSettings
) -> None:
    assert client.get(PATHS[1]).content == Client().get(PATHS[1]).content

"""When the mail server is away: a German page with status 503, never a crash."""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import reverse

from schulhof.accounts.tests.factories import make_user
from schulhof.mail.conf import mail_conf, use_mail_conf
from schulhof.mail.webmail import imap


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def no_server() -> Iterator[None]:
    use_mail_conf(dataclasses.replace(mail_conf(), imap_port=closed_port(), bind="127.0.0.1"))
    yield
    use_mail_conf(None)


def test_connect_to_a_missing_server(no_server: None) -> None:
    with pytest.raises(imap.Unavailable) as caught:
        imap.connect("lena.lang")
    assert caught.value.message.startswith("Der Mailserver ist gerade nicht erreichbar.")


@pytest.mark.django_db
def test_pages_say_so_in_german(no_server: None) -> None:
    client = Client()
    client.force_login(make_user(pupil=True, username="lena.lang", klasse="7c"))
    for url in (
        reverse("webmail:home"),
        reverse("webmail:message", args=["INBOX", 3]),
        reverse("webmail:compose"),
    ):
        response = client.get(url)
        assert response.status_code == 503
        assert "Der Mailserver ist gerade nicht erreichbar." in response.content.decode()

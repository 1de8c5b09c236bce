"""Fixtures for the webmail tests: messages as bytes, a person with a real mailbox (on the
session's mail stack), and a logged-in test client."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from typing import Any

import pytest
from django.test import Client

from schulhof.accounts.models import User
from schulhof.mail.testing import MailStack


def make_message(
    *,
    subject: str = "Hallo",
    sender: str = "Jürgen Müller <juergen@example.org>",
    to: str = "lena.lang@schule.test",
    cc: str = "",
    body: str = "Hallo Lena,\nbis morgen.\n",
    html: str | None = None,
    date: datetime | None = None,
    headers: dict[str, str] | None = None,
    attachments: list[tuple[str, str, bytes]] | None = None,
) -> bytes:
    """A message as a mail server would deliver it (``attachments``: name, type, data)."""
    message = EmailMessage(policy=SMTP)
    message["From"] = sender
    message["To"] = to
    if cc:
        message["Cc"] = cc
    message["Subject"] = subject
    message["Date"] = format_datetime(date or datetime(2025, 11, 3, 9, 30, tzinfo=UTC))
    message["Message-ID"] = make_msgid(domain="example.org")
    for key, value in (headers or {}).items():
        del message[key]
        message[key] = value
    message.set_content(body)
    if html is not None:
        message.add_alternative(html, subtype="html")
    for name, content_type, data in attachments or []:
        maintype, subtype = content_type.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()


@pytest.fixture
def message_factory() -> Callable[..., bytes]:
    return make_message


@pytest.fixture
def lena(mail_user: Callable[..., User]) -> User:
    """A pupil with a real mailbox."""
    return mail_user(
        username="lena.lang", first_name="Lena", last_name="Lang", pupil=True, klasse="7c"
    )


@pytest.fixture
def fill(mail: MailStack) -> Callable[..., list[bytes]]:
    """``fill(user, count, **message kwargs)``: deliver ``count`` numbered messages into the
    user's inbox, each dated one minute after the one delivered before."""

    start = datetime(2025, 11, 3, 8, 0, tzinfo=UTC)
    delivered = [0]

    def deliver(user: User, count: int = 1, **kwargs: Any) -> list[bytes]:
        sent = []
        for index in range(count):
            params = dict(kwargs)
            params.setdefault("subject", "Nachricht %02d" % index)
            params.setdefault("date", start + timedelta(minutes=delivered[0]))
            delivered[0] += 1
            raw = make_message(**params)
            mail.deliver("%s@schule.test" % user.username, raw)
            sent.append(raw)
        return sent

    return deliver


@pytest.fixture
def lena_client(lena: User) -> Client:
    client = Client()
    client.force_login(lena)
    return client

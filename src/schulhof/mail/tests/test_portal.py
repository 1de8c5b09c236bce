"""The dashboard's mail card shows the unread messages of the real mailbox."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from schulhof.accounts.actions import do_create_sanction
from schulhof.accounts.models import get_system_actor
from schulhof.mail.testing import MailStack

pytestmark = pytest.mark.mail


def test_card_shows_unread_messages(mail: MailStack, client: Client) -> None:
    user = mail.create_mail_user(username="leon.schmidt", pupil=True)
    mail.deliver(
        "leon.schmidt@schule.test",
        b"From: Frau Yilmaz <ayse.yilmaz@schule.test>\r\nSubject: Wandertag\r\n"
        b"X-Schulhof-Elterninfo: 1\r\n\r\nBitte Brotdose mitbringen.\r\n",
    )
    client.force_login(user)
    page = client.get(reverse("web:dashboard")).content.decode()
    assert "1 ungelesene E-Mail" in page
    assert "Wandertag" in page
    assert "Information für die Eltern" in page
    assert "leon.schmidt@schule.test" in page


def test_card_tells_a_sanctioned_user_why(mail: MailStack, client: Client) -> None:
    user = mail.create_mail_user(username="leon.schmidt", pupil=True)
    do_create_sanction(user, blocked=["mail"], reason="Test", acting_user=get_system_actor())
    client.force_login(user)
    page = client.get(reverse("web:dashboard")).content.decode()
    assert "Der Bereich E-Mail ist für Ihr Konto gesperrt." in page


def test_card_says_when_the_automatic_reply_is_on(mail: MailStack, client: Client) -> None:
    from schulhof.mail.actions import do_update_auto_reply

    user = mail.create_mail_user(username="leon.schmidt", pupil=True)
    client.force_login(user)
    assert "Abwesenheitsnotiz" not in client.get(reverse("web:dashboard")).content.decode()
    changes = {"enabled": True, "start": None, "end": None, "subject": "Weg", "message": "x"}
    do_update_auto_reply(user, changes, acting_user=user)
    page = client.get(reverse("web:dashboard")).content.decode()
    assert "Abwesenheitsnotiz</a>: Eingeschaltet, bis Sie sie ausschalten" in page

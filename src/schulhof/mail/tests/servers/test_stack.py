"""The real servers as `schulhof run` configures them: IMAP login and delivery."""

from __future__ import annotations

import imaplib

import pytest

from schulhof.mail.testing import MailStack

pytestmark = pytest.mark.mail


def test_imap_login_and_lmtp_delivery(mail: MailStack) -> None:
    user = mail.create_mail_user(username="leon.schmidt", pupil=True, klasse="5a")
    mail.deliver("leon.schmidt@schule.test", b"Subject: Hallo\r\n\r\nTest\r\n")
    client = imaplib.IMAP4("127.0.0.1", mail.conf.imap_port, timeout=30)
    try:
        typ, _data = client.login(user.username, user.test_password)
        assert typ == "OK"
        typ, data = client.select("INBOX")
        assert typ == "OK" and data[0] == b"1"
    finally:
        client.logout()

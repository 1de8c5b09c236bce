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


def test_lmtp_is_a_socket_only_postfix_may_open(mail: MailStack) -> None:
    import os
    import pwd
    import stat

    info = mail.conf.lmtp_socket.stat()
    assert stat.S_ISSOCK(info.st_mode) and stat.S_IMODE(info.st_mode) == 0o600
    if os.geteuid() == 0:
        assert pwd.getpwuid(info.st_uid).pw_name == "postfix"
    assert mail.servers is not None
    config = mail.servers.dovecot_config.read_text()
    assert "inet_listener lmtp" not in config
    if mail.servers.postfix_config_dir is not None:
        main_cf = (mail.servers.postfix_config_dir / "main.cf").read_text()
        assert "virtual_transport = lmtp:unix:%s" % mail.conf.lmtp_socket in main_cf

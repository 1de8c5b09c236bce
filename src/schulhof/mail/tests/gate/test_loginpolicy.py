"""Logins to IMAP and SMTP go through the one authentication service (Dovecot's policy)."""

from __future__ import annotations

import contextlib
import imaplib
import smtplib
import time
from collections.abc import Callable

import pytest
from django.utils import timezone

from schulhof.accounts.actions import do_create_sanction, do_lock_user
from schulhof.accounts.models import LoginAttempt, get_system_actor
from schulhof.core.models import AuditLogEntry
from schulhof.mail.gate.loginpolicy import LoginPolicyServer, handle_policy, protocol_of
from schulhof.mail.testing import MailStack

pytestmark = pytest.mark.mail


def eventually(check: Callable[[], bool], timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return check()


def imap_login(mail: MailStack, username: str, password: str) -> tuple[bool, str]:
    client = imaplib.IMAP4("127.0.0.1", mail.conf.imap_port, timeout=30)
    try:
        client.login(username, password)
    except imaplib.IMAP4.error as error:
        return False, str(error)
    finally:
        with contextlib.suppress(imaplib.IMAP4.error):
            client.logout()
    return True, ""


def smtp_login(mail: MailStack, username: str, password: str) -> bool:
    with mail.submission() as client:
        try:
            client.login(username, password)
        except smtplib.SMTPAuthenticationError:
            return False
    return True


def test_success_and_failure_are_recorded_and_audited(mail: MailStack) -> None:
    user = mail.create_mail_user(username="leon.schmidt", pupil=True)
    assert imap_login(mail, "Leon.Schmidt@schule.test", user.test_password)[0]
    assert not imap_login(mail, "leon.schmidt", "falsch")[0]
    # Dovecot reports after answering the client.
    assert eventually(lambda: LoginAttempt.objects.filter(username="leon.schmidt").count() == 2)
    attempts = list(LoginAttempt.objects.filter(username="leon.schmidt").order_by("created"))
    assert [(a.protocol, a.success, a.reason) for a in attempts] == [
        ("imap", True, ""),
        ("imap", False, "invalid"),
    ]
    assert attempts[0].client_address == "127.0.0.1"
    assert AuditLogEntry.objects.filter(event_type="accounts:login:success").exists()
    assert smtp_login(mail, "leon.schmidt", user.test_password)
    assert eventually(
        lambda: LoginAttempt.objects.filter(username="leon.schmidt", protocol="smtp").exists()
    )


def test_locked_user_cannot_log_in(mail: MailStack) -> None:
    user = mail.create_mail_user(username="leon.schmidt", pupil=True)
    do_lock_user(user, acting_user=get_system_actor(), reason="Test")
    assert not imap_login(mail, "leon.schmidt", user.test_password)[0]
    assert not smtp_login(mail, "leon.schmidt", user.test_password)
    # (smtplib tries AUTH PLAIN and then LOGIN: each attempt counts.)
    refused = LoginAttempt.objects.filter(username="leon.schmidt", reason="locked")
    assert eventually(lambda: {"imap", "smtp"} <= set(refused.values_list("protocol", flat=True)))


def test_mail_sanction_blocks_imap_and_smtp_send_sanction_blocks_smtp(mail: MailStack) -> None:
    leon = mail.create_mail_user(username="leon.schmidt", pupil=True)
    mia = mail.create_mail_user(username="mia.schneider", pupil=True)
    admin = get_system_actor()
    do_create_sanction(leon, blocked=["mail"], reason="Missbrauch", acting_user=admin)
    do_create_sanction(mia, blocked=["mail_send"], reason="Spam", acting_user=admin)
    assert not imap_login(mail, "leon.schmidt", leon.test_password)[0]
    assert not smtp_login(mail, "leon.schmidt", leon.test_password)
    # Mia may still read her mail, but not send.
    assert imap_login(mail, "mia.schneider", mia.test_password)[0]
    assert not smtp_login(mail, "mia.schneider", mia.test_password)


def test_first_password_only_in_the_portal(mail: MailStack) -> None:
    user = mail.create_mail_user(username="leon.schmidt", pupil=True)
    user.first_password_pending = True
    user.first_password_expires = timezone.now() + timezone.timedelta(days=3)
    user.save()
    ok, _text = imap_login(mail, "leon.schmidt", user.test_password)
    assert not ok
    assert not smtp_login(mail, "leon.schmidt", user.test_password)
    refused = LoginAttempt.objects.filter(reason="first_password_web_only")
    assert eventually(lambda: {"imap", "smtp"} <= set(refused.values_list("protocol", flat=True)))


def test_pupil_without_consent_is_refused(mail: MailStack) -> None:
    user = mail.create_mail_user(username="leon.schmidt", pupil=True, consent=False)
    assert not imap_login(mail, "leon.schmidt", user.test_password)[0]


def test_throttled_account_refused_even_with_right_password(mail: MailStack) -> None:
    user = mail.create_mail_user(username="leon.schmidt", pupil=True)
    LoginAttempt.objects.bulk_create(
        LoginAttempt(
            username="leon.schmidt",
            user=user,
            client_address="127.0.0.1",
            protocol="imap",
            success=False,
            reason="invalid",
        )
        for _ in range(20)
    )
    assert not imap_login(mail, "leon.schmidt", user.test_password)[0]
    assert eventually(lambda: LoginAttempt.objects.filter(reason="throttled").exists())


def test_policy_endpoint_rejects_wrong_token(mail: MailStack) -> None:
    import http.client
    import json

    connection = http.client.HTTPConnection("127.0.0.1", mail.conf.login_policy_port, timeout=10)
    body = json.dumps({"login": "x", "remote": "1.2.3.4", "protocol": "imap"})
    connection.request("POST", "/?command=allow", body, {"Authorization": "Bearer falsch"})
    assert connection.getresponse().status == 403
    connection.close()


def test_protocol_names() -> None:
    assert protocol_of("imap") == "imap"
    assert protocol_of("smtp") == "smtp"
    assert protocol_of("whatever") == "imap"


@pytest.mark.django_db
def test_unknown_command_allows_nothing_special() -> None:
    assert handle_policy("other", {}) == {"status": 0, "msg": ""}


def test_policy_server_is_quiet_only_between_requests() -> None:
    server = LoginPolicyServer(("127.0.0.1", 0), "token")
    try:
        assert server.is_quiet(0)
        with server.answering():
            assert not server.is_quiet(0)
        assert server.is_quiet(0)
        assert not server.is_quiet(3600)  # one just finished
    finally:
        server.server_close()

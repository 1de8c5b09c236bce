"""One quota for files and mail: Dovecot's limit is the quota minus files, and mail usage
shows in the files quota."""

from __future__ import annotations

import time

import pytest

from schulhof.files import quota as files_quota
from schulhof.files import storage
from schulhof.files.models import QuotaLedger
from schulhof.mail.quota import parse_maildirsize
from schulhof.mail.testing import MailStack

pytestmark = pytest.mark.mail

GB = 1024**3  # the quota is 2 GiB
MB = 1000**2


def use_for_files(user: object, nbytes: int) -> None:
    ledger = files_quota.ledger_for(storage.user_space(user))  # type: ignore[arg-type]
    QuotaLedger.objects.filter(pk=ledger.pk).update(used=nbytes)


def test_parse_maildirsize() -> None:
    assert parse_maildirsize("2147483648S\n1000 1\n2500 2\n-1000 -1\n") == 2500
    assert parse_maildirsize("") == 0
    assert parse_maildirsize("1S\nkaputt\n-5 -1\n") == 0


def test_200_mb_message_does_not_fit_when_files_use_1_9_gb(mail: MailStack) -> None:
    pupil = mail.create_mail_user(username="leon.schmidt", pupil=True)  # 2 GB quota
    mail.deliver("leon.schmidt@schule.test", b"Subject: vorher\r\n\r\nschon da\r\n")
    use_for_files(pupil, int(1.9 * GB))
    # A server that declares the size (SIZE=) is refused before sending a byte.
    with mail.inbound() as client:
        client.mail("eltern@example.org", ["SIZE=%d" % (200 * MB)])
        code, text = client.rcpt("leon.schmidt@schule.test")
    assert code == 552
    assert b"zu voll" in text
    assert mail.message_count(pupil) == 1  # the old message is still there


def test_message_over_dovecots_limit_bounces_in_german(mail: MailStack) -> None:
    pupil = mail.create_mail_user(username="leon.schmidt", pupil=True)
    teacher = mail.create_mail_user(username="thomas.mueller", teacher=True)
    limit = files_quota.usage(storage.user_space(pupil), pupil).limit
    use_for_files(pupil, limit - 100_000)  # 100 kB left
    body = ("Zeile mit Text " * 40 + "\r\n") * 400  # about 240 kB
    data = (
        "From: thomas.mueller@schule.test\r\nTo: leon.schmidt@schule.test\r\n"
        "Subject: zu gross\r\n\r\n" + body
    ).encode()
    with mail.submission() as client:
        client.login(teacher.username, teacher.test_password)
        # No SIZE declared: Postfix accepts, Dovecot refuses at delivery, Postfix bounces.
        client.mail("thomas.mueller@schule.test")
        assert client.rcpt("leon.schmidt@schule.test")[0] == 250
        assert client.data(data)[0] == 250
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and mail.message_count(teacher) == 0:
        time.sleep(0.3)
    assert mail.message_count(pupil) == 0
    with mail.imap(teacher) as client:
        client.select("INBOX")
        _typ, data_ = client.fetch("1", "(BODY.PEEK[])")
    bounce = data_[0][1].decode("utf-8", "replace")
    assert "Unzustellbar" in bounce
    assert "Postfach ist voll" in bounce


def test_mail_usage_shows_in_files_quota(mail: MailStack) -> None:
    pupil = mail.create_mail_user(username="leon.schmidt", pupil=True)
    before = files_quota.usage(storage.user_space(pupil), pupil)
    assert before.mail == 0
    payload = b"Subject: Anhang\r\n\r\n" + b"x" * 500_000 + b"\r\n"
    mail.deliver("leon.schmidt@schule.test", payload)
    after = files_quota.usage(storage.user_space(pupil), pupil)
    assert after.mail >= 500_000
    assert after.used == after.files + after.mail


def test_submission_too_big_for_postfix_is_refused(mail: MailStack) -> None:
    teacher = mail.create_mail_user(username="thomas.mueller", teacher=True)
    with mail.submission() as client:
        client.login(teacher.username, teacher.test_password)
        code, _text = client.mail("thomas.mueller@schule.test", ["SIZE=%d" % (2 * GB)])
    assert code == 552

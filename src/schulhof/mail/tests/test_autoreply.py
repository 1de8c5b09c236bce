"""Automatic replies while away: the Sieve script Schulhof writes, and Dovecot answering
through Postfix's replies port, checked by the milter."""

from __future__ import annotations

import dataclasses
import email
import smtplib
from datetime import date, timedelta
from email.message import EmailMessage
from email.policy import default as default_policy

import pytest
from django.utils import timezone

from schulhof.accounts.models import GroupKind
from schulhof.accounts.tests.factories import GroupFactory, make_user
from schulhof.core.models import AuditLogEntry
from schulhof.mail import autoreply
from schulhof.mail.actions import do_update_auto_reply
from schulhof.mail.conf import mail_conf
from schulhof.mail.models import AutoReply
from schulhof.mail.testing import MailStack

pytestmark = pytest.mark.mail

AWAY = {
    "enabled": True,
    "start": None,
    "end": None,
    "subject": "Abwesend: Klassenfahrt nach Köln",
    "message": 'Ich bin bis Freitag auf Klassenfahrt.\nIn dringenden Fällen: "Sekretariat".',
}


def message(sender: str, to: str, subject: str = "Frage zur Hausaufgabe") -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content("Hallo, ich habe eine Frage.")
    return msg.as_bytes()


def send(mail: MailStack, user: object, to: str, subject: str = "Frage") -> None:
    sender = "%s@schule.test" % user.username  # type: ignore[attr-defined]
    with mail.submission() as client:
        client.login(user.username, user.test_password)  # type: ignore[attr-defined]
        assert client.sendmail(sender, [to], message(sender, to, subject)) == {}


def inbox(mail: MailStack, user: object) -> list[email.message.EmailMessage]:
    with mail.imap(user) as client:
        client.select("INBOX", readonly=True)
        _typ, data = client.fetch("1:*", "(BODY.PEEK[])")
    return [
        email.message_from_bytes(part[1], policy=default_policy)  # type: ignore[misc]
        for part in data
        if isinstance(part, tuple)
    ]


# --- The script ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_script_quotes_text_and_lists_the_persons_addresses() -> None:
    teacher = make_user(username="thomas.mueller", first_name="Thomas", last_name="Müller")
    reply = AutoReply(user=teacher, **AWAY)
    script = autoreply.render_script(reply, teacher)
    assert script.startswith("# Abwesenheitsnotiz")
    assert 'require ["vacation"];' in script
    assert ':subject "Abwesend: Klassenfahrt nach Köln"' in script
    assert ':from "=?utf-8?q?Thomas_M=C3=BCller?= <thomas.mueller@schule.test>"' in script
    assert ':addresses ["thomas.mueller@schule.test"]' in script
    assert '"Ich bin bis Freitag auf Klassenfahrt.\nIn dringenden Fällen: \\"Sekretariat\\"."' in (
        script
    )
    assert ":days 7" in script
    assert "currentdate" not in script


@pytest.mark.django_db
def test_script_checks_the_period_and_drops_control_characters() -> None:
    teacher = make_user(username="thomas.mueller")
    reply = AutoReply(
        user=teacher,
        enabled=True,
        start=date(2026, 12, 21),
        end=date(2027, 1, 6),
        subject="Ferien\r\nBcc: x@example.org",
        message="a\\b\x00\x1b c",
    )
    script = autoreply.render_script(reply, teacher)
    assert 'require ["vacation", "date", "relational"];' in script
    assert (
        'if allof (currentdate :value "ge" "date" "2026-12-21", '
        'currentdate :value "le" "date" "2027-01-06") {'
    ) in script
    # The subject is one line; the text keeps the backslash (escaped), no control characters.
    assert ':subject "Ferien Bcc: x@example.org"' in script
    assert '"a\\\\b c";' in script
    assert "\x00" not in script and "\x1b" not in script and "\r" not in script


def test_sieve_string() -> None:
    quoted = autoreply.sieve_string('ein "Zitat" \\ und\r\nZeile')
    assert quoted == '"ein \\"Zitat\\" \\\\ und\nZeile"'


# --- The action ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_action_saves_audits_without_the_text_and_writes_the_script(
    tmp_path, django_capture_on_commit_callbacks
) -> None:
    from schulhof.mail.conf import use_mail_conf

    conf = mail_conf()
    use_mail_conf(dataclasses.replace(conf, mailboxes=tmp_path))
    try:
        teacher = make_user(username="thomas.mueller", teacher=True)
        with django_capture_on_commit_callbacks(execute=True):
            do_update_auto_reply(teacher, AWAY, acting_user=teacher)
        entry = AuditLogEntry.objects.get(event_type="mail:autoreply:update")
        assert entry.modified_user == teacher
        assert entry.details["changes"]["enabled"] == {"old": False, "new": True}
        assert entry.details["changes"]["message"] == {"changed": True}
        assert "Klassenfahrt" not in str(entry.details)
        home = tmp_path / str(teacher.pk)
        link = home / ".dovecot.sieve"
        assert link.is_symlink() and "Klassenfahrt" in link.read_text()

        # Saving the same again changes nothing and logs nothing.
        with django_capture_on_commit_callbacks(execute=True):
            do_update_auto_reply(teacher, AWAY, acting_user=teacher)
        assert AuditLogEntry.objects.filter(event_type="mail:autoreply:update").count() == 1

        with django_capture_on_commit_callbacks(execute=True):
            do_update_auto_reply(teacher, {**AWAY, "enabled": False}, acting_user=teacher)
        assert not link.exists() and not link.is_symlink()
        assert not (home / "sieve" / "schulhof.sieve").exists()
    finally:
        use_mail_conf(None)


@pytest.mark.django_db
def test_end_before_start_is_refused() -> None:
    from django.core.exceptions import ValidationError

    teacher = make_user(username="thomas.mueller")
    with pytest.raises(ValidationError):
        do_update_auto_reply(
            teacher,
            {**AWAY, "start": date(2026, 12, 21), "end": date(2026, 12, 1)},
            acting_user=teacher,
        )
    assert not AutoReply.objects.exists()


# --- Dovecot answers -----------------------------------------------------------------------


def test_reply_reaches_the_sender_once_signed_and_marked(mail: MailStack) -> None:
    teacher = mail.create_mail_user(
        username="thomas.mueller", first_name="Thomas", last_name="Müller", teacher=True
    )
    pupil = mail.create_mail_user(username="leon.schmidt", pupil=True)
    do_update_auto_reply(teacher, AWAY, acting_user=teacher)

    send(mail, pupil, "thomas.mueller@schule.test", "Erste Frage")
    assert mail.wait_for_messages(pupil, 1) == 1
    (reply,) = inbox(mail, pupil)
    assert reply["Subject"] == "Abwesend: Klassenfahrt nach Köln"
    assert reply["Auto-Submitted"].startswith("auto-replied")
    assert reply["From"].addresses[0].display_name == "Thomas Müller"
    assert reply["From"].addresses[0].addr_spec == "thomas.mueller@schule.test"
    assert reply["DKIM-Signature"] is not None
    assert "Klassenfahrt" in reply.get_content()

    # A second message in the same week gets no second reply; both reach the teacher.
    send(mail, pupil, "thomas.mueller@schule.test", "Zweite Frage")
    assert mail.wait_for_messages(teacher, 2) == 2
    mail.wait_for_queue_empty()
    assert mail.message_count(pupil) == 1


def test_no_reply_to_group_mail_or_when_switched_off_or_not_yet_begun(mail: MailStack) -> None:
    teacher = mail.create_mail_user(username="thomas.mueller", teacher=True)
    colleague = mail.create_mail_user(username="ayse.yilmaz", teacher=True)
    group = GroupFactory(slug="lehrer", kind=GroupKind.ROLE, has_mail=True)
    group.members.add(teacher, colleague)
    do_update_auto_reply(teacher, AWAY, acting_user=teacher)

    send(mail, colleague, "lehrer@schule.test", "An alle")
    assert mail.wait_for_messages(teacher, 1) == 1

    tomorrow = timezone.localdate() + timedelta(days=1)
    do_update_auto_reply(teacher, {**AWAY, "start": tomorrow}, acting_user=teacher)
    send(mail, colleague, "thomas.mueller@schule.test", "Noch da?")
    assert mail.wait_for_messages(teacher, 2) == 2

    do_update_auto_reply(teacher, {**AWAY, "enabled": False}, acting_user=teacher)
    send(mail, colleague, "thomas.mueller@schule.test", "Und jetzt?")
    assert mail.wait_for_messages(teacher, 3) == 3
    mail.wait_for_queue_empty()
    # The colleague got only the group mail (as a member), no automatic reply.
    assert [m["Subject"] for m in inbox(mail, colleague)] == ["An alle"]


def replies_port(mail: MailStack) -> smtplib.SMTP:
    client = smtplib.SMTP("127.0.0.1", mail.conf.replies_port, timeout=30)
    client.ehlo("localhost")
    return client


def auto_reply_message(sender: str, to: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = "Abwesend"
    msg["Auto-Submitted"] = "auto-replied (vacation)"
    msg.set_content("Bin weg.")
    return msg.as_bytes()


def test_replies_port_takes_only_replies_of_people_who_are_away(mail: MailStack) -> None:
    mail.create_mail_user(username="thomas.mueller", teacher=True)
    pupil = mail.create_mail_user(username="leon.schmidt", pupil=True)
    data = auto_reply_message("thomas.mueller@schule.test", "leon.schmidt@schule.test")
    with replies_port(mail) as client:
        # Only the null sender.
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            client.sendmail("thomas.mueller@schule.test", ["leon.schmidt@schule.test"], data)
        assert refused.value.recipients["leon.schmidt@schule.test"][0] == 554
        # The teacher's automatic reply is not on: refused after DATA.
        with pytest.raises(smtplib.SMTPDataError) as error:
            client.sendmail("", ["leon.schmidt@schule.test"], data)
        assert error.value.smtp_code == 550
        assert b"Abwesenheitsnotiz" in error.value.smtp_error
    assert mail.message_count(pupil) == 0


def test_pupils_reply_does_not_leave_the_school(mail: MailStack) -> None:
    pupil = mail.create_mail_user(username="leon.schmidt", pupil=True)
    do_update_auto_reply(pupil, AWAY, acting_user=pupil)
    data = auto_reply_message("leon.schmidt@schule.test", "oma@example.org")
    with replies_port(mail) as client, pytest.raises(smtplib.SMTPDataError) as error:
        client.sendmail("", ["oma@example.org"], data)
    assert error.value.smtp_code == 550
    assert b"ausserhalb der Schule" in error.value.smtp_error


@pytest.mark.django_db
def test_a_folder_that_cannot_be_written_is_logged_and_the_row_kept(
    monkeypatch, caplog, django_capture_on_commit_callbacks
) -> None:
    teacher = make_user(username="thomas.mueller")

    def refuse(*args: object) -> None:
        raise PermissionError("read-only")

    monkeypatch.setattr(autoreply, "write", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        do_update_auto_reply(teacher, AWAY, acting_user=teacher)
    assert AutoReply.objects.get(user=teacher).enabled
    assert "script not written" in caplog.text

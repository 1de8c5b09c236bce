"""The sending rules against the real Postfix (submission with AUTH, incoming SMTP)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

import pytest

from schulhof.accounts.models import GroupKind
from schulhof.accounts.tests.factories import GroupFactory
from schulhof.mail.models import SentMail
from schulhof.mail.testing import MailStack

pytestmark = pytest.mark.mail


def message(sender: str, to: list[str], subject: str = "Hallo", body: str = "Grüße") -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Subject"] = subject
    msg.set_content(body)
    return msg.as_bytes()


def send(mail: MailStack, user: object, sender: str, to: list[str], data: bytes) -> dict:
    with mail.submission() as client:
        client.login(user.username, user.test_password)  # type: ignore[attr-defined]
        return client.sendmail(sender, to, data)


def test_pupil_writes_to_classmate_and_reads_it_over_imap(mail: MailStack) -> None:
    leon = mail.create_mail_user(username="leon.schmidt", pupil=True, klasse="5a")
    mia = mail.create_mail_user(username="mia.schneider", pupil=True, klasse="5a")
    sender = "leon.schmidt@schule.test"
    refused = send(mail, leon, sender, ["mia.schneider@schule.test"], message(sender, ["x"]))
    assert refused == {}
    assert mail.wait_for_messages(mia, 1) == 1
    assert SentMail.objects.filter(user=leon, recipients=1).exists()


def test_forged_envelope_sender_is_refused_in_german(mail: MailStack) -> None:
    leon = mail.create_mail_user(username="leon.schmidt", pupil=True)
    mail.create_mail_user(username="mia.schneider", pupil=True)
    forged = "mia.schneider@schule.test"
    with pytest.raises(smtplib.SMTPRecipientsRefused) as error:
        send(mail, leon, forged, ["mia.schneider@schule.test"], message(forged, ["x"]))
    code, text = error.value.recipients["mia.schneider@schule.test"]
    assert code == 550
    assert b"nicht Ihre Adresse" in text


def test_forged_header_from_is_refused(mail: MailStack) -> None:
    leon = mail.create_mail_user(username="leon.schmidt", pupil=True)
    mia = mail.create_mail_user(username="mia.schneider", pupil=True)
    data = message("Direktion <schulleitung@schule.test>", ["mia.schneider@schule.test"])
    with pytest.raises(smtplib.SMTPDataError) as error:
        send(mail, leon, "leon.schmidt@schule.test", ["mia.schneider@schule.test"], data)
    assert error.value.smtp_code == 550
    assert b"im Kopf der E-Mail ist nicht Ihre Adresse" in error.value.smtp_error
    assert mail.message_count(mia) == 0


def test_pupil_message_to_200_recipients_is_refused(mail: MailStack) -> None:
    leon = mail.create_mail_user(username="leon.schmidt", pupil=True, klasse="5a")
    mia = mail.create_mail_user(username="mia.schneider", pupil=True, klasse="5a")
    # The same real mailbox 200 times would be merged; aliases make 200 distinct recipients.
    recipients = ["mia.schneider@schule.test"] + [
        "mia.schneider+%d@schule.test" % n for n in range(199)
    ]
    sender = "leon.schmidt@schule.test"
    with mail.submission() as client:
        client.login(leon.username, leon.test_password)
        client.mail(sender)
        for rcpt in recipients:
            assert client.rcpt(rcpt)[0] == 250
        with pytest.raises(smtplib.SMTPDataError) as error:
            client.data(message(sender, ["mia.schneider@schule.test"]))
    assert error.value.smtp_code == 550
    assert b"Zu viele Empfaenger: 200, erlaubt sind 20 je E-Mail" in error.value.smtp_error
    assert mail.message_count(mia) == 0


def test_all_pupils_address_only_for_teachers(mail: MailStack) -> None:
    everyone = GroupFactory(slug="schueler", name="Schüler", kind=GroupKind.ROLE, has_mail=True)
    leon = mail.create_mail_user(username="leon.schmidt", pupil=True)
    mia = mail.create_mail_user(username="mia.schneider", pupil=True)
    teacher = mail.create_mail_user(username="thomas.mueller", teacher=True)
    for person in (leon, mia):
        everyone.members.add(person)

    with pytest.raises(smtplib.SMTPRecipientsRefused) as error:
        sender = "leon.schmidt@schule.test"
        send(mail, leon, sender, ["schueler@schule.test"], message(sender, ["x"]))
    code, text = error.value.recipients["schueler@schule.test"]
    assert code == 550 and b"Sie duerfen nicht an schueler@schule.test schreiben" in text

    sender = "thomas.mueller@schule.test"
    assert send(mail, teacher, sender, ["schueler@schule.test"], message(sender, ["x"])) == {}
    assert mail.wait_for_messages(mia, 1) == 1
    assert mail.wait_for_messages(leon, 1) == 1


def test_unknown_recipient_refused_at_rcpt(mail: MailStack) -> None:
    mail.create_mail_user(username="mia.schneider", pupil=True)
    with mail.inbound() as client:
        client.mail("someone@example.org")
        code, text = client.rcpt("gibt.es.nicht@schule.test")
    assert code == 550
    assert b"unbekannt" in text


def test_mail_from_outside_is_delivered_but_group_lists_are_internal(mail: MailStack) -> None:
    mia = mail.create_mail_user(username="mia.schneider", pupil=True, klasse="5a")
    with mail.inbound() as client:
        refused = client.sendmail(
            "eltern@example.org",
            ["mia.schneider@schule.test"],
            message("eltern@example.org", ["mia.schneider@schule.test"]),
        )
        assert refused == {}
        client.mail("eltern@example.org")
        code, _text = client.rcpt("5a@schule.test")
        assert code == 550
    assert mail.wait_for_messages(mia, 1) == 1


def test_outside_sender_may_not_use_a_school_address(mail: MailStack) -> None:
    mail.create_mail_user(username="mia.schneider", pupil=True)
    with mail.inbound() as client:
        client.mail("schulleitung@schule.test")
        code, text = client.rcpt("mia.schneider@schule.test")
    assert code == 550
    assert b"Bitte melden Sie sich zum Senden an" in text


def test_pupil_may_not_write_outside_teacher_may(mail: MailStack) -> None:
    leon = mail.create_mail_user(username="leon.schmidt", pupil=True)
    teacher = mail.create_mail_user(username="thomas.mueller", teacher=True)
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        sender = "leon.schmidt@schule.test"
        send(mail, leon, sender, ["freund@example.org"], message(sender, ["x"]))
    sender = "thomas.mueller@schule.test"
    # Accepted (then queued: there is no DNS here).
    assert send(mail, teacher, sender, ["kollege@example.org"], message(sender, ["x"])) == {}


def test_pupil_writes_to_own_class_but_not_to_another(mail: MailStack) -> None:
    leon = mail.create_mail_user(username="leon.schmidt", pupil=True, klasse="5a")
    mia = mail.create_mail_user(username="mia.schneider", pupil=True, klasse="5a")
    mail.create_mail_user(username="paul.becker", pupil=True, klasse="6b")
    sender = "leon.schmidt@schule.test"
    assert send(mail, leon, sender, ["5a@schule.test"], message(sender, ["5a@schule.test"])) == {}
    assert mail.wait_for_messages(mia, 1) == 1
    with pytest.raises(smtplib.SMTPRecipientsRefused) as error:
        send(mail, leon, sender, ["6b@schule.test"], message(sender, ["6b@schule.test"]))
    _code, text = error.value.recipients["6b@schule.test"]
    assert b"in denen Sie Mitglied sind" in text


def test_old_username_stays_an_alias(mail: MailStack) -> None:
    from schulhof.schoolimport.models import UsernameAlias

    mia = mail.create_mail_user(username="mia.neumann", pupil=True)
    UsernameAlias.objects.create(user=mia, username="mia.schneider")
    leon = mail.create_mail_user(username="leon.schmidt", pupil=True)
    sender = "leon.schmidt@schule.test"
    old = "mia.schneider@schule.test"
    assert send(mail, leon, sender, [old], message(sender, [old])) == {}
    assert mail.wait_for_messages(mia, 1) == 1
    # She may still send with her old address.
    assert send(mail, mia, old, [sender], message(old, [sender])) == {}
    assert mail.wait_for_messages(leon, 1) == 1

"""Writing against the real Postfix and Dovecot: sending (with a copy in "Gesendet"),
errors that lose nothing, Postfix's refusals shown in German with the draft kept, drafts,
replies, forwards, attachments, the parents' flag, sanctions and the address suggestions."""

from __future__ import annotations

import dataclasses
import email
from collections.abc import Callable
from datetime import timedelta
from email.message import Message
from email.policy import default as default_policy

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from schulhof.accounts.models import Sanction, User
from schulhof.mail.testing import MailStack
from schulhof.mail.webmail import imap

pytestmark = pytest.mark.mail
COMPOSE = "webmail:compose"


@pytest.fixture
def ben(mail_user: Callable[..., User]) -> User:
    return mail_user(
        username="ben.berg", first_name="Ben", last_name="Berg", pupil=True, klasse="7c"
    )


@pytest.fixture
def teacher(mail_user: Callable[..., User]) -> User:
    return mail_user(username="tina.tauber", first_name="Tina", last_name="Täuber", teacher=True)


def folder_messages(user: User, special: str) -> list[tuple[int, Message, frozenset[str]]]:
    with imap.session_for(user.username) as mail:
        folder = mail.special_or_error(special)
        result = []
        for uid in mail.sorted_uids(folder):
            fetched = mail.fetch(folder, uid)
            parsed = email.message_from_bytes(fetched.raw, policy=default_policy)
            result.append((uid, parsed, fetched.flags))
        return result


def received(stack: MailStack, user: User) -> list[Message]:
    stack.wait_for_queue_empty()
    return [message for _uid, message, _flags in folder_messages(user, "inbox")]


def compose_post(client: Client, **data: object) -> object:
    values = {"action": "send", "to": "", "cc": "", "bcc": "", "subject": "", "body": ""}
    values.update(data)
    return client.post(reverse(COMPOSE), values)


def test_compose_page(lena: User, lena_client: Client) -> None:
    response = lena_client.get(reverse(COMPOSE) + "?an=ben.berg@schule.test")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="ben.berg@schule.test"' in html
    assert "Lena Lang &lt;lena.lang@schule.test&gt;" in html
    # Pupils may not mark parents' information.
    assert 'name="parent_info"' not in html


def test_send_with_umlauts_bcc_and_sent_copy(
    mail: MailStack, lena: User, ben: User, teacher: User, lena_client: Client
) -> None:
    response = compose_post(
        lena_client,
        to="Ben Berg <ben.berg@schule.test>",
        bcc="tina.tauber@schule.test",
        subject="Grüße zum Wandertag – Überraschung",
        body="Hallo Ben,\nschöne Grüße!\n",
        files=[SimpleUploadedFile("Übersicht März.pdf", b"%PDF-1.4 test", "application/pdf")],
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    (message,) = received(mail, ben)
    assert message["Subject"] == "Grüße zum Wandertag – Überraschung"
    assert message["From"].addresses[0].addr_spec == "lena.lang@schule.test"
    assert message["From"].addresses[0].display_name == "Lena Lang"
    assert message["Bcc"] is None
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert text == "Hallo Ben,\nschöne Grüße!\n"
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == "Übersicht März.pdf"
    assert attachment.get_content() == b"%PDF-1.4 test"
    (copy,) = received(mail, teacher)
    assert copy["Subject"] == message["Subject"]
    ((_uid, sent, flags),) = folder_messages(lena, "sent")
    assert sent["Bcc"] == "tina.tauber@schule.test"
    assert "\\Seen" in flags


def test_bad_input_gets_german_errors_and_keeps_the_text(
    mail: MailStack, lena: User, ben: User, lena_client: Client
) -> None:
    response = compose_post(lena_client, to="ben.berg@schule, kein-at", body="Mein langer Text")
    assert response.status_code == 400
    html = response.content.decode()
    assert "„ben.berg@schule“ ist keine gültige E-Mail-Adresse." in html
    assert "„kein-at“ ist keine gültige E-Mail-Adresse." in html
    assert "Mein langer Text</textarea>" in html
    response = compose_post(lena_client, subject="Ohne Empfänger", body="Text")
    assert "Bitte geben Sie mindestens einen Empfänger an." in response.content.decode()
    assert folder_messages(lena, "drafts") == []
    mail.wait_for_queue_empty()
    assert folder_messages(ben, "inbox") == []


def test_errors_with_uploads_keep_the_files_in_a_draft(lena: User, lena_client: Client) -> None:
    response = compose_post(
        lena_client,
        to="falsch",
        subject="Mit Anhang",
        files=[SimpleUploadedFile("Referat.txt", b"Inhalt", "text/plain")],
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Ihre Anhänge sind im Entwurf gespeichert." in html
    assert "Referat.txt" in html and 'name="keep"' in html and "checked" in html
    ((uid, draft, flags),) = folder_messages(lena, "drafts")
    assert "\\Draft" in flags
    assert 'name="draft_uid" value="%d"' % uid in html
    (attachment,) = list(draft.iter_attachments())
    assert attachment.get_filename() == "Referat.txt"


def test_postfix_refusal_is_shown_and_the_draft_kept(
    mail: MailStack, lena: User, lena_client: Client
) -> None:
    # Pupils may not write outside the school (mail.send_external is a privilege).
    response = compose_post(
        lena_client, to="jemand@example.org", subject="Nach draußen", body="Hallo"
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Der Mailserver hat Empfänger abgelehnt." in html
    assert "ausserhalb der Schule" in html
    assert "Ihre Nachricht ist in „Entwürfe“ gespeichert." in html
    ((uid, draft, _flags),) = folder_messages(lena, "drafts")
    assert draft["Subject"] == "Nach draußen"
    assert 'name="draft_uid" value="%d"' % uid in html
    assert folder_messages(lena, "sent") == []


def test_save_restore_and_discard_a_draft(lena: User, lena_client: Client) -> None:
    response = compose_post(
        lena_client,
        action="save",
        to="ben.berg@schule.test",
        cc="Tina <tina.tauber@schule.test>",
        subject="Halb fertig",
        body="Erster Teil",
    )
    ((uid, _draft, _flags),) = folder_messages(lena, "drafts")
    assert response["Location"] == reverse("webmail:draft", args=[uid])
    page = lena_client.get(response["Location"]).content.decode()
    assert 'value="ben.berg@schule.test"' in page
    assert 'value="Tina &lt;tina.tauber@schule.test&gt;"' in page
    assert "Erster Teil" in page and "Entwurf bearbeiten" in page
    # The draft list links to the draft page.
    listing = lena_client.get(reverse("webmail:folder", args=["Drafts"])).content.decode()
    assert reverse("webmail:draft", args=[uid]) in listing
    # Saving again replaces it.
    compose_post(lena_client, action="save", draft_uid=uid, subject="Fertiger", body="Alles")
    ((new_uid, draft, _flags),) = folder_messages(lena, "drafts")
    assert new_uid != uid and draft["Subject"] == "Fertiger"
    response = compose_post(lena_client, action="discard", draft_uid=new_uid)
    assert response.status_code == 302
    assert folder_messages(lena, "drafts") == []


def test_reply_and_reply_all(
    mail: MailStack,
    lena: User,
    ben: User,
    teacher: User,
    lena_client: Client,
    fill: Callable[..., list[bytes]],
) -> None:
    fill(
        lena,
        1,
        sender="Ben Berg <ben.berg@schule.test>",
        to="lena.lang@schule.test, tina.tauber@schule.test",
        subject="Referat",
        body="Machst du die Folien?\n",
        headers={"References": "<start@schule.test>"},
    )
    ((uid, original, _flags),) = folder_messages(lena, "inbox")
    page = lena_client.get(reverse("webmail:reply", args=["INBOX", uid]) + "?alle=1")
    html = page.content.decode()
    assert 'value="Re: Referat"' in html
    assert 'value="Ben Berg &lt;ben.berg@schule.test&gt;"' in html
    assert 'value="tina.tauber@schule.test"' in html
    assert "&gt; Machst du die Folien?" in html
    message_id = original["Message-ID"]
    response = compose_post(
        lena_client,
        to="Ben Berg <ben.berg@schule.test>",
        subject="Re: Referat",
        body="Ja.\n",
        in_reply_to=message_id,
        references="<start@schule.test> " + message_id,
        source="reply %d INBOX" % uid,
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("webmail:folder", args=["INBOX"])
    (answer,) = received(mail, ben)
    assert answer["In-Reply-To"] == message_id
    assert answer["References"].split() == ["<start@schule.test>", message_id]
    assert answer["X-Schulhof-Quelle"] is None
    ((_uid, _message, flags),) = folder_messages(lena, "inbox")
    assert "\\Answered" in flags


def test_forward_as_attachment(
    mail: MailStack, lena: User, ben: User, lena_client: Client, fill: Callable[..., list[bytes]]
) -> None:
    fill(lena, 1, subject="Stundenplan", body="Neu ab Montag\n")
    ((uid, _original, _flags),) = folder_messages(lena, "inbox")
    page = lena_client.get(reverse("webmail:forward", args=["INBOX", uid]) + "?als=anhang")
    html = page.content.decode()
    assert 'value="Fwd: Stundenplan"' in html and "Stundenplan.eml" in html
    response = compose_post(
        lena_client,
        to="ben.berg@schule.test",
        subject="Fwd: Stundenplan",
        body="Siehe Anhang\n",
        keep="s-message",
        source="forward-attachment %d INBOX" % uid,
    )
    assert response.status_code == 302
    (message,) = received(mail, ben)
    (attached,) = list(message.iter_attachments())
    assert attached.get_content_type() == "message/rfc822"
    inner = attached.get_content()
    assert inner["Subject"] == "Stundenplan"
    ((_uid, _message, flags),) = folder_messages(lena, "inbox")
    assert "$Forwarded" in flags


def test_forward_inline_keeps_the_attachments(
    mail: MailStack, lena: User, ben: User, lena_client: Client, fill: Callable[..., list[bytes]]
) -> None:
    fill(lena, 1, subject="Bilder", attachments=[("Foto.png", "image/png", b"\x89PNG fake")])
    ((uid, _original, _flags),) = folder_messages(lena, "inbox")
    html = lena_client.get(reverse("webmail:forward", args=["INBOX", uid])).content.decode()
    assert "-------- Weitergeleitete Nachricht --------" in html
    assert "Foto.png" in html
    compose_post(
        lena_client,
        to="ben.berg@schule.test",
        subject="Fwd: Bilder",
        body="s.u.",
        keep="s2",
        source="forward %d INBOX" % uid,
    )
    (message,) = received(mail, ben)
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == "Foto.png"
    assert attachment.get_content() == b"\x89PNG fake"


def test_teacher_marks_parent_information(
    mail: MailStack, teacher: User, ben: User, lena: User
) -> None:
    client = Client()
    client.force_login(teacher)
    assert 'name="parent_info"' in client.get(reverse(COMPOSE)).content.decode()
    response = compose_post(
        client,
        to="ben.berg@schule.test",
        subject="Wandertag",
        body="Liebe Eltern",
        parent_info="on",
    )
    assert response.status_code == 302
    (message,) = received(mail, ben)
    assert message["X-Schulhof-Elterninfo"] == "1"
    # A pupil's forged field is ignored.
    lena_client = Client()
    lena_client.force_login(lena)
    compose_post(lena_client, to="ben.berg@schule.test", subject="Fake", body="x", parent_info="on")
    messages = received(mail, ben)
    fake = next(m for m in messages if m["Subject"] == "Fake")
    assert fake["X-Schulhof-Elterninfo"] is None


def test_too_large(
    lena: User, lena_client: Client, mail: MailStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = dataclasses.replace(mail.conf, max_message_bytes=1000)
    monkeypatch.setattr("schulhof.mail.webmail.views.compose.mail_conf", lambda: small)
    response = compose_post(
        lena_client,
        to="ben.berg@schule.test",
        body="Mein Text bleibt",
        files=[SimpleUploadedFile("gross.bin", b"x" * 5000, "application/octet-stream")],
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Die Anhänge sind zusammen 4,9 KB groß" in html
    assert "höchstens 1000 B groß sein" in html
    assert "Mein Text bleibt" in html


def test_sending_blocked_by_sanction(lena: User, lena_client: Client) -> None:
    Sanction.objects.create(
        user=lena,
        blocked=["mail_send"],
        reason="Test",
        ends_at=timezone.now() + timedelta(days=1),
        created_by=lena,
    )
    page = lena_client.get(reverse(COMPOSE)).content.decode()
    assert "Das Senden von E-Mails ist für Ihr Konto gesperrt." in page
    response = compose_post(lena_client, to="ben.berg@schule.test", subject="Trotzdem", body="x")
    assert response.status_code == 400
    assert "Das Senden von E-Mails ist für Ihr Konto gesperrt." in response.content.decode()
    ((_uid, draft, _flags),) = folder_messages(lena, "drafts")
    assert draft["Subject"] == "Trotzdem"
    # Reading still works.
    assert lena_client.get(reverse("webmail:home")).status_code == 200


def test_suggestions(lena: User, ben: User, lena_client: Client) -> None:
    response = lena_client.get(reverse("webmail:suggest") + "?q=ben")
    assert response.status_code == 200
    results = response.json()["results"]
    assert {"address": "ben.berg@schule.test", "label": "Ben Berg", "kind": "user"} in results
    groups = lena_client.get(reverse("webmail:suggest") + "?q=7c").json()["results"]
    assert any(item["kind"] == "group" and item["address"] == "7c@schule.test" for item in groups)
    assert lena_client.get(reverse("webmail:suggest") + "?q=b").json()["results"] == []
    assert Client().get(reverse("webmail:suggest") + "?q=ben").status_code == 302

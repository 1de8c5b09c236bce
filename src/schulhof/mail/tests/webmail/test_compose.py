"""Building messages: recipients typed by people, MIME with umlauts, replies with their
references, forwards, drafts read back."""

from __future__ import annotations

import email
from datetime import UTC, datetime
from email.policy import default

import pytest

from schulhof.mail.tests.webmail.conftest import make_message
from schulhof.mail.webmail import compose, render, submit
from schulhof.mail.webmail.compose import Draft, Upload
from schulhof.mail.webmail.headers import Address

LENA = Address("Lena Lang", "lena.lang@schule.test")


def test_parse_recipients() -> None:
    found, errors = compose.parse_recipients(
        '"Muster, Max" <max@example.org>; anna@Example.ORG,\nBen <ben@schule.test>, '
        "anna@example.org, jürgen@müller.de, ohne-at, a@b, <x@ünïcode.de>"
    )
    assert found == [
        Address("Muster, Max", "max@example.org"),
        Address("", "anna@example.org"),
        Address("Ben", "ben@schule.test"),
        Address("", "x@" + "ünïcode.de".encode("idna").decode()),
    ]
    assert errors == [
        "„jürgen@müller.de“ ist keine gültige E-Mail-Adresse.",
        "„ohne-at“ ist keine gültige E-Mail-Adresse.",
        "„a@b“ ist keine gültige E-Mail-Adresse.",
    ]
    assert compose.parse_recipients("  ,; ") == ([], [])


def test_format_addresses_round_trip() -> None:
    values = [Address("Muster, Max", "max@example.org"), Address("", "a@b.de")]
    text = compose.format_addresses(values)
    assert text == '"Muster, Max" <max@example.org>, a@b.de'
    assert compose.parse_recipients(text) == (values, [])


def build(draft: Draft, **kwargs: object) -> email.message.EmailMessage:
    to, _errors = compose.parse_recipients(draft.to)
    cc, _errors = compose.parse_recipients(draft.cc)
    bcc, _errors = compose.parse_recipients(draft.bcc)
    message = compose.build_message(
        draft,
        sender=LENA,
        to=to,
        cc=cc,
        bcc=bcc,
        now=datetime(2025, 11, 3, 9, 0, tzinfo=UTC),
        **kwargs,  # type: ignore[arg-type]
    )
    return email.message_from_bytes(submit.message_bytes(message), policy=default)  # type: ignore[return-value]


def test_build_message_with_umlauts_attachments_and_flags() -> None:
    draft = Draft(
        to="Jürgen Müller <jm@example.org>",
        cc="b@schule.test",
        bcc="geheim@schule.test",
        subject="Übung   für  Klasse 7c",
        body="Liebe Eltern,\r\nÄpfel & Birnen.",
        parent_info=True,
        in_reply_to="<a@x>",
        references="<s@x> <a@x>",
        source="reply 5 INBOX",
        attachments=[
            Upload("Übersicht März.pdf", "application/pdf", b"%PDF"),
            Upload("notiz.txt", "text/plain", b"\xe4 latin-1"),
        ],
    )
    raw = submit.message_bytes(
        compose.build_message(
            draft,
            sender=LENA,
            to=compose.parse_recipients(draft.to)[0],
            cc=compose.parse_recipients(draft.cc)[0],
            bcc=compose.parse_recipients(draft.bcc)[0],
        )
    )
    assert raw.isascii() or b"\r\n\r\n" in raw
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert head.isascii(), "headers must be encoded"
    message = email.message_from_bytes(raw, policy=default)
    assert message["Subject"] == "Übung für Klasse 7c"
    assert message["To"].addresses[0].display_name == "Jürgen Müller"
    assert message["Bcc"] == "geheim@schule.test"
    assert message["X-Schulhof-Elterninfo"] == "1"
    assert message["X-Schulhof-Quelle"] is None
    assert message["In-Reply-To"] == "<a@x>"
    assert message["Message-ID"].endswith("@schule.test>")
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert text == "Liebe Eltern,\nÄpfel & Birnen.\n"
    pdf, note = list(message.iter_attachments())
    assert pdf.get_filename() == "Übersicht März.pdf" and pdf.get_content() == b"%PDF"
    # Text attachments stay bytes: their charset is not ours to guess.
    assert note.get_content_type() == "application/octet-stream"
    assert note.get_content() == b"\xe4 latin-1"

    as_draft = build(draft, as_draft=True)
    assert as_draft["X-Schulhof-Quelle"] == "reply 5 INBOX"


def test_sent_bytes_leave_out_bcc_but_keep_it_on_the_message() -> None:
    message = compose.build_message(
        Draft(subject="x", body="y"),
        sender=LENA,
        to=[Address("", "a@b.de")],
        cc=[],
        bcc=[Address("", "geheim@b.de")],
    )
    sent = submit.without_bcc(message)
    assert b"geheim" not in sent
    assert message["Bcc"] == "geheim@b.de"


@pytest.mark.parametrize(
    ("subject", "reply", "forward"),
    [
        ("Frage", "Re: Frage", "Fwd: Frage"),
        ("Re: Frage", "Re: Frage", "Fwd: Frage"),
        ("AW: Re:  Frage", "Re: Frage", "Fwd: Frage"),
        ("WG: Frage", "Re: Frage", "Fwd: Frage"),
        ("", "Re: ", "Fwd: "),
    ],
)
def test_subject_prefixes(subject: str, reply: str, forward: str) -> None:
    assert compose.reply_subject(subject) == reply
    assert compose.forward_subject(subject) == forward


def original(**kwargs: object) -> render.Rendered:
    params = {
        "sender": "Ben Berg <ben@schule.test>",
        "to": "lena.lang@schule.test, Tina <tina@schule.test>",
        "cc": "kurt@schule.test, Lena <LENA.LANG@schule.test>",
        "subject": "Referat",
        "body": "Zeile eins\n\nZeile drei\n",
        "headers": {"References": "<r1@x> <r2@x>", "Message-ID": "<m3@x>"},
    }
    params.update(kwargs)
    return render.render(make_message(**params))  # type: ignore[arg-type]


def test_reply_and_reply_all() -> None:
    own = {"lena.lang@schule.test"}
    reply = compose.reply_draft(original(), own_addresses=own, reply_all=False, source="s")
    assert reply.to == "Ben Berg <ben@schule.test>"
    assert reply.cc == ""
    assert reply.subject == "Re: Referat"
    assert reply.in_reply_to == "<m3@x>"
    assert reply.references == "<r1@x> <r2@x> <m3@x>"
    assert reply.source == "s"
    assert "> Zeile eins\n> \n> Zeile drei" in reply.body
    assert reply.body.startswith("\n\nAm 03.11.2025 10:30 schrieb Ben Berg <ben@schule.test>:")

    everyone = compose.reply_draft(original(), own_addresses=own, reply_all=True)
    assert everyone.to == "Ben Berg <ben@schule.test>"
    assert everyone.cc == "Tina <tina@schule.test>, kurt@schule.test"


def test_reply_goes_to_reply_to_and_our_own_message_to_its_recipients() -> None:
    listed = original(headers={"Reply-To": "Liste <liste@schule.test>", "Message-ID": "<m@x>"})
    reply = compose.reply_draft(listed, own_addresses={"x@y.de"}, reply_all=False)
    assert reply.to == "Liste <liste@schule.test>"
    mine = original(sender="Lena <lena.lang@schule.test>", to="ben@schule.test", cc="")
    reply = compose.reply_draft(mine, own_addresses={"lena.lang@schule.test"}, reply_all=False)
    assert reply.to == "ben@schule.test"


def test_references_are_bounded() -> None:
    chain = " ".join("<r%d@x>" % n for n in range(40))
    message = original(headers={"References": chain, "Message-ID": "<neu@x>"})
    _in_reply_to, references = compose.references_for(message.message)
    ids = references.split()
    assert len(ids) == compose.MAX_REFERENCES
    assert ids[0] == "<r0@x>" and ids[-1] == "<neu@x>"


def test_forward_inline_and_as_attachment() -> None:
    inline = compose.forward_draft(original(), as_attachment=False)
    assert inline.subject == "Fwd: Referat"
    assert "-------- Weitergeleitete Nachricht --------" in inline.body
    assert "Betreff: Referat" in inline.body and "Von: Ben Berg <ben@schule.test>" in inline.body
    assert "Zeile eins\n\nZeile drei" in inline.body
    attached = compose.forward_draft(original(), as_attachment=True)
    ((name, message),) = attached.attached_messages
    assert name == "Referat.eml" and message["Subject"] == "Referat"


def test_quote_of_html_only_message() -> None:
    rendered = render.render(make_message(body="x", html="<p>Hallo <b>du</b></p><p>Zwei</p>"))
    assert compose.body_as_text(rendered) == "Hallo du\n\nZwei"


def test_draft_read_back() -> None:
    draft = Draft(
        to="a@b.de",
        cc="Tina <tina@schule.test>",
        bcc="geheim@schule.test",
        subject="Entwurf",
        body="Text\n",
        parent_info=True,
        in_reply_to="<a@x>",
        references="<s@x> <a@x>",
        source="forward 3 INBOX",
    )
    message = compose.build_message(
        draft,
        sender=LENA,
        to=compose.parse_recipients(draft.to)[0],
        cc=compose.parse_recipients(draft.cc)[0],
        bcc=compose.parse_recipients(draft.bcc)[0],
        as_draft=True,
    )
    back = compose.draft_from_message(render.render(submit.message_bytes(message)))
    assert back == draft


def test_clean_message_ids() -> None:
    assert compose.clean_message_ids("<a@b> junk <c@d>\r\nX-Evil: 1") == "<a@b> <c@d>"


def test_server_text() -> None:
    assert submit.server_text(b"5.7.1 Sie duerfen nicht\n  an x schreiben") == (
        "Sie duerfen nicht an x schreiben"
    )


def test_mailto_links_fill_the_form() -> None:
    from schulhof.mail.webmail.views.compose import from_mailto

    draft = from_mailto(
        "mailto:info@schule.example,b@schule.example?subject=Frage%20zu%20%C3%9Cbung"
        "&cc=c@x.de&body=Hallo%0AWelt"
    )
    assert draft.to == "info@schule.example,b@schule.example"
    assert draft.subject == "Frage zu Übung"
    assert draft.cc == "c@x.de"
    assert draft.body == "Hallo\nWelt"
    assert from_mailto("https://evil.example/") == Draft()

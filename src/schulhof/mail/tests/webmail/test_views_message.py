"""Reading messages against the real Dovecot: the page, the sandboxed HTML frame with its
own CSP, remote images blocked until allowed, cid images and attachments through our URLs,
the parents' badge, the source."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from schulhof.accounts.models import User
from schulhof.mail.webmail import imap

pytestmark = pytest.mark.mail

# A 1×1 PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)

HOSTILE = """<html><head><style>body{background:url(https://tracker.example/bg.png)}</style>
<script>document.title='pwned'</script></head><body>
<p onclick="alert(1)">Liebe Eltern,</p>
<img src="https://tracker.example/pixel.gif" onerror="alert(2)" alt="Logo">
<img src="x" onerror="alert(3)">
<a href="javascript:alert(4)">Klick</a> <a href="https://schule.example/info">Info</a>
<img src="cid:logo@schule">
</body></html>"""


def only_uid(user: User, folder: str = "inbox") -> int:
    with imap.session_for(user.username) as mail:
        (uid,) = mail.sorted_uids(mail.special_or_error(folder))
        return uid


def hostile_message() -> bytes:
    from email.message import EmailMessage
    from email.policy import SMTP

    message = EmailMessage(policy=SMTP)
    message["From"] = "Newsletter <news@tracker.example>"
    message["To"] = "lena.lang@schule.test"
    message["Subject"] = "Wichtige Information"
    message["Date"] = "Mon, 03 Nov 2025 10:00:00 +0100"
    message.set_content("Bitte HTML ansehen")
    message.add_alternative(HOSTILE, subtype="html")
    html_part = message.get_payload()[1]
    html_part.add_related(PNG, "image", "png", cid="<logo@schule>")
    message.add_attachment(
        b"<script>alert(5)</script>", maintype="text", subtype="html", filename="boese.html"
    )
    return message.as_bytes()


def test_plain_message_is_escaped_linked_and_marked_read(
    lena: User, lena_client: Client, fill: Callable[..., list[bytes]]
) -> None:
    fill(
        lena,
        1,
        subject="Hausaufgaben <Mathe>",
        body="Siehe https://schule.example/aufgaben?x=1&y=2.\n<b>nicht fett</b>\n> zitiert\n",
    )
    uid = only_uid(lena)
    response = lena_client.get(reverse("webmail:message", args=["INBOX", uid]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Hausaufgaben &lt;Mathe&gt;" in html
    assert "&lt;b&gt;nicht fett&lt;/b&gt;" in html
    assert (
        '<a href="https://schule.example/aufgaben?x=1&amp;y=2" target="_blank" '
        'rel="noopener noreferrer">https://schule.example/aufgaben?x=1&amp;y=2</a>.' in html
    )
    assert '<span class="wm-quote wm-quote--1">&gt; zitiert</span>' in html
    assert "Jürgen Müller" in html
    # Read now: the folder list counts it no more.
    assert 'class="wm-count"' not in html
    with imap.session_for(lena.username) as mail:
        summary = mail.summaries(mail.special_or_error("inbox"), [uid])[0]
    assert summary.seen


def test_html_message_in_a_sandboxed_frame_with_remote_images_blocked(
    lena: User, lena_client: Client, mail: object
) -> None:
    from schulhof.mail.testing import MailStack

    assert isinstance(mail, MailStack)
    mail.deliver("lena.lang@schule.test", hostile_message())
    uid = only_uid(lena)
    page = lena_client.get(reverse("webmail:message", args=["INBOX", uid])).content.decode()
    body_url = reverse("webmail:body", args=["INBOX", uid])
    assert 'src="%s"' % body_url in page
    assert 'sandbox="allow-same-origin allow-popups allow-popups-to-escape-sandbox"' in page
    assert "2 externe Bilder wurden zu Ihrem Schutz nicht geladen." in page
    assert "Externe Bilder anzeigen" in page
    assert "boese.html" in page

    frame = lena_client.get(body_url)
    assert frame.status_code == 200
    csp = frame["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "img-src 'self' data:;" in csp
    assert "sandbox allow-same-origin allow-popups" in csp and "allow-scripts" not in csp
    assert "tracker.example" not in csp
    assert frame["X-Frame-Options"] == "SAMEORIGIN"
    document = frame.content.decode()
    for bad in ("<script", "onerror", "onclick", "javascript:", "tracker.example", 'src="x"'):
        assert bad not in document
    assert "Liebe Eltern" in document
    assert (
        'href="https://schule.example/info" target="_blank" rel="noopener noreferrer"' in document
    )
    cid_src = '<img src="%s?inline=1">' % reverse("webmail:part", args=["INBOX", uid, 5])
    assert cid_src in document

    allowed = lena_client.get(body_url + "?bilder=1")
    assert "https://tracker.example" in allowed["Content-Security-Policy"]
    assert 'src="https://tracker.example/pixel.gif"' in allowed.content.decode()
    page = lena_client.get(reverse("webmail:message", args=["INBOX", uid]) + "?bilder=1")
    assert 'src="%s?bilder=1"' % body_url in page.content.decode()


def test_parts_inline_image_and_safe_download(
    lena: User, lena_client: Client, mail: object
) -> None:
    from schulhof.mail.testing import MailStack

    assert isinstance(mail, MailStack)
    mail.deliver("lena.lang@schule.test", hostile_message())
    uid = only_uid(lena)
    image = lena_client.get(reverse("webmail:part", args=["INBOX", uid, 5]) + "?inline=1")
    assert image.status_code == 200
    assert image["Content-Type"] == "image/png"
    assert image["Content-Disposition"].startswith("inline")
    assert image.content == PNG
    assert image["X-Content-Type-Options"] == "nosniff"
    download = lena_client.get(reverse("webmail:part", args=["INBOX", uid, 6]) + "?inline=1")
    assert download["Content-Type"] == "application/octet-stream"
    assert download["Content-Disposition"].startswith('attachment; filename="boese.html"')
    assert "sandbox" in download["Content-Security-Policy"]
    assert download.content == b"<script>alert(5)</script>"
    missing = lena_client.get(reverse("webmail:part", args=["INBOX", uid, 99]))
    assert missing.status_code == 404


def test_parent_info_badge_in_list_and_message(
    lena: User, lena_client: Client, fill: Callable[..., list[bytes]]
) -> None:
    fill(lena, 1, subject="Wandertag", headers={"X-Schulhof-Elterninfo": "1"})
    fill(lena, 1, subject="Ohne Kennzeichen")
    listing = lena_client.get(reverse("webmail:home")).content.decode()
    assert listing.count("wm-badge--parents") == 1
    with imap.session_for(lena.username) as session:
        uids = session.sorted_uids(session.special_or_error("inbox"))
    page = lena_client.get(reverse("webmail:message", args=["INBOX", uids[1]])).content.decode()
    assert "wm-parentinfo" in page and "Information für die Eltern" in page
    other = lena_client.get(reverse("webmail:message", args=["INBOX", uids[0]])).content.decode()
    assert "wm-parentinfo" not in other


def test_source_and_missing_message(
    lena: User, lena_client: Client, fill: Callable[..., list[bytes]]
) -> None:
    fill(lena, 1, subject="Quelle")
    uid = only_uid(lena)
    source = lena_client.get(reverse("webmail:source", args=["INBOX", uid]))
    assert source["Content-Type"] == "text/plain; charset=utf-8"
    assert b"Subject: Quelle" in source.content
    download = lena_client.get(reverse("webmail:source", args=["INBOX", uid]) + "?download=1")
    assert download["Content-Disposition"].startswith('attachment; filename="Quelle.eml"')
    missing = lena_client.get(reverse("webmail:message", args=["INBOX", uid + 50]))
    assert missing.status_code == 404
    assert "Diese Nachricht gibt es nicht (mehr)." in missing.content.decode()


def test_message_actions_from_the_page(
    lena: User, lena_client: Client, fill: Callable[..., list[bytes]]
) -> None:
    fill(lena, 2)
    with imap.session_for(lena.username) as session:
        older, newer = sorted(session.sorted_uids(session.special_or_error("inbox")))
    page = lena_client.get(reverse("webmail:message", args=["INBOX", newer])).content.decode()
    # Newest first: the next message in the list is the older one.
    assert reverse("webmail:message", args=["INBOX", older]) in page
    response = lena_client.post(
        reverse("webmail:bulk", args=["INBOX"]),
        {"action": "delete", "uid": [newer], "from_message": "1"},
    )
    assert response["Location"] == reverse("webmail:folder", args=["INBOX"])

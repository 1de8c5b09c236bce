"""Taking messages apart: which body is shown, which parts are attachments, cid images,
broken charsets, plain text made clickable."""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP

from schulhof.mail.tests.webmail.conftest import make_message
from schulhof.mail.webmail import render


def test_plain_message() -> None:
    rendered = render.render(make_message(subject="Hallo", body="Text\nZeile 2\n"))
    assert rendered.text == "Text\nZeile 2\n"
    assert rendered.html_part_id is None
    assert rendered.attachments == []
    assert rendered.subject == "Hallo"
    assert rendered.sender is not None and rendered.sender.name == "Jürgen Müller"


def test_html_preferred_plain_alternative_not_an_attachment() -> None:
    raw = make_message(body="Nur Text", html="<p>Mit <b>HTML</b></p>")
    rendered = render.render(raw)
    assert rendered.html_part_id == "2"
    assert rendered.text is None
    assert rendered.attachments == []
    clean = render.html_body(rendered, part_url=lambda part_id: "/teil/%s" % part_id)
    assert "<b>HTML</b>" in clean.html
    document = render.frame_document(clean)
    assert document.startswith("<!DOCTYPE html>") and "<b>HTML</b>" in document


def test_attachments_and_cid_images() -> None:
    message = EmailMessage(policy=SMTP)
    message["Subject"] = "Fotos"
    message.set_content("Siehe HTML")
    message.add_alternative('<p>Bild:</p><img src="cid:bild1@x">', subtype="html")
    message.get_payload()[1].add_related(b"PNGDATA", "image", "png", cid="<bild1@x>")
    message.add_attachment(b"%PDF", maintype="application", subtype="pdf", filename="Plan.pdf")
    message.add_attachment(b"GIF89a", maintype="image", subtype="gif")
    rendered = render.render(message.as_bytes())
    listed = rendered.listed_attachments
    assert [(a.filename, a.content_type, a.size) for a in listed] == [
        ("Plan.pdf", "application/pdf", 4),
        ("Anhang-7.gif", "image/gif", 6),
    ]
    inline = [a for a in rendered.attachments if a.inline]
    assert [a.content_type for a in inline] == ["image/png"]
    assert rendered.cids == {"bild1@x": inline[0].part_id}
    clean = render.html_body(rendered, part_url=lambda part_id: "/teil/%s" % part_id)
    assert '<img src="/teil/%s">' % inline[0].part_id in clean.html
    part = render.find_part(rendered.message, listed[0].part_id)
    assert part is not None and render.part_bytes(part) == b"%PDF"


def test_attached_message_is_one_attachment() -> None:
    inner = EmailMessage(policy=SMTP)
    inner["Subject"] = "Original/Frage"
    inner.set_content("Innen")
    outer = EmailMessage(policy=SMTP)
    outer["Subject"] = "Weiter"
    outer.set_content("Außen")
    outer.add_attachment(inner)
    rendered = render.render(outer.as_bytes())
    (attachment,) = rendered.listed_attachments
    assert attachment.content_type == "message/rfc822"
    assert attachment.filename == "Original_Frage.eml"
    part = render.find_part(rendered.message, attachment.part_id)
    assert part is not None and b"Subject: Original/Frage" in render.part_bytes(part)
    assert rendered.text == "Außen\n"


def test_broken_charsets_and_filenames() -> None:
    raw = (
        b"Subject: Test\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n"
        b"--XX\r\nContent-Type: text/plain; charset=x-unbekannt\r\n\r\nGr\xc3\xbc\xc3\x9fe\r\n"
        b"--XX\r\nContent-Type: text/plain\r\n"
        b'Content-Disposition: attachment; filename="../../etc/pass\x01wd"\r\n\r\nx\r\n'
        b"--XX--\r\n"
    )
    rendered = render.render(raw)
    assert rendered.text == "Grüße"
    (attachment,) = rendered.listed_attachments
    assert attachment.filename == "passwd"
    latin = b"Subject: x\r\nContent-Type: text/plain\r\n\r\nStra\xdfe\r\n"
    assert render.render(latin).text == "Straße\n"


def test_message_without_text() -> None:
    message = EmailMessage(policy=SMTP)
    message["Subject"] = "Nur ein Bild"
    message.set_content(b"PNG", maintype="image", subtype="png", filename="bild.png")
    rendered = render.render(message.as_bytes())
    assert rendered.text == ""
    assert [a.filename for a in rendered.listed_attachments] == ["bild.png"]


def test_text_to_html_links_escapes_and_quotes() -> None:
    html = render.text_to_html(
        "Siehe www.schule.example/plan, oder https://x.example/a?b=1&c=<2>.\n"
        "Mail an info@schule.example!\n> alt\n>> älter\n<script>",
        mailto_url=lambda url: "/verfassen/?mailto=" + url,
    )
    assert (
        '<a href="https://www.schule.example/plan" target="_blank" rel="noopener noreferrer">'
        "www.schule.example/plan</a>," in html
    )
    assert 'href="https://x.example/a?b=1&amp;c="' in html
    assert (
        '<a href="/verfassen/?mailto=mailto:info@schule.example">info@schule.example</a>!' in html
    )
    assert '<span class="wm-quote wm-quote--1">&gt; alt</span>' in html
    assert '<span class="wm-quote wm-quote--2">&gt;&gt; älter</span>' in html
    assert "&lt;script&gt;" in html and "<script>" not in html


def test_html_to_text() -> None:
    text = render.html_to_text(
        "<html><head><style>p{}</style><title>T</title></head><body><h1>Titel</h1>"
        "<p>Erster&nbsp;Absatz mit &lt;Zeichen&gt;</p><ul><li>eins</li><li>zwei</li></ul>"
        "<table><tr><td>a</td><td>b</td></tr></table><script>x()</script></body></html>"
    )
    assert text == "Titel\n\nErster\xa0Absatz mit <Zeichen>\n\neins\n\nzwei\n\na b"

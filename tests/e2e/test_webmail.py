"""The webmail in headless Chromium against a real ``schulhof run`` (with its Dovecot and
Postfix): a hostile HTML mail runs no script and makes the browser ask no other host until
the person allows external images; the parents' badge; writing with address suggestions;
screenshots on desktop and phone."""

from __future__ import annotations

import base64
import re
import smtplib
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from schulhof.core.demo import DEMO_DOMAIN

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
TRACKER = "tracker.invalid"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)

# Every way a mail could run script or load something from elsewhere that we know of.
HOSTILE_HTML = f"""<!DOCTYPE html><html><head>
<style>.banner {{ background: url(https://{TRACKER}/css-bg.png); padding: 8px; }}</style>
<script>document.documentElement.setAttribute("data-pwned", "script");
try {{ parent.document.title = "pwned"; }} catch (e) {{}}</script>
</head><body onload="document.documentElement.setAttribute('data-pwned', 'onload')">
<div class="banner"><h1 style="color:#0b5c6b">Sommerfest am Freitag</h1></div>
<p>Liebe Eltern, liebe Schülerinnen und Schüler,</p>
<p>wir laden herzlich zum <b>Sommerfest</b> ein. Bringen Sie gern Kuchen mit!</p>
<img src="https://{TRACKER}/pixel.gif?empfaenger=1" width="1" height="1" alt="">
<img src="https://{TRACKER}/plakat.png" srcset="https://{TRACKER}/plakat@2x.png 2x"
     alt="Plakat" width="300">
<img src="does-not-exist.png"
     onerror="document.documentElement.setAttribute('data-pwned', 'onerror')">
<p><a href="javascript:document.documentElement.setAttribute('data-pwned','link')">Anmelden</a>
 · <a href="https://www.example.org/sommerfest">Programm</a></p>
<p>Schullogo: <img src="cid:logo@schule" alt="Logo" width="32" height="32"></p>
<form action="https://{TRACKER}/steal"><input name="passwort"><button>Senden</button></form>
<iframe src="https://{TRACKER}/frame"></iframe>
</body></html>"""


def lmtp_deliver(server, recipient: str, message: bytes) -> None:
    # Straight into the mailbox through Dovecot's LMTP socket (no sending rules).
    from types import SimpleNamespace

    from schulhof.mail.conf import LMTP_SOCKET
    from schulhof.mail.servers.dovecot import base_dir

    socket_path = base_dir(SimpleNamespace(root=server.data_dir / "mail")) / LMTP_SOCKET
    with smtplib.LMTP(str(socket_path), timeout=60) as lmtp:
        assert lmtp.sendmail("absender@example.org", [recipient], message) == {}


def message(
    subject: str,
    *,
    sender: str,
    to: str,
    minutes_ago: int,
    text: str,
    html: str | None = None,
    headers: dict[str, str] | None = None,
) -> bytes:
    mail = EmailMessage(policy=SMTP)
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = subject
    mail["Date"] = format_datetime(datetime.now(UTC) - timedelta(minutes=minutes_ago))
    mail["Message-ID"] = make_msgid(domain="example.org")
    for key, value in (headers or {}).items():
        mail[key] = value
    mail.set_content(text)
    if html is not None:
        mail.add_alternative(html, subtype="html")
        mail.get_payload()[1].add_related(PNG, "image", "png", cid="<logo@schule>")
    return mail.as_bytes()


def login(page, server, label: str = "Schüler 5a") -> str:
    username, password = server.logins[label]
    page.goto(server.url + "/anmelden/")
    page.get_by_label("Benutzername").fill(username)
    page.get_by_label("Passwort", exact=True).fill(password)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_load_state("networkidle")
    return username


def new_page(browser, viewport, *, accept_dialogs: bool = False):
    context = browser.new_context(viewport=viewport, locale="de-DE")
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "console",
        lambda entry: problems.append(entry.text) if entry.type == "error" else None,
    )
    dialogs: list[str] = []

    def on_dialog(dialog) -> None:
        dialogs.append(dialog.message)
        if accept_dialogs:
            dialog.accept()
        else:
            dialog.dismiss()

    page.on("dialog", on_dialog)
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    return context, page, problems, dialogs, requests


def fits_width(page) -> bool:
    """Nothing sticks out sideways (no horizontal scrolling on a phone)."""
    return page.evaluate(
        "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def foreign(requests: list[str], server) -> list[str]:
    """Requests to anything but our own server (data: and about: URLs never leave)."""
    ours = urlsplit(server.url).netloc
    return [
        url
        for url in requests
        if not url.startswith(("data:", "about:", "blob:")) and urlsplit(url).netloc != ours
    ]


@pytest.fixture(scope="module")
def mailbox(server) -> str:
    """The demo pupil's inbox with a few messages, the hostile one newest."""
    username, _password = server.logins["Schüler 5a"]
    address = "%s@%s" % (username, DEMO_DOMAIN)
    teacher, _ = server.logins["Klassenleitung 5a"]
    lmtp_deliver(
        server,
        address,
        message(
            "Vokabeltest am Montag",
            sender="Frau Özdemir <%s@%s>" % (teacher, DEMO_DOMAIN),
            to=address,
            minutes_ago=300,
            text="Bitte lernt die Vokabeln von Seite 42 bis 45.\n\nViele Grüße\n",
        ),
    )
    lmtp_deliver(
        server,
        address,
        message(
            "Wandertag: Information für die Eltern",
            sender="Klassenleitung 5a <%s@%s>" % (teacher, DEMO_DOMAIN),
            to="5a@%s" % DEMO_DOMAIN,
            minutes_ago=120,
            text="Liebe Eltern,\nder Wandertag findet am 14. Mai statt.\n",
            headers={"X-Schulhof-Elterninfo": "1"},
        ),
    )
    lmtp_deliver(
        server,
        address,
        message(
            "Re: Referat über Vulkane",
            sender="Mia Brandt <mia.brandt@%s>" % DEMO_DOMAIN,
            to=address,
            minutes_ago=30,
            text="Ich mache die Folien zu Ätna und Vesuv.\n\n> Wer macht was?\n",
        ),
    )
    lmtp_deliver(
        server,
        address,
        message(
            "Einladung zum Sommerfest",
            sender="Förderverein <info@foerderverein.example>",
            to=address,
            minutes_ago=5,
            text="Bitte die HTML-Ansicht öffnen.",
            html=HOSTILE_HTML,
        ),
    )
    return address


def test_hostile_html_mail_runs_nothing_and_loads_nothing_foreign(
    browser, server, screenshots, mailbox
):
    context, page, problems, dialogs, requests = new_page(browser, DESKTOP)
    login(page, server)
    page.goto(server.url + "/mail/")
    expect(page.get_by_role("heading", name=re.compile("^Posteingang"))).to_be_visible()
    expect(page.locator(".wm-row")).to_have_count(4)
    expect(page.locator(".wm-row--unread")).to_have_count(4)
    expect(page.locator(".wm-badge--parents")).to_have_count(1)
    page.screenshot(path=str(screenshots / "webmail-inbox-desktop.png"), full_page=True)

    page.get_by_role("link", name=re.compile("Einladung zum Sommerfest")).click()
    expect(page.get_by_role("heading", name="Einladung zum Sommerfest")).to_be_visible()
    frame = page.frame_locator("iframe.wm-frame")
    expect(frame.get_by_text("wir laden herzlich zum")).to_be_visible()
    expect(page.get_by_text("externe Bilder wurden zu Ihrem Schutz nicht geladen")).to_be_visible()
    page.wait_for_load_state("networkidle")
    # The frame grew to the mail's height (the page script measures it).
    height = page.locator("iframe.wm-frame").evaluate("frame => frame.clientHeight")
    assert height > 200
    page.screenshot(path=str(screenshots / "webmail-message-desktop.png"), full_page=True)

    body = page.frame(url=re.compile(r"/mail/inhalt/"))
    assert body is not None
    # The cid image came from our server.
    assert body.evaluate(
        "() => [...document.images].some(i => i.alt === 'Logo' && i.naturalWidth === 1)"
    )
    # Nothing ran: no script, no handler, no link; the page's title is ours.
    body.locator("a", has_text="Anmelden").click()
    assert body.evaluate("() => document.documentElement.getAttribute('data-pwned')") is None
    assert (
        body.evaluate("() => document.querySelectorAll('script, form, iframe, input').length") == 0
    )
    assert "pwned" not in page.title()
    assert dialogs == []
    assert foreign(requests, server) == [], foreign(requests, server)
    assert problems == [], problems

    # Allowed for this message only: now the browser asks the tracker (answered here).
    page.route(
        re.compile(r"https://%s/.*" % re.escape(TRACKER)),
        lambda route: route.fulfill(status=200, content_type="image/png", body=PNG),
    )
    page.get_by_role("link", name="Externe Bilder anzeigen").click()
    expect(frame.get_by_text("wir laden herzlich zum")).to_be_visible()
    page.wait_for_load_state("networkidle")
    asked = {urlsplit(url).netloc for url in foreign(requests, server)}
    assert asked == {TRACKER}
    body = page.frame(url=re.compile(r"/mail/inhalt/.*bilder=1"))
    assert body is not None
    assert body.evaluate("() => document.documentElement.getAttribute('data-pwned')") is None
    assert body.evaluate("() => [...document.images].filter(i => i.naturalWidth > 0).length") >= 3
    context.close()

    # A fresh visit blocks them again.
    context, page, problems, dialogs, requests = new_page(browser, PHONE)
    login(page, server)
    page.goto(server.url + "/mail/")
    expect(page.locator(".wm-row")).to_have_count(4)
    page.screenshot(path=str(screenshots / "webmail-inbox-phone.png"), full_page=True)
    assert fits_width(page)
    page.get_by_role("link", name=re.compile("Einladung zum Sommerfest")).click()
    expect(
        page.frame_locator("iframe.wm-frame").get_by_text("Sommerfest am Freitag")
    ).to_be_visible()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(screenshots / "webmail-message-phone.png"), full_page=True)
    assert fits_width(page)
    assert foreign(requests, server) == []
    assert problems == [] and dialogs == []
    context.close()


def test_parents_badge_plain_text_and_writing(browser, server, screenshots, mailbox):
    context, page, problems, dialogs, requests = new_page(browser, DESKTOP)
    login(page, server)
    page.goto(server.url + "/mail/")
    page.get_by_role("link", name=re.compile("Wandertag")).click()
    expect(page.get_by_role("note").filter(has_text="Information für die Eltern")).to_be_visible()
    expect(page.get_by_text("der Wandertag findet am 14. Mai statt.")).to_be_visible()

    page.get_by_role("link", name="Antworten").click()
    expect(page.get_by_role("heading", name="Antworten")).to_be_visible()
    expect(page.get_by_label("Betreff")).to_have_value("Re: Wandertag: Information für die Eltern")
    # A new message to a classmate, found by name.
    page.goto(server.url + "/mail/verfassen/")
    recipients = page.get_by_label("An", exact=True)
    recipients.press_sequentially("Mia", delay=40)
    option = page.get_by_role("option").filter(has_text="mia.").first
    expect(option).to_be_visible()
    page.screenshot(path=str(screenshots / "webmail-compose-desktop.png"), full_page=True)
    option.click()
    expect(recipients).to_have_value(re.compile(r"^Mia \S+ <mia\.[a-z.]+@[^>]+>, $"))
    page.get_by_label("Betreff").fill("Folien für Freitag")
    page.get_by_label("Nachricht").fill("Hallo Mia,\nich bringe den USB-Stick mit.\n")
    page.get_by_role("button", name="Senden").click()
    expect(page.get_by_text("Die Nachricht wurde gesendet.")).to_be_visible()
    page.goto(server.url + "/mail/ordner/Sent/")
    expect(page.get_by_role("heading", name="Gesendet")).to_be_visible()
    expect(page.locator(".wm-row", has_text="Folien für Freitag")).to_have_count(1)

    # A wrong address: a German error, the text stays.
    page.goto(server.url + "/mail/verfassen/")
    page.get_by_label("An", exact=True).fill("mia.brandt@")
    page.get_by_label("Nachricht").fill("Bitte nicht verlieren")
    page.get_by_role("button", name="Senden").click()
    expect(page.get_by_text("„mia.brandt@“ ist keine gültige E-Mail-Adresse.")).to_be_visible()
    expect(page.get_by_label("Nachricht")).to_have_value("Bitte nicht verlieren")
    page.screenshot(path=str(screenshots / "webmail-compose-error-desktop.png"), full_page=True)
    context.close()

    context, page, problems, dialogs, requests = new_page(browser, PHONE)
    login(page, server)
    page.goto(server.url + "/mail/verfassen/")
    expect(page.get_by_role("heading", name="Neue Nachricht")).to_be_visible()
    page.screenshot(path=str(screenshots / "webmail-compose-phone.png"), full_page=True)
    assert fits_width(page)
    assert foreign(requests, server) == []
    assert problems == [] and dialogs == []
    context.close()


def test_auto_reply_page(browser, server, screenshots, mailbox):
    context, page, problems, dialogs, requests = new_page(browser, DESKTOP)
    login(page, server)
    page.goto(server.url + "/mail/")
    page.get_by_role("link", name="Abwesenheitsnotiz").click()
    expect(page.get_by_role("heading", name="Abwesenheitsnotiz")).to_be_visible()
    expect(page.get_by_text("Ausgeschaltet")).to_be_visible()
    # Wrong dates: a German error, the text stays.
    page.get_by_label("Abwesenheitsnotiz einschalten").check()
    page.get_by_label("Ab (optional)").fill("2030-05-10")
    page.get_by_label("Bis einschließlich (optional)").fill("2030-05-01")
    page.get_by_label("Text").fill("Ich bin auf Klassenfahrt.")
    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_text("Das Ende liegt vor dem Beginn.")).to_be_visible()
    expect(page.get_by_label("Text")).to_have_value("Ich bin auf Klassenfahrt.")
    page.screenshot(path=str(screenshots / "webmail-autoreply-error-desktop.png"), full_page=True)
    page.get_by_label("Ab (optional)").fill("")
    page.get_by_label("Bis einschließlich (optional)").fill("2030-05-01")
    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_text("Ihre Abwesenheitsnotiz ist gespeichert.")).to_be_visible()
    expect(page.get_by_text("Eingeschaltet bis einschließlich 1. Mai 2030")).to_be_visible()
    expect(page.locator(".wm-sidelink .wm-on")).to_have_text("eingeschaltet")
    page.screenshot(path=str(screenshots / "webmail-autoreply-desktop.png"), full_page=True)
    page.goto(server.url + "/")
    card = page.locator(".mail-card__away")
    expect(card).to_have_text("Abwesenheitsnotiz: Eingeschaltet bis einschließlich 1. Mai 2030")
    page.screenshot(path=str(screenshots / "dashboard-autoreply-desktop.png"), full_page=True)
    context.close()

    context, page, problems, dialogs, requests = new_page(browser, PHONE)
    login(page, server)
    page.goto(server.url + "/mail/abwesenheit/")
    page.get_by_label("Abwesenheitsnotiz einschalten").uncheck()
    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_text("Ihre Abwesenheitsnotiz ist ausgeschaltet.")).to_be_visible()
    page.screenshot(path=str(screenshots / "webmail-autoreply-phone.png"), full_page=True)
    assert fits_width(page)
    assert foreign(requests, server) == []
    assert problems == [] and dialogs == []
    context.close()


def test_new_folder_renamed_and_deleted(browser, server, screenshots, mailbox):
    context, page, problems, dialogs, requests = new_page(browser, DESKTOP, accept_dialogs=True)
    login(page, server)
    page.goto(server.url + "/mail/")
    page.get_by_text("Neuer Ordner").click()
    page.get_by_label("Name des Ordners").fill("Projektwoche")
    page.get_by_role("button", name="Anlegen").click()
    expect(page.get_by_role("heading", name="Projektwoche")).to_be_visible()
    page.get_by_text("Neuer Ordner").click()
    expect(page.get_by_label("Anlegen in")).to_have_value("Projektwoche")
    page.screenshot(path=str(screenshots / "webmail-newfolder-desktop.png"), full_page=True)
    page.get_by_text("Neuer Ordner").click()
    page.get_by_text("Ordner „Projektwoche“ umbenennen oder löschen").click()
    page.get_by_label("Neuer Name").fill("Projektwoche 2027")
    page.screenshot(path=str(screenshots / "webmail-folder-edit-desktop.png"), full_page=True)
    page.get_by_role("button", name="Umbenennen").click()
    expect(
        page.get_by_text("Ordner „Projektwoche“ heißt jetzt „Projektwoche 2027“.")
    ).to_be_visible()
    expect(page.get_by_role("heading", name="Projektwoche 2027")).to_be_visible()
    page.get_by_text("Ordner „Projektwoche 2027“ umbenennen oder löschen").click()
    page.get_by_role("button", name="Ordner löschen").click()
    expect(page.get_by_text("Ordner „Projektwoche 2027“ gelöscht.")).to_be_visible()
    expect(page.locator(".wm-folders", has_text="Projektwoche")).to_have_count(0)
    assert dialogs == [
        "Ordner „Projektwoche 2027“ mit allen Unterordnern löschen? Die Nachrichten kommen "
        "in den Papierkorb."
    ]
    assert foreign(requests, server) == []
    assert problems == []
    context.close()

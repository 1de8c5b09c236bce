"""The guide pages: real values, German text, notices, who may see them."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from schulhof.accounts.actions import do_create_sanction
from schulhof.accounts.models import User
from schulhof.accounts.tests.factories import make_user
from schulhof.core.models import SchoolSettings
from schulhof.mail.clientsetup.guides import GUIDES
from schulhof.mail.conf import MailConf
from schulhof.mail.tests.clientsetup.conftest import URLS, use_conf

pytestmark = [pytest.mark.django_db, pytest.mark.urls(URLS)]

INDEX = "/mail/einrichtung/"
PAGES = [INDEX] + ["/mail/einrichtung/%s/" % guide.slug for guide in GUIDES]


def page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def text_of(html: str) -> str:
    """The page's text without tags, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_index_shows_the_real_values(production_conf: MailConf, client: Client) -> None:
    html = page(client, INDEX)
    text = text_of(html)
    assert "E-Mail-Programm einrichten" in text
    assert "leon.schmidt@lessing-gym.de" in text
    assert "Leon Schmidt" in text
    assert "leon.schmidt" in text
    assert "mail.lessing-gym.de" in text
    assert "Posteingang (IMAP) Server mail.lessing-gym.de Kopieren Port 993 " in text
    assert "Verschlüsselung SSL/TLS Anmeldung Normales Passwort" in text
    assert "Postausgang (SMTP) Server mail.lessing-gym.de Port 587 Verschlüsselung STARTTLS" in text
    assert "Port 143 mit STARTTLS" in text
    for guide in GUIDES:
        assert 'href="/mail/einrichtung/%s/"' % guide.slug in html
    assert "Erstpasswort" in text
    assert "Zwei-Faktor-Anmeldung schützt nur das Portal" in text
    # A real certificate and a real host name: no test-installation notices.
    assert "selbst ausgestelltes Zertifikat (Testbetrieb)" not in text
    assert "ist ein Testbetrieb" not in text
    assert "Dieser Mailserver hat ein gültiges Zertifikat" in text


@pytest.mark.parametrize(
    ("client_slug", "expected"),
    [
        ("thunderbird", ["Konto hinzufügen", "Manuell einrichten", "Verbindungssicherheit SSL/TLS",
                         "Authentifizierungsmethode Passwort, normal", "Port 993", "Port 587"]),
        ("apple", ["Profil laden", "Nicht überprüft", "VPN und Geräteverwaltung",
                   "Server-Port 993", "Server-Port 587", "Anderer Mail-Account"]),
        ("android", ["Thunderbird für Android", "K-9 Mail", "Gmail-App", "Privat (IMAP)",
                     "Sicherheit SSL/TLS", "Authentifizierung Normales Passwort",
                     "Eingang Port 993 mit „SSL/TLS“, Ausgang Port 587 mit „STARTTLS“"]),
        ("outlook", ["Ich möchte mein Konto manuell einrichten",
                     "Port 993 , Verschlüsselungsmethode „SSL/TLS“",
                     "Port 587 , Verschlüsselungsmethode „STARTTLS“", "(SPA)",
                     "Neues Outlook für Windows", "über Server von Microsoft"]),
    ],
)  # fmt: skip
def test_each_guide(
    production_conf: MailConf, client: Client, client_slug: str, expected: list[str]
) -> None:
    html = page(client, "/mail/einrichtung/%s/" % client_slug)
    text = text_of(html)
    for snippet in ["leon.schmidt@lessing-gym.de", "mail.lessing-gym.de", *expected]:
        assert snippet in text, snippet
    assert 'href="/mail/einrichtung/"' in html  # back to all guides
    assert "Erstpasswort" in text


def test_apple_guide_links_the_profile(production_conf: MailConf, client: Client) -> None:
    html = page(client, "/mail/einrichtung/apple/")
    assert 'href="/mail/einrichtung/apple/profil.mobileconfig" download' in html


def test_development_values_and_notices(dev_conf: MailConf, client: Client) -> None:
    text = text_of(page(client, INDEX))
    # Ports as plain numbers, never "1.993".
    assert "Port 1993 " in text and "Port 1587 " in text and "Port 1143 mit STARTTLS" in text
    assert "1.993" not in text
    assert "selbst ausgestelltes Zertifikat (Testbetrieb)" in text
    assert "Der Mailserver heißt „localhost“" in text
    assert "Dieser Mailserver hat ein gültiges Zertifikat" not in text


CERTIFICATE_STEPS = {
    "": "bestätigen Sie dann die Ausnahme dauerhaft.",
    "thunderbird/": "„Sicherheits-Ausnahmeregel bestätigen“ klicken",
    "apple/": "Auf iPhone und iPad: „Details“ → „Vertrauen“",
    "android/": "„SSL/TLS (Alle Zertifikate akzeptieren)“",
    "outlook/": "Das neue Outlook kann sich mit solchen Servern nicht verbinden.",
}


def test_self_signed_certificate_on_every_page(client: Client) -> None:
    conf = use_conf(hostname="mail.lessing-gym.de")
    use_conf(hostname="mail.lessing-gym.de", tls_cert=conf.root / "tls" / "cert.pem")
    for sub, step in CERTIFICATE_STEPS.items():
        text = text_of(page(client, INDEX + sub))
        assert "selbst ausgestelltes Zertifikat (Testbetrieb)" in text, sub
        assert "Prüfen Sie, dass der Server mail.lessing-gym.de heißt" in text, sub
        assert step in text, sub
        assert "Dieser Mailserver hat ein gültiges Zertifikat" not in text, sub
        assert "ist ein Testbetrieb" not in text, sub


def test_valid_certificate_on_every_page(production_conf: MailConf, client: Client) -> None:
    for sub, step in CERTIFICATE_STEPS.items():
        html = page(client, INDEX + sub)
        text = text_of(html)
        assert "Dieser Mailserver hat ein gültiges Zertifikat" in text, sub
        assert "<strong>Warnung zum Zertifikat:</strong>" in html, sub
        assert step not in text, sub


def test_pages_need_login(production_conf: MailConf, school: SchoolSettings) -> None:
    for url in PAGES:
        response = Client().get(url)
        assert response.status_code == 302, url
        assert response["Location"] == "/anmelden/?next=%s" % url


def test_unknown_program_is_404(production_conf: MailConf, client: Client) -> None:
    assert client.get("/mail/einrichtung/eudora/").status_code == 404


def test_not_there_without_mail(client: Client) -> None:
    use_conf(enabled=False)
    for url in PAGES:
        assert client.get(url).status_code == 404, url


def test_only_get(production_conf: MailConf, client: Client) -> None:
    assert client.post(INDEX).status_code == 405


def test_mail_blocked_notice(production_conf: MailConf, client: Client, leon: User) -> None:
    admin = make_user(admin=True)
    sanction = do_create_sanction(leon, blocked=["mail"], reason="Test", acting_user=admin)
    text = text_of(page(client, INDEX))
    assert "Ihr E-Mail-Zugang ist zurzeit gesperrt" in text
    assert "Das Senden von E-Mails ist für Ihr Konto zurzeit gesperrt" not in text
    sanction.delete()
    do_create_sanction(leon, blocked=["mail_send"], reason="Test", acting_user=admin)
    text = text_of(page(client, "/mail/einrichtung/thunderbird/"))
    assert "Ihr E-Mail-Zugang ist zurzeit gesperrt" not in text
    assert "Das Senden von E-Mails ist für Ihr Konto zurzeit gesperrt" in text


def test_no_inline_scripts_or_styles(production_conf: MailConf, client: Client) -> None:
    for url in PAGES:
        html = page(client, url)
        assert " style=" not in html, url
        assert "<style" not in html, url
        for tag in re.findall(r"<script[^>]*>", html):
            assert " src=" in tag, (url, tag)


def test_school_values_are_escaped(production_conf: MailConf, school: SchoolSettings) -> None:
    user = make_user(username="eva.bauer", first_name="<b>Eva</b>", last_name="Bauer")
    client = Client()
    client.force_login(user)
    for url in PAGES:
        html = page(client, url)
        assert "<b>Eva</b>" not in html, url


def test_first_password_must_be_changed_first(
    production_conf: MailConf, school: SchoolSettings
) -> None:
    user = make_user(pupil=True, username="mia.schneider", first_password_pending=True)
    client = Client()
    client.force_login(user)
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == "/konto/erstes-passwort/", url

import copy
import time
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from schulhof.accounts import totp
from schulhof.accounts.actions import do_create_sanction, do_enable_totp
from schulhof.accounts.models import LoginAttempt, User, UserSession
from schulhof.accounts.sessions import describe_user_agent
from schulhof.accounts.tests.factories import DEFAULT_PASSWORD, make_user
from schulhof.accounts.views.profile import TOTP_SETUP_SECRET
from schulhof.core.audit import AuditEvent
from schulhof.core.models import AuditLogEntry, SchoolSettings

pytestmark = pytest.mark.django_db

FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
NEW_PASSWORD = "Mein-Neues-Passwort-2026"


def logged_in_client(username: str, user_agent: str = FIREFOX_WINDOWS) -> Client:
    """A browser that logged in through the login page (so its device is recorded)."""
    client = Client(HTTP_USER_AGENT=user_agent)
    response = client.post("/anmelden/", {"username": username, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302, response.content.decode()
    return client


def is_logged_in(client: Client) -> bool:
    return client.get("/konto/").status_code == 200


@pytest.fixture
def lena() -> User:
    return make_user(
        pupil=True, username="lena.lehmann", first_name="Lena", last_name="Lehmann", klasse="7b"
    )


@pytest.fixture
def browser(lena) -> Client:
    return logged_in_client("lena.lehmann")


# --- profile ------------------------------------------------------------------------------


def test_profile_shows_the_personal_data(browser):
    SchoolSettings.objects.update_or_create(pk=1, defaults={"mail_domain": "gs-nord.de"})
    page = browser.get("/konto/").content.decode()
    assert "Lena Lehmann" in page
    assert "lena.lehmann" in page
    assert "lena.lehmann@gs-nord.de" in page
    assert "Schüler/in" in page
    assert "7b" in page
    assert 'href="/konto/passwort/"' in page


def test_profile_pages_need_a_login(client):
    for url in ("/konto/", "/konto/passwort/", "/konto/geraete/", "/konto/anmeldungen/"):
        assert client.get(url)["Location"].startswith("/anmelden/?next=")


# --- password -----------------------------------------------------------------------------


def change_password(client: Client, current: str, new: str, repeat: str | None = None):
    return client.post(
        "/konto/passwort/",
        {"current_password": current, "new_password": new, "new_password_repeat": repeat or new},
    )


def test_password_page_offers_the_tip_and_the_live_hint(browser):
    page = browser.get("/konto/passwort/").content.decode()
    assert "Merksatz" in page
    assert "data-password-hint" in page and "data-password-hint-output" in page


def test_wrong_current_password_is_refused_in_german(browser, lena):
    response = change_password(browser, "falsch-geraten", NEW_PASSWORD)
    assert response.status_code == 200
    assert "Das bisherige Passwort ist nicht richtig." in response.content.decode()
    lena.refresh_from_db()
    assert lena.check_password(DEFAULT_PASSWORD)


def test_weak_new_password_gets_the_policy_message_on_the_field(browser, lena):
    response = change_password(browser, DEFAULT_PASSWORD, "kurz1")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Das Passwort ist zu kurz" in page
    assert 'id="id_new_password_error1"' in page
    lena.refresh_from_db()
    assert lena.check_password(DEFAULT_PASSWORD)


def test_new_password_must_differ_from_the_old_one(browser):
    response = change_password(browser, DEFAULT_PASSWORD, DEFAULT_PASSWORD)
    assert "muss sich vom bisherigen unterscheiden" in response.content.decode()


def test_mismatched_repeat_is_refused(browser):
    response = change_password(browser, DEFAULT_PASSWORD, NEW_PASSWORD, "Etwas-Anderes-2026")
    assert "stimmen nicht überein" in response.content.decode()


def test_password_change_logs_out_every_other_device(browser, lena):
    phone = logged_in_client("lena.lehmann", CHROME_ANDROID)
    assert is_logged_in(phone)
    response = change_password(browser, DEFAULT_PASSWORD, NEW_PASSWORD)
    assert response["Location"] == "/konto/"
    page = browser.get("/konto/").content.decode()
    assert "Ihr Passwort wurde geändert. Alle anderen Geräte wurden abgemeldet." in page
    # The phone (maybe in the wrong hands) is out, this browser stays in.
    assert not is_logged_in(phone)
    assert is_logged_in(browser)
    devices = UserSession.objects.filter(user=lena)
    assert [d.session_key for d in devices] == [browser.session.session_key]
    lena.refresh_from_db()
    assert lena.check_password(NEW_PASSWORD)
    entry = AuditLogEntry.objects.get(event_type=AuditEvent.PASSWORD_CHANGE)
    assert entry.details == {"sessions_ended": 1, "by_self": True}


# --- devices ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user_agent", "expected"),
    [
        (FIREFOX_WINDOWS, "Firefox auf Windows"),
        (CHROME_ANDROID, "Chrome auf Android"),
        (SAFARI_IPHONE, "Safari auf iPhone"),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like "
            "Gecko) Version/17.5 Safari/605.1.15",
            "Safari auf macOS",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.87",
            "Edge auf Windows",
        ),
        (
            "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
            "Gecko) CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1",
            "Chrome auf iPad",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
            "SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36",
            "Samsung Internet auf Android",
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
            "Firefox auf Linux",
        ),
        ("", "Unbekanntes Gerät"),
        ("curl/8.5.0", "Unbekanntes Gerät"),
    ],
)
def test_device_descriptions(user_agent, expected):
    assert describe_user_agent(user_agent) == expected


def test_devices_page_lists_both_sessions_and_marks_this_one(browser, lena):
    logged_in_client("lena.lehmann", SAFARI_IPHONE)
    page = browser.get("/konto/geraete/").content.decode()
    assert "Firefox auf Windows" in page
    assert "Safari auf iPhone" in page
    assert page.count("dieses Gerät") == 1
    assert "127.0.0.1" in page
    # Session keys never reach the page.
    for device in UserSession.objects.filter(user=lena):
        assert device.session_key not in page


def test_ending_one_device_logs_that_browser_out(browser, lena):
    phone = logged_in_client("lena.lehmann", CHROME_ANDROID)
    tablet = logged_in_client("lena.lehmann", SAFARI_IPHONE)
    phone_device = UserSession.objects.get(session_key=phone.session.session_key)
    response = browser.post("/konto/geraete/%d/abmelden/" % phone_device.pk)
    assert response["Location"] == "/konto/geraete/"
    assert "Das Gerät wurde abgemeldet." in browser.get("/konto/geraete/").content.decode()
    assert not is_logged_in(phone)
    assert is_logged_in(tablet)
    assert is_logged_in(browser)
    entry = AuditLogEntry.objects.get(event_type=AuditEvent.SESSIONS_END)
    assert entry.acting_user == lena and entry.modified_user == lena
    assert entry.details == {"sessions_ended": 1, "scope": "one"}


def test_the_current_device_and_other_peoples_devices_cannot_be_ended_here(browser, lena):
    own = UserSession.objects.get(session_key=browser.session.session_key)
    browser.post("/konto/geraete/%d/abmelden/" % own.pk)
    assert is_logged_in(browser)
    make_user(username="otto.other")
    other = logged_in_client("otto.other")
    other_device = UserSession.objects.get(session_key=other.session.session_key)
    browser.post("/konto/geraete/%d/abmelden/" % other_device.pk)
    assert is_logged_in(other)
    assert not AuditLogEntry.objects.filter(event_type=AuditEvent.SESSIONS_END).exists()


def test_ending_a_device_needs_post(browser, lena):
    device = UserSession.objects.get(user=lena)
    assert browser.get("/konto/geraete/%d/abmelden/" % device.pk).status_code == 405


def test_log_out_everywhere_else(browser, lena):
    others = [logged_in_client("lena.lehmann", ua) for ua in (CHROME_ANDROID, SAFARI_IPHONE)]
    assert "Überall abmelden" in browser.get("/konto/geraete/").content.decode()
    response = browser.post("/konto/geraete/ueberall-abmelden/")
    assert response["Location"] == "/konto/geraete/"
    page = browser.get("/konto/geraete/").content.decode()
    assert "Alle anderen Geräte wurden abgemeldet." in page
    assert "Überall abmelden" not in page  # nothing left to end
    assert not any(is_logged_in(other) for other in others)
    assert is_logged_in(browser)
    entry = AuditLogEntry.objects.get(event_type=AuditEvent.SESSIONS_END)
    assert entry.details == {"sessions_ended": 2, "scope": "others"}


# --- login history ------------------------------------------------------------------------


def test_login_history_shows_own_attempts_of_the_last_seven_days(browser, lena):
    other = make_user(username="otto.other")
    now = timezone.now().replace(microsecond=0)
    LoginAttempt.objects.all().delete()

    def attempt(address: str, created: datetime, **kwargs):
        defaults = {"username": "lena.lehmann", "user": lena, "protocol": "web", "success": True}
        LoginAttempt.objects.create(
            client_address=address, created=created, **{**defaults, **kwargs}
        )

    attempt("198.51.100.1", now - timedelta(days=7))  # exactly at the boundary: shown
    attempt("198.51.100.2", now - timedelta(days=7, seconds=1))  # just older: hidden
    attempt(
        "198.51.100.3", now - timedelta(hours=1), protocol="imap", success=False, reason="invalid"
    )
    attempt("198.51.100.4", now - timedelta(hours=2), user=None, success=False, reason="throttled")
    attempt(
        "198.51.100.5", now - timedelta(hours=3), protocol="webdav", success=False, reason="gated"
    )
    attempt("198.51.100.6", now - timedelta(hours=4), username="otto.other", user=other)
    with time_machine.travel(now, tick=False):
        page = browser.get("/konto/anmeldungen/").content.decode()
    assert "198.51.100.1" in page
    assert "198.51.100.2" not in page
    assert "198.51.100.6" not in page  # someone else's
    assert "abgelehnt: falsches Passwort" in page
    assert "abgelehnt: zu viele Versuche" in page
    assert "abgelehnt: Bereich gesperrt" in page
    assert "IMAP" in page and "WebDAV" in page and "Portal" in page
    # Newest first.
    assert page.index("198.51.100.3") < page.index("198.51.100.4") < page.index("198.51.100.1")


def test_login_history_includes_the_login_just_made(browser):
    page = browser.get("/konto/anmeldungen/").content.decode()
    assert "erfolgreich" in page
    assert "127.0.0.1" in page


# --- two-factor login ---------------------------------------------------------------------


def _middle_of_current_step() -> datetime:
    now = int(time.time())
    return datetime.fromtimestamp(now - now % 30 + 15, tz=UTC)


def test_enabling_two_factor_with_the_code_from_the_app(browser, lena):
    moment = _middle_of_current_step()
    with time_machine.travel(moment, tick=False):
        page = browser.get("/konto/zwei-faktor/").content.decode()
        secret = browser.session[TOTP_SETUP_SECRET]
        assert "<svg" in page and 'class="totp-qr"' in page
        assert totp.grouped_secret(secret) in page
        assert 'href="otpauth://totp/' in page  # for setting up on the phone itself
        # Reloading keeps the secret (the app may have scanned it already).
        browser.get("/konto/zwei-faktor/")
        assert browser.session[TOTP_SETUP_SECRET] == secret
        lena.refresh_from_db()
        assert not lena.totp_enabled and lena.totp_secret == ""  # not stored before confirmed

        code = pyotp.TOTP(secret).at(moment)
        response = browser.post("/konto/zwei-faktor/", {"code": code})
        assert response["Location"] == "/konto/zwei-faktor/"
        page = browser.get("/konto/zwei-faktor/").content.decode()
        assert "Die Zwei-Faktor-Anmeldung ist eingeschaltet." in page
        assert TOTP_SETUP_SECRET not in browser.session
        lena.refresh_from_db()
        assert lena.totp_enabled and lena.totp_secret == secret
        # The confirmation code is used up.
        assert not totp.verify(lena, code)
    assert AuditLogEntry.objects.filter(event_type=AuditEvent.TOTP_ENABLE).count() == 1


def test_enabling_with_a_wrong_code_is_refused(browser, lena):
    browser.get("/konto/zwei-faktor/")
    secret = browser.session[TOTP_SETUP_SECRET]
    right = pyotp.TOTP(secret).now()
    wrong = "000000" if right != "000000" else "111111"
    response = browser.post("/konto/zwei-faktor/", {"code": wrong})
    assert response.status_code == 200
    assert "Der Code passt nicht" in response.content.decode()
    lena.refresh_from_db()
    assert not lena.totp_enabled


def test_disabling_needs_the_password_and_a_fresh_code(browser, lena):
    moment = _middle_of_current_step()
    secret = totp.new_secret()
    do_enable_totp(lena, secret, acting_user=lena)
    with time_machine.travel(moment, tick=False) as traveller:
        code = pyotp.TOTP(secret).at(moment)
        response = browser.post(
            "/konto/zwei-faktor/ausschalten/", {"current_password": "falsch", "code": code}
        )
        assert "Das Passwort ist nicht richtig." in response.content.decode()
        lena.refresh_from_db()
        assert lena.totp_enabled
        # The wrong password did not use the code up.
        assert lena.totp_last_step is None

        assert totp.verify(lena, code)  # e.g. used for a login a moment ago
        response = browser.post(
            "/konto/zwei-faktor/ausschalten/",
            {"current_password": DEFAULT_PASSWORD, "code": code},
        )
        assert "nicht richtig oder wurde schon benutzt" in response.content.decode()

        traveller.shift(timedelta(seconds=30))
        response = browser.post(
            "/konto/zwei-faktor/ausschalten/",
            {"current_password": DEFAULT_PASSWORD, "code": pyotp.TOTP(secret).now()},
        )
        assert response["Location"] == "/konto/zwei-faktor/"
    lena.refresh_from_db()
    assert not lena.totp_enabled and lena.totp_secret == ""
    assert AuditLogEntry.objects.filter(event_type=AuditEvent.TOTP_DISABLE).count() == 1


# --- sanction notice ----------------------------------------------------------------------


@pytest.fixture
def sanction_context(settings) -> None:
    templates = copy.deepcopy(settings.TEMPLATES)
    processors = templates[0]["OPTIONS"]["context_processors"]
    path = "schulhof.accounts.context_processors.sanctions"
    if path not in processors:
        processors.append(path)
    settings.TEMPLATES = templates


def test_sanction_banner_shows_areas_reason_and_end(browser, lena, system_actor, sanction_context):
    assert "Ihr Konto ist eingeschränkt" not in browser.get("/konto/").content.decode()
    ends = timezone.now().replace(microsecond=0) + timedelta(days=10)
    do_create_sanction(
        lena,
        blocked=["mail_send", "files_write"],
        reason="Kettenbriefe an die ganze Stufe",
        acting_user=system_actor,
        ends_at=ends,
    )
    page = browser.get("/konto/").content.decode()
    assert "Ihr Konto ist eingeschränkt" in page
    assert "E-Mails senden" in page and "Dateien hochladen und ändern" in page
    assert "Kettenbriefe an die ganze Stufe" in page
    assert "bis %s" % timezone.localtime(ends).strftime("%d.%m.%Y %H:%M") in page


def test_sanction_without_end_is_shown_as_unlimited(browser, lena, system_actor, sanction_context):
    do_create_sanction(lena, blocked=["calendar"], reason="Missbrauch", acting_user=system_actor)
    page = browser.get("/").content.decode()
    assert "Kalender" in page and "Missbrauch" in page and "unbefristet" in page


def test_sanction_banner_disappears_when_the_sanction_ends(
    browser, lena, system_actor, sanction_context
):
    ends = timezone.now() + timedelta(hours=1)
    do_create_sanction(
        lena, blocked=["mail"], reason="Spam", acting_user=system_actor, ends_at=ends
    )
    assert "Spam" in browser.get("/konto/").content.decode()
    with time_machine.travel(ends + timedelta(seconds=1)):
        assert "Ihr Konto ist eingeschränkt" not in browser.get("/konto/").content.decode()

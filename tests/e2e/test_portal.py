"""The portal in headless Chromium against a real ``schulhof run``: login, dashboard, no
third-party requests, phone and desktop screenshots."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


def _new_page(browser, viewport):
    context = browser.new_context(viewport=viewport, locale="de-DE")
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    return context, page, requested


def _login(page, server, username, password):
    page.goto(server.url + "/anmelden/")
    page.get_by_label("Benutzername").fill(username)
    page.get_by_label("Passwort", exact=True).fill(password)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_load_state("networkidle")


@pytest.mark.parametrize(("name", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_login_and_dashboard_load_nothing_from_other_hosts(
    browser, server, screenshots, name, viewport
):
    context, page, requested = _new_page(browser, viewport)
    page.goto(server.url + "/")
    # Not logged in: sent to the German login page with the school's name.
    assert "/anmelden/" in page.url
    assert page.locator("html").get_attribute("lang") == "de"
    assert page.get_by_role("heading", name="Lessing-Gymnasium Musterstadt").is_visible()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(screenshots / ("login-%s.png" % name)), full_page=True)

    username, password = server.logins["Admin"]
    _login(page, server, username, password)
    assert page.url.rstrip("/") == server.url
    assert page.get_by_role("heading", name="Hallo Katrin!").is_visible()
    for card in ("Dateien", "E-Mail", "Kalender", "Stundenplan", "Mein Konto", "Verwaltung"):
        assert page.get_by_role("heading", name=card).is_visible(), card
    page.screenshot(path=str(screenshots / ("dashboard-%s.png" % name)), full_page=True)

    own = urlsplit(server.url).netloc
    foreign = [url for url in requested if urlsplit(url).netloc != own]
    assert requested, "no request was recorded"
    assert foreign == []
    # Our CSS and htmx came from us.
    assert any(url.endswith(".css") for url in requested)
    assert any("htmx" in url for url in requested)
    context.close()


def test_wrong_password_gives_german_error(browser, server):
    context, page, _requested = _new_page(browser, DESKTOP)
    username, _password = server.logins["Schüler 5a"]
    _login(page, server, username, "falsch-falsch")
    assert "/anmelden/" in page.url
    assert (
        page.get_by_role("alert").inner_text().strip() == "Benutzername oder Passwort ist falsch."
    )
    context.close()


def test_phone_navigation_opens_with_the_menu_button(browser, server, screenshots):
    context, page, _requested = _new_page(browser, PHONE)
    username, password = server.logins["Klassenleitung 5a"]
    _login(page, server, username, password)
    nav = page.get_by_role("navigation", name="Module")
    assert not nav.is_visible()
    page.get_by_role("button", name="Menü").click()
    assert nav.is_visible()
    page.screenshot(path=str(screenshots / "nav-phone.png"))
    context.close()


def test_error_pages_are_german(browser, server):
    context, page, _requested = _new_page(browser, DESKTOP)
    username, password = server.logins["Schüler 5a"]
    _login(page, server, username, password)
    response = page.goto(server.url + "/gibt-es-nicht/")
    assert response is not None and response.status == 404
    assert page.get_by_role("heading", name="Diese Seite gibt es nicht.").is_visible()
    response = page.goto(server.url + "/verwaltung/einstellungen/")
    assert response is not None and response.status == 403
    assert page.get_by_role("heading", name="Dafür haben Sie keine Berechtigung.").is_visible()
    context.close()


def test_keyboard_user_can_skip_to_content(browser, server):
    context, page, _requested = _new_page(browser, DESKTOP)
    username, password = server.logins["Admin"]
    _login(page, server, username, password)
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Zum Inhalt springen"
    context.close()

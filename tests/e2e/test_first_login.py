"""A pupil's first login in Chromium: 6-digit first password → forced change → weak passwords
refused with German reasons → a strong one accepted → dashboard."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}


def test_first_login_forces_a_safe_own_password(browser, server, screenshots):
    username, first_password = server.logins["Schülerin 5a, erste Anmeldung"]
    assert len(first_password) == 6 and first_password.isdigit()
    context = browser.new_context(viewport=PHONE, locale="de-DE")
    page = context.new_page()
    page.goto(server.url + "/anmelden/")
    page.get_by_label("Benutzername").fill(username)
    page.get_by_label("Passwort", exact=True).fill(first_password)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url("**/konto/erstes-passwort/")
    assert page.get_by_role("heading", name="Willkommen!", exact=False).is_visible()
    assert "Merksatz" in page.content()

    # Any other page sends her back until she has chosen a password.
    page.goto(server.url + "/")
    assert page.url.endswith("/konto/erstes-passwort/")

    def submit(password: str, repeat: str | None = None) -> None:
        page.get_by_label("Neues Passwort", exact=True).fill(password)
        page.get_by_label("Neues Passwort wiederholen").fill(repeat or password)
        page.get_by_role("button", name="Passwort speichern").click()
        page.wait_for_load_state("networkidle")

    # The live hint says what is wrong while typing.
    page.get_by_label("Neues Passwort", exact=True).press_sequentially("abc", delay=20)
    expect(page.locator("[data-password-hint-output]")).to_contain_text("zu kurz")

    submit("12345678")
    errors = page.locator(".field__error").all_inner_texts()
    assert any("mindestens 16 Zeichen" in e for e in errors), errors
    page.screenshot(path=str(screenshots / "first-login-weak.png"), full_page=True)

    submit("Passwort2024!")
    errors = " ".join(page.locator(".field__error").all_inner_texts())
    assert "häufig" in errors or "bekannt" in errors or "verbreitet" in errors, errors

    submit("MiaSchneider-2024!x")
    errors = " ".join(page.locator(".field__error").all_inner_texts())
    assert "Namen" in errors, errors

    submit("Lkw-Fahrer-tanzen-7", "Lkw-Fahrer-tanzen-8")
    assert "stimmen nicht überein" in page.content()

    submit("MSLfjMu7UmdR!")
    page.wait_for_url(server.url + "/")
    assert page.get_by_role("heading", name="Hallo Mia!").is_visible()
    assert "Ihr neues Passwort ist gespeichert" in page.content()
    page.screenshot(path=str(screenshots / "first-login-done.png"), full_page=True)
    context.close()

    # The first password no longer works; the new one does.
    context = browser.new_context(locale="de-DE")
    page = context.new_page()
    page.goto(server.url + "/anmelden/")
    page.get_by_label("Benutzername").fill(username)
    page.get_by_label("Passwort", exact=True).fill(first_password)
    page.get_by_role("button", name="Anmelden").click()
    assert (
        page.get_by_role("alert").inner_text().strip() == "Benutzername oder Passwort ist falsch."
    )
    context.close()

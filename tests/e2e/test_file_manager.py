"""The web file manager in headless Chromium against a real ``schulhof run``: upload of files
and a whole folder (file inputs and a drop), the progress bar, rename, delete, restore from
the trash, a folder as ZIP, the PDF preview, the quota refusal; screenshots on desktop and
phone.

A drop of a real *folder* cannot be synthesised in Chromium (a script-made DataTransfer has
no directory entries); folders are uploaded through the folder input (``webkitdirectory``),
which goes through the same upload code, and files are dropped."""

from __future__ import annotations

import io
import subprocess
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.server import SCHULHOF

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}

# A tiny valid PDF (one page, one line of text).
PDF = b"""%PDF-1.4
1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj
2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj
3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R
/Resources<</Font<</F1 5 0 R>>>>>>endobj
4 0 obj<</Length 44>>stream
BT /F1 24 Tf 72 760 Td (Arbeitsblatt) Tj ET
endstream endobj
5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj
trailer<</Root 1 0 R>>
%%EOF
"""


def login(page, server, label: str = "Schüler 5a") -> str:
    username, password = server.logins[label]
    page.goto(server.url + "/anmelden/")
    page.get_by_label("Benutzername").fill(username)
    page.get_by_label("Passwort", exact=True).fill(password)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_load_state("networkidle")
    return username


def new_page(browser, viewport):
    context = browser.new_context(viewport=viewport, locale="de-DE", accept_downloads=True)
    page = context.new_page()
    problems: list[str] = []
    # CSP violations, failed frames and script errors all end up here.
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "console",
        lambda message: (
            problems.append(message.text)
            if message.type == "error" and "status of 409" not in message.text
            else None
        ),
    )
    return context, page, problems


def row(page, name: str):
    return page.locator("tr.fm-row", has=page.locator(".fm-name__text", has_text=name))


def menu_action(page, name: str, action: str) -> None:
    entry = row(page, name)
    entry.locator(".fm-menu__toggle").click()
    entry.get_by_role("link", name=action).or_(entry.get_by_role("button", name=action)).click()


@pytest.fixture
def samples(tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "Übung 1.txt").write_text("Aufgabe 1: 3/4 + 1/8\n", encoding="utf-8")
    (tmp_path / "Arbeitsblatt.pdf").write_bytes(PDF)
    folder = tmp_path / "Projekt Wasser"
    (folder / "Bilder").mkdir(parents=True)
    (folder / "Notizen über Flüsse.md").write_text("# Rhein, Weser, Elbe\n", encoding="utf-8")
    (folder / "Bilder" / "Fluss.bin").write_bytes(bytes(range(256)) * 4000)
    (tmp_path / "Riesig.bin").write_bytes(b"\0" * (3 * 1024 * 1024))
    return {
        "text": tmp_path / "Übung 1.txt",
        "pdf": tmp_path / "Arbeitsblatt.pdf",
        "folder": folder,
        "big": tmp_path / "Riesig.bin",
    }


def test_upload_rename_delete_restore_zip(browser, server, screenshots, samples):
    context, page, problems = new_page(browser, DESKTOP)
    login(page, server)
    page.goto(server.url + "/dateien/")
    expect(page.get_by_role("heading", name="Eigene Dateien")).to_be_visible()
    expect(page.get_by_text("Dieser Ordner ist leer.")).to_be_visible()
    page.screenshot(path=str(screenshots / "files-empty-desktop.png"), full_page=True)

    # Two files through the file input: the progress bar runs to the end.
    page.set_input_files("[data-fm-files]", [str(samples["text"]), str(samples["pdf"])])
    status = page.locator("[data-fm-progress-text]")
    expect(status).to_have_text("Fertig: 2 Datei(en) hochgeladen.", timeout=20_000)
    expect(page.locator("[data-fm-progress-bar]")).to_have_attribute("value", "100")
    expect(page.locator(".fm-progress__item--ok")).to_have_count(2)
    # The listing refreshed itself.
    expect(row(page, "Übung 1.txt")).to_be_visible()
    expect(row(page, "Arbeitsblatt.pdf")).to_be_visible()

    # A whole folder with a subfolder through the folder input.
    page.set_input_files("[data-fm-folder]", str(samples["folder"]))
    expect(status).to_have_text("Fertig: 2 Datei(en) hochgeladen.", timeout=20_000)
    expect(row(page, "Projekt Wasser")).to_be_visible()
    page.screenshot(path=str(screenshots / "files-uploaded-desktop.png"), full_page=True)

    # A file dropped onto the list.
    data_transfer = page.evaluate_handle(
        """() => {
            const dt = new DataTransfer();
            dt.items.add(new File(["gezogen"], "Gezogen.txt", {type: "text/plain"}));
            return dt;
        }"""
    )
    for event in ("dragenter", "dragover", "drop"):
        page.dispatch_event("[data-fm-drop]", event, {"dataTransfer": data_transfer})
    expect(status).to_have_text("Fertig: 1 Datei(en) hochgeladen.", timeout=20_000)
    expect(row(page, "Gezogen.txt")).to_be_visible()

    page.locator(".fm-row--dir .fm-name__link", has_text="Projekt Wasser").click()
    expect(page.get_by_role("heading", name="Projekt Wasser")).to_be_visible()
    expect(row(page, "Notizen über Flüsse.md")).to_be_visible()
    page.locator(".fm-row--dir .fm-name__link", has_text="Bilder").click()
    expect(row(page, "Fluss.bin")).to_be_visible()
    expect(page.get_by_role("navigation", name="Ordnerpfad")).to_contain_text("Projekt Wasser")
    page.get_by_role("navigation", name="Ordnerpfad").get_by_role(
        "link", name="Eigene Dateien"
    ).click()

    # Rename.
    menu_action(page, "Übung 1.txt", "Umbenennen")
    page.get_by_label("Name").fill("Übung 2.txt")
    page.get_by_role("button", name="Umbenennen").click()
    expect(page.get_by_text("„Übung 1.txt“ heißt jetzt „Übung 2.txt“.")).to_be_visible()
    expect(row(page, "Übung 2.txt")).to_be_visible()

    # Delete into the trash, then restore.
    menu_action(page, "Übung 2.txt", "In den Papierkorb")
    expect(page.get_by_text("„Übung 2.txt“ wurde in den Papierkorb gelegt.")).to_be_visible()
    expect(row(page, "Übung 2.txt")).to_have_count(0)
    page.get_by_role("link", name="Papierkorb").click()
    expect(page.get_by_role("heading", name="Papierkorb – Eigene Dateien")).to_be_visible()
    page.screenshot(path=str(screenshots / "files-trash-desktop.png"), full_page=True)
    page.get_by_role("button", name="Wiederherstellen: Übung 2.txt").click()
    expect(page.get_by_text("„Übung 2.txt“ ist wieder da, in „Eigene Dateien“.")).to_be_visible()
    expect(page.get_by_text("Der Papierkorb ist leer.")).to_be_visible()
    page.get_by_role("link", name="Zurück zu „Eigene Dateien“").click()
    expect(row(page, "Übung 2.txt")).to_be_visible()

    # Everything as a ZIP, read back.
    with page.expect_download() as info:
        page.get_by_role("link", name="Alles als ZIP").click()
    download = info.value
    assert download.suggested_filename == "Eigene Dateien.zip"
    archive = zipfile.ZipFile(io.BytesIO(Path(download.path()).read_bytes()))
    assert archive.testzip() is None
    assert sorted(archive.namelist()) == [
        "Eigene Dateien/",
        "Eigene Dateien/Arbeitsblatt.pdf",
        "Eigene Dateien/Gezogen.txt",
        "Eigene Dateien/Projekt Wasser/",
        "Eigene Dateien/Projekt Wasser/Bilder/",
        "Eigene Dateien/Projekt Wasser/Bilder/Fluss.bin",
        "Eigene Dateien/Projekt Wasser/Notizen über Flüsse.md",
        "Eigene Dateien/Übung 2.txt",
    ]
    fluss = archive.read("Eigene Dateien/Projekt Wasser/Bilder/Fluss.bin")
    assert fluss == bytes(range(256)) * 4000
    assert archive.read("Eigene Dateien/Übung 2.txt") == samples["text"].read_bytes()

    # The PDF preview shows the PDF in a frame (our CSP and X-Frame-Options allow exactly
    # this); the console stays free of refusals.
    row(page, "Arbeitsblatt.pdf").locator(".fm-name__link").click()
    expect(page.get_by_role("heading", name="Arbeitsblatt.pdf")).to_be_visible()
    frame = page.locator("iframe.fm-preview__frame")
    expect(frame).to_be_visible()
    page.wait_for_timeout(1500)
    page.screenshot(path=str(screenshots / "files-preview-pdf-desktop.png"), full_page=True)
    assert problems == []
    context.close()


def test_quota_refusal_and_phone_layout(browser, server, screenshots, samples):
    username, _password = server.logins["Klassenleitung 5a"]
    subprocess.run(
        [*SCHULHOF, "manage", "quota", username, "--set", "1M"],
        env=server.env(),
        check=True,
        capture_output=True,
        timeout=60,
    )
    context, page, problems = new_page(browser, PHONE)
    login(page, server, "Klassenleitung 5a")
    page.goto(server.url + "/dateien/")
    page.set_input_files("[data-fm-files]", str(samples["big"]))
    status = page.locator("[data-fm-progress-text]")
    expect(status).to_contain_text("Nicht genug Speicherplatz", timeout=10_000)
    expect(page.get_by_text("Dieser Ordner ist leer.")).to_be_visible()
    page.screenshot(path=str(screenshots / "files-quota-phone.png"), full_page=True)

    # The teachers' group folder is there too (the chips above the list on a phone).
    group_link = page.get_by_role("navigation", name="Ablagen").get_by_role("link").nth(1)
    group_name = group_link.inner_text().strip()
    group_link.click()
    expect(page.get_by_role("heading", name=group_name, exact=True)).to_be_visible()
    page.set_input_files("[data-fm-files]", str(samples["text"]))
    expect(status).to_have_text("Fertig: 1 Datei(en) hochgeladen.", timeout=20_000)
    row(page, "Übung 1.txt").locator(".fm-menu__toggle").click()
    page.screenshot(path=str(screenshots / "files-group-phone.png"), full_page=True)

    page.goto(server.url + "/dateien/anleitungen/windows/")
    expect(page.get_by_role("heading", name="Netzlaufwerk unter Windows verbinden")).to_be_visible()
    expect(page.locator("#fm-dav-url")).to_have_text(server.url + "/webdav/")
    page.screenshot(path=str(screenshots / "files-guide-windows-phone.png"), full_page=True)
    assert problems == []
    context.close()

"""The English catalogue: complete, compiled, and used when a browser asks for English.

German is the source language (the msgids); ``locale/en/LC_MESSAGES/django.po`` holds the
English translations. ``make messages`` compiles the .mo file; if it is missing or older than
the .po (a fresh checkout, or someone just updated the catalogue), the fixture below compiles it.
"""

from __future__ import annotations

import ast
import contextlib
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from django.utils import translation

PACKAGE_DIR = Path(__file__).resolve().parents[1]
PO_FILE = PACKAGE_DIR / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO_FILE = PO_FILE.with_suffix(".mo")

LOGIN_ERROR_DE = "Benutzername oder Passwort ist falsch."
LOGIN_ERROR_EN = "Incorrect username or password."


@pytest.fixture(scope="session")
def english_catalogue() -> None:
    """Make sure the compiled English catalogue exists and is current."""
    if MO_FILE.exists() and MO_FILE.stat().st_mtime >= PO_FILE.stat().st_mtime:
        return
    try:
        # compilemessages walks the working directory: run it inside the package, not the
        # checkout (which holds .venv with Django's own catalogues).
        with contextlib.chdir(PACKAGE_DIR):
            call_command("compilemessages", locale=["en"], ignore_patterns=["tests"], verbosity=0)
    except CommandError as exc:  # e.g. GNU gettext (msgfmt) is not installed
        pytest.skip(f"cannot compile the English catalogue ({exc}); run `make messages`")
    # Drop translations Django may already have loaded (without the .mo) in this process;
    # changing LOCALE_PATHS fires the signal that clears its caches.
    with override_settings(LOCALE_PATHS=list(settings.LOCALE_PATHS)):
        pass


# --- a tiny .po parser (polib is not a dependency of the project) ----------------------------


def parse_po(path: Path) -> list[dict]:
    """Entries as dicts with msgctxt, msgid, msgid_plural, msgstr (list) and flags."""
    entries: list[dict] = []
    entry: dict = {}
    key: tuple[str, int] | None = None

    def finish() -> None:
        nonlocal entry, key
        if "msgid" in entry:
            entries.append(entry)
        entry, key = {}, None

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#~"):  # blank line or obsolete entry
            if not line:
                finish()
            continue
        if line.startswith("#,"):
            if "msgid" in entry:
                finish()
            entry.setdefault("flags", set()).update(f.strip() for f in line[2:].split(","))
            continue
        if line.startswith("#"):
            if "msgid" in entry:
                finish()
            continue
        match = re.match(r"(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(\".*\")$", line)
        if match:
            name, index, text = match.group(1), int(match.group(2) or 0), match.group(3)
            if name in ("msgctxt", "msgid") and "msgstr" in entry:
                finish()  # entries not separated by a blank line
            key = (name, index)
        elif line.startswith('"') and key is not None:
            text = line
        else:
            raise AssertionError(f"{path}: cannot parse line {raw!r}")
        value = ast.literal_eval(text)
        name, index = key
        if name == "msgstr":
            strings = entry.setdefault("msgstr", [])
            while len(strings) <= index:
                strings.append("")
            strings[index] += value
        else:
            entry[name] = entry.get(name, "") + value
    finish()
    for item in entries:
        item.setdefault("flags", set())
        item.setdefault("msgstr", [""])
    return entries


PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]")


def test_catalogue_has_no_untranslated_or_fuzzy_entries() -> None:
    entries = parse_po(PO_FILE)
    header = [e for e in entries if e["msgid"] == "" and not e.get("msgctxt")]
    messages = [e for e in entries if e not in header]
    assert header and "fuzzy" not in header[0]["flags"], "the catalogue header is marked fuzzy"
    assert "Plural-Forms: nplurals=2;" in header[0]["msgstr"][0]
    assert len(messages) > 100, "the catalogue looks empty; was makemessages run?"

    untranslated = [e["msgid"] for e in messages if not all(e["msgstr"])]
    assert not untranslated, f"untranslated msgids: {untranslated}"
    fuzzy = [e["msgid"] for e in messages if "fuzzy" in e["flags"]]
    assert not fuzzy, f"fuzzy (unchecked) translations: {fuzzy}"
    plural_without_forms = [
        e["msgid"] for e in messages if "msgid_plural" in e and len(e["msgstr"]) != 2
    ]
    assert not plural_without_forms, f"need msgstr[0] and [1]: {plural_without_forms}"

    # Every placeholder of the msgid must be kept (a plural entry's last form must keep those
    # of msgid_plural; its singular may say "one" instead of the number), and none may be
    # made up: an unknown name raises KeyError when the string is formatted.
    wrong_placeholders = []
    for e in messages:
        known = set(PLACEHOLDER.findall(e["msgid"] + e.get("msgid_plural", "")))
        required = set(PLACEHOLDER.findall(e.get("msgid_plural", e["msgid"])))
        for msgstr in e["msgstr"]:
            if not set(PLACEHOLDER.findall(msgstr)) <= known:
                wrong_placeholders.append((e["msgid"], msgstr))
        if not required <= set(PLACEHOLDER.findall(e["msgstr"][-1])):
            wrong_placeholders.append((e["msgid"], e["msgstr"][-1]))
    assert not wrong_placeholders, f"placeholders differ: {wrong_placeholders}"


# --- the catalogue in use --------------------------------------------------------------------


@pytest.mark.usefixtures("english_catalogue")
def test_known_strings_translate_to_english() -> None:
    with translation.override("en"):
        assert translation.gettext(LOGIN_ERROR_DE) == LOGIN_ERROR_EN
        assert translation.gettext("Anmelden") == "Log in"
        leaders = "Klassenleitung, Beratungslehrkraft oder Gruppenverantwortliche"
        assert translation.gettext(leaders) == "Class teacher, year group advisor or group leader"
        assert translation.gettext("Stundenplan") == "Timetable"
        locked = translation.gettext("Ihr Konto ist bis %(date)s gesperrt.")
        assert locked % {"date": "31.07.2027"} == "Your account is locked until 31.07.2027."
        one = translation.ngettext("%(counter)s Gruppe", "%(counter)s Gruppen", 1)
        many = translation.ngettext("%(counter)s Gruppe", "%(counter)s Gruppen", 3)
        assert (one % {"counter": 1}, many % {"counter": 3}) == ("1 group", "3 groups")


@pytest.mark.usefixtures("english_catalogue")
def test_german_is_the_default() -> None:
    assert settings.LANGUAGE_CODE == "de"
    with translation.override(None):  # nothing activated: falls back to LANGUAGE_CODE
        assert translation.gettext(LOGIN_ERROR_DE) == LOGIN_ERROR_DE
    with translation.override("de"):
        assert translation.gettext("Anmelden") == "Anmelden"
        assert translation.ngettext("%(counter)s Gruppe", "%(counter)s Gruppen", 3) == (
            "%(counter)s Gruppen"
        )


@pytest.mark.django_db
@pytest.mark.usefixtures("english_catalogue")
def test_login_page_follows_accept_language() -> None:
    english = Client(HTTP_ACCEPT_LANGUAGE="en").get("/anmelden/")
    assert english.status_code == 200
    page = english.content.decode()
    assert '<html lang="en">' in page
    for text in (
        "Log in",
        "Log in with your username.",
        "Username",
        "Password",
        "Forgotten your password?",
    ):
        assert text in page, text
    assert "Melden Sie sich mit Ihrem Benutzernamen an." not in page

    german = Client(HTTP_ACCEPT_LANGUAGE="de").get("/anmelden/")
    assert german.status_code == 200
    page = german.content.decode()
    assert '<html lang="de">' in page
    for text in (
        "Anmelden",
        "Melden Sie sich mit Ihrem Benutzernamen an.",
        "Benutzername",
        "Passwort vergessen?",
    ):
        assert text in page, text
    assert "Log in with your username." not in page


@pytest.mark.django_db
@pytest.mark.usefixtures("english_catalogue")
def test_login_error_is_shown_in_the_browser_language() -> None:
    data = {"username": "nie.mand", "password": "falsch-falsch"}
    english = Client(HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.8").post("/anmelden/", data)
    assert LOGIN_ERROR_EN in english.content.decode()
    german = Client(HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9").post("/anmelden/", data)
    assert LOGIN_ERROR_DE in german.content.decode()

"""``import_users``: preview, --json shape, --apply, refusals, letters."""

import io
import json
import os
import stat

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from pypdf import PdfReader

from schulhof.accounts.models import User
from schulhof.schoolimport import testdata
from schulhof.schoolimport.models import ImportProfile, ImportRole, ImportRun
from schulhof.schoolimport.tests.helpers import HEADER, csv_bytes, row

pytestmark = pytest.mark.django_db

CHANGE_KEYS = {"new", "updated", "class_changed", "left", "returned", "unchanged", "invalid"}


def run(*args):
    out = io.StringIO()
    call_command("import_users", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def export(tmp_path):
    def write(*lines, name="schueler.csv", data=None):
        path = tmp_path / name
        path.write_bytes(data if data is not None else csv_bytes(HEADER, *lines))
        return str(path)

    return write


def test_json_preview_shape_and_nothing_written(export):
    path = export(row("1", "Öztürk", "Emre", "5a"), row("2", "Kaya", "", "5a"))
    output = run(path, "--json")
    data = json.loads(output)  # exactly one object
    assert output.count("\n") <= 1
    assert set(data) >= {"counts", "people", "errors", "warnings"}
    assert set(data["counts"]) == CHANGE_KEYS
    assert data["counts"]["new"] == 1 and data["counts"]["invalid"] == 1
    first = data["people"][0]
    assert {key: first[key] for key in ("record_id", "username", "change", "class", "role")} == {
        "record_id": "1",
        "username": "emre.oeztuerk",
        "change": "new",
        "class": "5a",
        "role": "pupil",
    }
    assert data["errors"] == [{"line": 3, "message": "Der Vorname fehlt."}]
    assert all(set(w) == {"line", "message"} for w in data["warnings"])
    assert data["applied"] is False
    assert not User.objects.filter(external_source="schild-schueler").exists()
    assert not ImportRun.objects.exists()


def test_apply_and_reimport(export):
    path = export(row("1", "Öztürk", "Emre", "5a"), row("2", "Kaya", "Elif", "6b"))
    data = json.loads(run(path, "--apply", "--json"))
    assert data["applied"] is True
    assert data["applied_counts"]["new"] == 2
    assert User.objects.get(username="emre.oeztuerk").memberships_groups.filter(slug="5a").exists()
    again = json.loads(run(path, "--json"))
    assert again["counts"]["unchanged"] == 2
    assert sum(again["counts"].values()) == 2


def test_errors_refuse_apply_unless_skipped(export):
    path = export(row("1", "Öztürk", "Emre"), row("2", "Kaya", ""))
    with pytest.raises(
        CommandError, match="1 Zeilen haben Fehler \\(Zeilen 3\\); nichts übernommen"
    ):
        run(path, "--apply")
    assert not User.objects.filter(external_source="schild-schueler").exists()
    run(path, "--apply", "--skip-invalid")
    assert User.objects.filter(external_source="schild-schueler").count() == 1


def test_unreadable_file_is_a_command_error(export):
    path = export(data=b"PK\x03\x04zip", name="schueler.xlsx")
    with pytest.raises(CommandError, match="Excel"):
        run(path)
    with pytest.raises(CommandError, match="lässt sich nicht lesen"):
        run(path + ".missing")


def test_partial_keeps_the_missing(export):
    run(export(row("1", "Öztürk", "Emre"), row("2", "Kaya", "Elif")), "--apply")
    partial = json.loads(
        run(export(row("1", "Öztürk", "Emre"), name="teil.csv"), "--partial", "--json")
    )
    assert partial["counts"]["left"] == 0
    full = json.loads(run(export(row("1", "Öztürk", "Emre"), name="teil.csv"), "--json"))
    assert full["counts"]["left"] == 1


def test_teachers_by_role_and_profiles(export):
    path = export(data=testdata.teacher_export(testdata.teachers(3)), name="lehrer.csv")
    data = json.loads(run(path, "--role", "teacher", "--json"))
    assert {p["role"] for p in data["people"]} == {"teacher"}
    data = json.loads(run(path, "--profile", "schild-lehrer", "--json"))
    assert data["counts"]["new"] == 3
    with pytest.raises(CommandError, match="gibt es nicht"):
        run(path, "--profile", "unbekannt")
    with pytest.raises(CommandError, match="nicht für --role pupil"):
        run(path, "--profile", "schild-lehrer", "--role", "pupil")
    ImportProfile.objects.create(
        name="Magellan",
        source="magellan",
        role=ImportRole.PUPIL,
        columns={"record_id": "Nr", "last_name": "Name", "first_name": "Vorname"},
    )
    path = export(data=b"Nr,Name,Vorname\n7,Meier,Eva\n", name="magellan.csv")
    data = json.loads(run(path, "--profile", "Magellan", "--json"))
    assert data["people"][0]["username"] == "eva.meier"
    assert data["source"] == "magellan"


def test_table_output(export):
    path = export(row("1", "Öztürk", "Emre", "5a"), row("2", "Kaya", "", "5a"))
    output = run(path)
    assert "emre.oeztuerk" in output
    assert "Zeile 3: Der Vorname fehlt." in output
    assert "Nur Vorschau: nichts geändert." in output


def test_letters_pdf(export, tmp_path):
    path = export(row("1", "Öztürk", "Emre", "5a"), row("2", "Παπαδόπουλος", "Γιώργος", "6b"))
    target = tmp_path / "briefe.pdf"
    run(path, "--apply", "--letters", str(target))
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    text = "\n".join(page.extract_text() for page in PdfReader(target).pages)
    assert "emre.oeztuerk" in text and "giorgos.papadopoulos" in text
    assert "Klasse 5a" in text and "Klasse 6b" in text
    assert "Γιώργος Παπαδόπουλος" in text
    with pytest.raises(CommandError, match="nur zusammen mit --apply"):
        run(path, "--letters", str(target))

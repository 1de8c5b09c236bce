"""The import pages: upload, preview, apply, result, letters, profiles, permissions."""

import io
import re

import pytest
from django.contrib.auth.hashers import check_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pypdf import PdfReader

from schulhof.accounts.actions import do_grant_privilege
from schulhof.accounts.models import Role, User, get_system_actor
from schulhof.accounts.privileges import ADMIN_USERS
from schulhof.accounts.tests.factories import make_user
from schulhof.core.audit import AuditEvent
from schulhof.core.models import AuditLogEntry
from schulhof.schoolimport.models import ImportProfile, ImportRun, RunStatus
from schulhof.schoolimport.tests.helpers import HEADER, csv_bytes, row

pytestmark = pytest.mark.django_db

UPLOAD = reverse("schoolimport:upload")
PROFILES = reverse("schoolimport:profiles")


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def upload(client, data, **fields):
    form = {
        "file": SimpleUploadedFile("schueler.csv", data, content_type="text/csv"),
        "layout": "builtin:schild-schueler",
        "encoding": "",
        "full_import": "on",
        **fields,
    }
    return client.post(UPLOAD, form)


def test_upload_preview_apply_and_letters(admin_client):
    data = csv_bytes(HEADER, row("1", "Öztürk", "Emre", "5a"), row("2", "Nguyễn", "Minh Anh", "6b"))
    response = upload(admin_client, data)
    run = ImportRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("schoolimport:run", args=[run.pk])

    page = admin_client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "emre.oeztuerk" in html and "minh-anh.nguyen" in html
    assert "UTF-8" in html
    assert "Übernehmen" in html
    assert not User.objects.filter(external_source="schild-schueler").exists()

    response = admin_client.post(
        reverse("schoolimport:apply", args=[run.pk]), {"rename_usernames": "on"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Import übernommen" in html
    assert response["Cache-Control"].startswith("max-age=0")
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    assert User.objects.filter(external_source="schild-schueler").count() == 2

    response = admin_client.post(reverse("schoolimport:letters", args=[run.pk]), {"token": token})
    assert response["Content-Type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    emre = User.objects.get(username="emre.oeztuerk")
    assert "Emre Öztürk" in text and "Klasse 5a" in text and "Minh Anh Nguyễn" in text
    passwords = re.findall(r"\b\d{6}\b", text)
    assert any(check_password(candidate, emre.password) for candidate in passwords)

    # Only one class.
    response = admin_client.post(
        reverse("schoolimport:letters", args=[run.pk]), {"token": token, "klasse": "6b"}
    )
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Nguyễn" in text and "Öztürk" not in text

    # Later visits show the result without passwords.
    page = admin_client.get(reverse("schoolimport:run", args=[run.pk]), follow=True)
    assert "Import übernommen" in page.content.decode()
    assert 'name="token"' not in page.content.decode()
    # Re-posting the apply changes nothing.
    response = admin_client.post(reverse("schoolimport:apply", args=[run.pk]), {})
    assert response.status_code == 302
    assert User.objects.filter(external_source="schild-schueler").count() == 2


def test_forged_or_foreign_token_is_refused(admin_client):
    upload(admin_client, csv_bytes(HEADER, row("1", "Öztürk", "Emre")))
    run = ImportRun.objects.get()
    admin_client.post(reverse("schoolimport:apply", args=[run.pk]), {})
    response = admin_client.post(reverse("schoolimport:letters", args=[run.pk]), {"token": "x"})
    assert response.status_code == 302
    from django.core import signing

    from schulhof.schoolimport.views import LETTERS_SALT

    other = signing.dumps({"run": run.pk + 1, "pw": {}}, salt=LETTERS_SALT)
    response = admin_client.post(reverse("schoolimport:letters", args=[run.pk]), {"token": other})
    assert response.status_code == 400


def test_unreadable_file_gives_a_german_error_and_writes_nothing(admin_client):
    response = upload(admin_client, b"PK\x03\x04 an excel file")
    html = response.content.decode()
    assert response.status_code == 400
    assert "Die Datei wurde nicht eingelesen; es wurde nichts gespeichert." in html
    assert "Excel- oder Office-Datei" in html
    assert not ImportRun.objects.exists()
    mixed = "ID;Nachname;Vorname\n1;Müller;Jan\n".encode() + "2;Öztürk;Emre\n".encode("cp1252")
    response = upload(admin_client, mixed)
    assert "mischt Zeichenkodierungen" in response.content.decode()
    assert not ImportRun.objects.exists()


def test_errors_are_listed_and_block_until_skipped(admin_client):
    upload(admin_client, csv_bytes(HEADER, row("1", "Öztürk", "Emre"), row("2", "Kaya", "")))
    run = ImportRun.objects.get()
    html = admin_client.get(reverse("schoolimport:run", args=[run.pk])).content.decode()
    assert "1 Zeile mit Fehlern" in html
    assert "Zeile 3" in html and "Der Vorname fehlt." in html
    assert "Fehlerhafte Zeilen überspringen" in html
    response = admin_client.post(reverse("schoolimport:apply", args=[run.pk]), {}, follow=True)
    assert "1 Zeilen haben Fehler" in response.content.decode()
    assert not User.objects.filter(external_source="schild-schueler").exists()
    response = admin_client.post(
        reverse("schoolimport:apply", args=[run.pk]), {"skip_invalid": "on"}
    )
    assert response.status_code == 200
    assert "übersprungen (Zeile 3)" in response.content.decode()
    assert User.objects.filter(external_source="schild-schueler").count() == 1


def test_filter_by_change_type(admin_client):
    from schulhof.schoolimport.tests.helpers import run_import

    run_import(csv_bytes(HEADER, row("1", "Öztürk", "Emre", "5a"), row("2", "Kaya", "Elif", "5a")))
    upload(
        admin_client, csv_bytes(HEADER, row("1", "Öztürk", "Emre", "6a"), row("3", "Neu", "Nora"))
    )
    run = ImportRun.objects.get(status=RunStatus.PREVIEWED)
    url = reverse("schoolimport:run", args=[run.pk])
    html = admin_client.get(url + "?zeige=neu").content.decode()
    assert "nora.neu" in html and "emre.oeztuerk" not in html
    html = admin_client.get(url + "?zeige=klassenwechsel").content.decode()
    assert "emre.oeztuerk" in html and "5a → 6a" in html
    html = admin_client.get(url + "?zeige=abgang").content.decode()
    assert "elif.kaya" in html and "fehlt in der Datei" in html


def test_discard(admin_client):
    upload(admin_client, csv_bytes(HEADER, row("1", "Öztürk", "Emre")))
    run = ImportRun.objects.get()
    admin_client.post(reverse("schoolimport:discard", args=[run.pk]))
    run.refresh_from_db()
    assert run.status == RunStatus.DISCARDED and bytes(run.data) == b""
    response = admin_client.post(reverse("schoolimport:apply", args=[run.pk]), {}, follow=True)
    assert "bereits übernommen oder verworfen" in response.content.decode()


@pytest.mark.parametrize("role", [Role.TEACHER, Role.PUPIL, Role.STAFF])
def test_only_user_admins_may_import(client, role):
    person = make_user(role=role, username="ohne.recht")
    client.force_login(person)
    run = ImportRun.objects.create(
        filename="x.csv",
        sha256="0",
        layout_key="builtin:schild-schueler",
        layout_label="x",
        source="s",
        role="pupil",
        fingerprint="0",
    )
    profile = ImportProfile.objects.create(name="P", source="p", role="pupil")
    for url in [
        UPLOAD,
        PROFILES,
        reverse("schoolimport:profile_create"),
        reverse("schoolimport:run", args=[run.pk]),
        reverse("schoolimport:result", args=[run.pk]),
    ]:
        assert client.get(url).status_code == 403, url
    for url in [
        UPLOAD,
        reverse("schoolimport:apply", args=[run.pk]),
        reverse("schoolimport:discard", args=[run.pk]),
        reverse("schoolimport:letters", args=[run.pk]),
        reverse("schoolimport:profile_delete", args=[profile.pk]),
    ]:
        assert client.post(url, {}).status_code == 403, url
    assert ImportProfile.objects.exists()


def test_privilege_holder_may_import(client):
    secretary = make_user(role=Role.STAFF, username="monika.schreiber")
    do_grant_privilege(ADMIN_USERS, role=Role.STAFF, acting_user=get_system_actor())
    client.force_login(secretary)
    assert client.get(UPLOAD).status_code == 200
    html = client.get(reverse("web:dashboard")).content.decode()
    assert reverse("schoolimport:upload") in html


def test_anonymous_is_sent_to_login(client):
    response = client.get(UPLOAD)
    assert response.status_code == 302 and "/anmelden/" in response["Location"]


def test_profiles_create_edit_delete(admin_client):
    response = admin_client.post(
        reverse("schoolimport:profile_create"),
        {
            "name": "Magellan",
            "source": "magellan",
            "role": "pupil",
            "separator": ",",
            "encoding": "",
            "header": "auto",
            "left_values": "abgemeldet",
            "column_record_id": "Nr",
            "column_last_name": "Name",
            "column_first_name": "Vorname",
            "column_class_name": "Klasse",
        },
    )
    assert response.status_code == 302
    profile = ImportProfile.objects.get()
    assert profile.columns == {
        "record_id": "Nr",
        "last_name": "Name",
        "first_name": "Vorname",
        "class_name": "Klasse",
    }
    assert AuditLogEntry.objects.filter(event_type=AuditEvent.IMPORT_PROFILE_SAVE).exists()
    # The profile is offered for uploads and reads its files.
    response = upload(
        admin_client,
        b"Nr,Name,Vorname,Klasse\n7,Meier,Eva,5a\n",
        layout="profile:%d" % profile.pk,
    )
    run = ImportRun.objects.get()
    assert run.preview["people"][0]["username"] == "eva.meier"
    assert run.source == "magellan"

    edit = reverse("schoolimport:profile_edit", args=[profile.pk])
    assert 'value="Nr"' in admin_client.get(edit).content.decode()
    response = admin_client.post(
        edit,
        {
            "name": "Magellan",
            "source": "magellan",
            "role": "pupil",
            "header": "auto",
            "left_values": "",
            "column_record_id": "1",
            "column_last_name": "Name",
            "column_first_name": "Vorname",
        },
    )
    assert response.status_code == 400
    assert "nicht gemischt" in response.content.decode()
    response = admin_client.post(
        edit,
        {
            "name": "Magellan",
            "source": "magellan",
            "role": "pupil",
            "header": "auto",
            "left_values": "",
            "column_last_name": "Name",
            "column_first_name": "Vorname",
        },
    )
    assert "Diese Spalte braucht jeder Import." in response.content.decode()

    admin_client.post(reverse("schoolimport:profile_delete", args=[profile.pk]))
    assert not ImportProfile.objects.exists()


def test_upload_page_lists_recent_runs(admin_client):
    upload(admin_client, csv_bytes(HEADER, row("1", "Öztürk", "Emre")))
    html = admin_client.get(UPLOAD).content.decode()
    assert "schueler.csv" in html
    assert "Vollständiger Import" in html and "automatisch erkennen" in html


def test_too_many_new_people_for_the_browser(admin_client, monkeypatch):
    from schulhof.schoolimport import views

    monkeypatch.setattr(views, "WEB_APPLY_MAX_NEW", 1)
    upload(admin_client, csv_bytes(HEADER, row("1", "Öztürk", "Emre"), row("2", "Kaya", "Elif")))
    run = ImportRun.objects.get()
    html = admin_client.get(reverse("schoolimport:run", args=[run.pk])).content.decode()
    assert "schulhof import-users DATEI --apply --letters zugangsbriefe.pdf" in html
    response = admin_client.post(reverse("schoolimport:apply", args=[run.pk]), {}, follow=True)
    assert "über die Kommandozeile" in response.content.decode()
    assert not User.objects.filter(external_source="schild-schueler").exists()

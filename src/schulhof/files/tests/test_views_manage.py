"""Changing files through the web: new folder, rename, move, copy, delete into the trash,
restore, empty the trash."""

from __future__ import annotations

import pytest
from django.test import Client

from schulhof.accounts.models import User
from schulhof.core.audit import AuditEvent
from schulhof.core.models import AuditLogEntry
from schulhof.files.storage import Space, open_read, trash_list
from schulhof.files.tests import test_views as shared
from schulhof.files.tests.test_views import make_dir, names_in, put_file

pytestmark = pytest.mark.django_db

# Fixtures shared with test_views (pytest finds them as attributes of this module).
class_5a = shared.class_5a
client = shared.client
leon = shared.leon
leon_space = shared.leon_space


def messages_of(client: Client, url: str = "/dateien/") -> str:
    return client.get(url).content.decode()


def test_new_folder(client: Client, leon_space: Space) -> None:
    response = client.post("/dateien/neuer-ordner/user/leon.schmidt/", {"name": "Englisch"})
    assert response["Location"] == "/dateien/user/leon.schmidt/"
    assert names_in(leon_space) == ["Englisch"]
    assert "Der Ordner „Englisch“ wurde angelegt." in messages_of(client)
    client.post("/dateien/neuer-ordner/user/leon.schmidt/Englisch/", {"name": "Vokabeln"})
    assert names_in(leon_space, "Englisch") == ["Vokabeln"]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("a:b", "Der Name darf diese Zeichen nicht enthalten: :"),
        ("a/b", "Ein Name darf keinen Schrägstrich enthalten."),
        ("..", "„..“ ist als Name nicht erlaubt."),
        ("CON", "„CON“ ist unter Windows ein reservierter Name und nicht erlaubt."),
    ],
)
def test_new_folder_with_a_bad_name(
    client: Client, leon_space: Space, name: str, message: str
) -> None:
    client.post("/dateien/neuer-ordner/user/leon.schmidt/", {"name": name})
    assert names_in(leon_space) == []
    assert message in messages_of(client)


def test_new_folder_name_taken(client: Client, leon: User, leon_space: Space) -> None:
    make_dir(leon_space, "Mathe", leon)
    client.post("/dateien/neuer-ordner/user/leon.schmidt/", {"name": "Mathe"})
    assert "Eine Datei oder ein Ordner mit diesem Namen existiert schon." in messages_of(client)


def test_rename(client: Client, leon: User, leon_space: Space) -> None:
    put_file(leon_space, "alt.txt", b"Inhalt", leon)
    url = "/dateien/umbenennen/user/leon.schmidt/alt.txt"
    html = client.get(url).content.decode()
    assert 'value="alt.txt"' in html
    response = client.post(url, {"name": "Neuer Name.txt"})
    assert response["Location"] == "/dateien/user/leon.schmidt/"
    assert names_in(leon_space) == ["Neuer Name.txt"]
    with open_read(leon_space, "Neuer Name.txt") as handle:
        assert handle.read() == b"Inhalt"
    assert "„alt.txt“ heißt jetzt „Neuer Name.txt“." in messages_of(client)


def test_rename_errors_are_shown_at_the_field(
    client: Client, leon: User, leon_space: Space
) -> None:
    put_file(leon_space, "a.txt", b"a", leon)
    put_file(leon_space, "b.txt", b"b", leon)
    url = "/dateien/umbenennen/user/leon.schmidt/a.txt"
    html = client.post(url, {"name": "b.txt"}).content.decode()
    assert "Eine Datei oder ein Ordner mit diesem Namen existiert schon." in html
    html = client.post(url, {"name": "frage?.txt"}).content.decode()
    assert "Der Name darf diese Zeichen nicht enthalten: ?" in html
    assert sorted(names_in(leon_space)) == ["a.txt", "b.txt"]


def test_move_into_a_folder_with_the_picker(client: Client, leon: User, leon_space: Space) -> None:
    put_file(leon_space, "Blatt.pdf", b"%PDF", leon)
    make_dir(leon_space, "Mathe", leon)
    make_dir(leon_space, "Mathe/Brüche", leon)
    url = "/dateien/verschieben/user/leon.schmidt/Blatt.pdf"
    html = client.get(url).content.decode()
    assert "„Blatt.pdf“ verschieben" in html
    assert "?target_kind=user&amp;target_key=leon.schmidt&amp;target_path=Mathe" in html
    html = client.get(
        url + "?target_kind=user&target_key=leon.schmidt&target_path=Mathe"
    ).content.decode()
    assert "Brüche" in html and "Hierher verschieben" in html
    response = client.post(
        url, {"target_kind": "user", "target_key": "leon.schmidt", "target_path": "Mathe/Brüche"}
    )
    assert response["Location"] == "/dateien/user/leon.schmidt/"
    assert names_in(leon_space, "Mathe/Brüche") == ["Blatt.pdf"]
    assert names_in(leon_space) == ["Mathe"]
    assert "„Blatt.pdf“ wurde nach „Eigene Dateien / Mathe / Brüche“ verschoben." in messages_of(
        client
    )


def test_move_into_a_group_folder(
    client: Client, leon: User, leon_space: Space, class_5a: Space
) -> None:
    put_file(leon_space, "Referat.pdf", b"%PDF", leon)
    html = client.get("/dateien/verschieben/user/leon.schmidt/Referat.pdf").content.decode()
    assert "target_kind=group&amp;target_key=5a" in html
    client.post(
        "/dateien/verschieben/user/leon.schmidt/Referat.pdf",
        {"target_kind": "group", "target_key": "5a", "target_path": ""},
    )
    assert names_in(class_5a) == ["Referat.pdf"]
    assert names_in(leon_space) == []
    assert AuditLogEntry.objects.filter(event_type=AuditEvent.FILES_MOVE).exists()


def test_folder_cannot_move_into_itself(client: Client, leon: User, leon_space: Space) -> None:
    make_dir(leon_space, "A", leon)
    make_dir(leon_space, "A/B", leon)
    url = "/dateien/verschieben/user/leon.schmidt/A"
    html = client.get(url).content.decode()
    # The folder itself is not offered as a target.
    assert "target_path=A&" not in html and 'target_path=A"' not in html
    html = client.post(
        url, {"target_kind": "user", "target_key": "leon.schmidt", "target_path": "A/B"}
    ).content.decode()
    assert "Ein Ordner kann nicht in sich selbst verschoben oder kopiert werden." in html
    assert names_in(leon_space, "A") == ["B"]


def test_copy_in_the_same_folder_gets_a_free_name(
    client: Client, leon: User, leon_space: Space
) -> None:
    put_file(leon_space, "Bericht.txt", b"x", leon)
    client.post(
        "/dateien/kopieren/user/leon.schmidt/Bericht.txt",
        {"target_kind": "user", "target_key": "leon.schmidt", "target_path": ""},
    )
    assert sorted(names_in(leon_space)) == ["Bericht (2).txt", "Bericht.txt"]


def test_copy_folder_into_group(
    client: Client, leon: User, leon_space: Space, class_5a: Space
) -> None:
    make_dir(leon_space, "Projekt", leon)
    put_file(leon_space, "Projekt/a.txt", b"a", leon)
    client.post(
        "/dateien/kopieren/user/leon.schmidt/Projekt",
        {"target_kind": "group", "target_key": "5a", "target_path": ""},
    )
    assert names_in(class_5a, "Projekt") == ["a.txt"]
    assert names_in(leon_space, "Projekt") == ["a.txt"]


def test_delete_restore_and_empty_trash(client: Client, leon: User, leon_space: Space) -> None:
    make_dir(leon_space, "Mathe", leon)
    put_file(leon_space, "Mathe/Blatt.pdf", b"%PDF", leon)
    put_file(leon_space, "Mathe/Alt.txt", b"alt", leon)

    response = client.post(
        "/dateien/loeschen/user/leon.schmidt/Mathe/Blatt.pdf",
        {"next": "/dateien/user/leon.schmidt/Mathe/?sort=size"},
    )
    assert response["Location"] == "/dateien/user/leon.schmidt/Mathe/?sort=size"
    assert names_in(leon_space, "Mathe") == ["Alt.txt"]
    client.post(
        "/dateien/loeschen/user/leon.schmidt/Mathe/Alt.txt", {"next": "https://evil.example/"}
    )
    assert names_in(leon_space, "Mathe") == []

    html = client.get("/dateien/papierkorb/user/leon.schmidt/").content.decode()
    assert "Blatt.pdf" in html and "Alt.txt" in html and "aus Eigene Dateien/Mathe" in html
    assert "bleiben hier 30 Tage" in html
    entry = next(e for e in trash_list(leon_space) if e.name == "Blatt.pdf")

    response = client.post("/dateien/papierkorb/user/leon.schmidt/%d/wiederherstellen/" % entry.id)
    assert response["Location"] == "/dateien/papierkorb/user/leon.schmidt/"
    assert names_in(leon_space, "Mathe") == ["Blatt.pdf"]
    assert "„Blatt.pdf“ ist wieder da, in „Eigene Dateien / Mathe“." in messages_of(
        client, "/dateien/papierkorb/user/leon.schmidt/"
    )

    # Emptying asks first.
    html = client.get("/dateien/papierkorb/user/leon.schmidt/leeren/").content.decode()
    assert "Papierkorb leeren?" in html and "1 Eintrag" in html
    assert len(trash_list(leon_space)) == 1
    client.post("/dateien/papierkorb/user/leon.schmidt/leeren/")
    assert trash_list(leon_space) == []
    assert "Der Papierkorb ist leer." in messages_of(
        client, "/dateien/papierkorb/user/leon.schmidt/"
    )


def test_restore_of_an_unknown_entry(client: Client) -> None:
    client.post("/dateien/papierkorb/user/leon.schmidt/999/wiederherstellen/")
    assert "Dieser Eintrag ist nicht mehr im Papierkorb." in messages_of(
        client, "/dateien/papierkorb/user/leon.schmidt/"
    )


def test_changes_need_post(client: Client, leon: User, leon_space: Space) -> None:
    put_file(leon_space, "a.txt", b"a", leon)
    assert client.get("/dateien/loeschen/user/leon.schmidt/a.txt").status_code == 405
    assert client.get("/dateien/neuer-ordner/user/leon.schmidt/").status_code == 405
    assert client.get("/dateien/hochladen/user/leon.schmidt/").status_code == 405
    assert names_in(leon_space) == ["a.txt"]


def test_the_root_cannot_be_renamed_or_deleted(client: Client) -> None:
    assert client.post("/dateien/loeschen/user/leon.schmidt/", {}).status_code == 404
    assert client.get("/dateien/umbenennen/user/leon.schmidt/").status_code == 404

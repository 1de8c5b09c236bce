"""The file manager's pages: listing, sorting, search, breadcrumb, quota bar, and above all
who may see what, through every URL trick we know."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from schulhof.accounts.actions import do_create_sanction
from schulhof.accounts.models import Group, User
from schulhof.accounts.tests.factories import make_user
from schulhof.files import actions
from schulhof.files.storage import Space, Usage, group_space, list_dir, user_space
from schulhof.files.views.common import format_size, quota_bar

pytestmark = pytest.mark.django_db


# --- Helpers, shared with the other test_views_* modules ---------------------------------


def put_file(space: Space, path: str, data: bytes, user: User) -> None:
    actions.do_write_file(space, path, [data], acting_user=user)


def make_dir(space: Space, path: str, user: User) -> None:
    actions.do_make_dir(space, path, acting_user=user)


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def names_in(space: Space, path: str = "") -> list[str]:
    return [node.name for node in list_dir(space, path)]


@pytest.fixture
def leon() -> User:
    return make_user(
        pupil=True, username="leon.schmidt", first_name="Leon", last_name="Schmidt", klasse="5a"
    )


@pytest.fixture
def mia() -> User:
    """Another pupil, in another class."""
    return make_user(
        pupil=True, username="mia.schneider", first_name="Mia", last_name="Schneider", klasse="6b"
    )


@pytest.fixture
def leon_space(leon: User) -> Space:
    return user_space(leon)


@pytest.fixture
def mia_space(mia: User) -> Space:
    put_file(user_space(mia), "Tagebuch.txt", b"geheim", mia)
    make_dir(user_space(mia), "Privat", mia)
    put_file(user_space(mia), "Privat/Brief.txt", b"sehr geheim", mia)
    return user_space(mia)


@pytest.fixture
def class_5a(leon: User) -> Space:
    return group_space(Group.objects.get(slug="5a"))


@pytest.fixture
def class_6b(mia: User) -> Space:
    space = group_space(Group.objects.get(slug="6b"))
    put_file(space, "Klassenliste.txt", b"6b intern", mia)
    return space


@pytest.fixture
def client(leon: User) -> Client:
    return client_for(leon)


# --- Listing -----------------------------------------------------------------------------


def test_own_files_at_dateien(client: Client, leon: User, leon_space: Space) -> None:
    make_dir(leon_space, "Mathe", leon)
    put_file(leon_space, "Übung.txt", b"1 + 1", leon)
    response = client.get("/dateien/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Eigene Dateien" in html
    assert "Mathe" in html and "Übung.txt" in html
    # A folder link, a file link (text is not previewable: download).
    assert 'href="/dateien/user/leon.schmidt/Mathe/"' in html
    assert 'href="/dateien/herunterladen/user/leon.schmidt/%C3%9Cbung.txt"' in html
    assert (
        response["Cache-Control"].startswith("max-age=0") or "no-store" in response["Cache-Control"]
    )


def test_login_required(leon: User) -> None:
    response = Client().get("/dateien/")
    assert response.status_code == 302
    assert "/anmelden/" in response["Location"]


def test_empty_folder_state(client: Client) -> None:
    html = client.get("/dateien/").content.decode()
    assert "Dieser Ordner ist leer." in html


def test_subfolder_breadcrumb_and_parent_link(
    client: Client, leon: User, leon_space: Space
) -> None:
    make_dir(leon_space, "Mathe", leon)
    make_dir(leon_space, "Mathe/Brüche", leon)
    put_file(leon_space, "Mathe/Brüche/Blatt 1.pdf", b"%PDF-1.4", leon)
    response = client.get("/dateien/user/leon.schmidt/Mathe/Br%C3%BCche/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'aria-label="Ordnerpfad"' in html
    assert 'href="/dateien/user/leon.schmidt/Mathe/"' in html
    assert 'aria-current="page">Brüche</a>' in html
    assert "Übergeordneter Ordner" in html
    # A PDF opens in the preview.
    assert "/dateien/vorschau/user/leon.schmidt/Mathe/Br%C3%BCche/Blatt%201.pdf" in html


def test_folders_first_and_sorting(client: Client, leon: User, leon_space: Space) -> None:
    put_file(leon_space, "b-klein.txt", b"1", leon)
    put_file(leon_space, "a-gross.txt", b"1" * 5000, leon)
    make_dir(leon_space, "z-ordner", leon)

    def order(query: str) -> list[str]:
        html = client.get("/dateien/" + query).content.decode()
        found = [(html.index(name), name) for name in ("z-ordner", "a-gross.txt", "b-klein.txt")]
        return [name for _pos, name in sorted(found)]

    assert order("") == ["z-ordner", "a-gross.txt", "b-klein.txt"]
    assert order("?sort=name&order=desc") == ["z-ordner", "b-klein.txt", "a-gross.txt"]
    assert order("?sort=size&order=asc") == ["z-ordner", "b-klein.txt", "a-gross.txt"]
    assert order("?sort=size&order=desc") == ["z-ordner", "a-gross.txt", "b-klein.txt"]
    html = client.get("/dateien/?sort=size&order=desc").content.decode()
    assert 'aria-sort="descending"' in html


def test_search_by_name_in_the_whole_space(client: Client, leon: User, leon_space: Space) -> None:
    make_dir(leon_space, "Bio", leon)
    put_file(leon_space, "Bio/Zellen.pdf", b"x", leon)
    put_file(leon_space, "Zeitplan.txt", b"x", leon)
    put_file(leon_space, "Andere.txt", b"x", leon)
    html = client.get("/dateien/?q=ZE").content.decode()
    assert "Zellen.pdf" in html and "Zeitplan.txt" in html
    assert "Andere.txt" not in html
    assert "in Eigene Dateien/Bio" in html
    assert "2 Treffer" in html
    html = client.get("/dateien/?q=nichtda").content.decode()
    assert "Nichts mit „nichtda“ im Namen gefunden." in html


def test_quota_bar_text(client: Client, leon: User, leon_space: Space) -> None:
    put_file(leon_space, "a.bin", b"x" * 1536, leon)
    html = client.get("/dateien/").content.decode()
    assert "1,5 KB von 2 GB belegt (davon E-Mail 0 B)" in html
    assert 'class="fm-quota__files" x="0" y="0" width="0.8"' in html


def test_format_size_german() -> None:
    assert format_size(0) == "0 B"
    assert format_size(1023) == "1023 B"
    assert format_size(1024) == "1 KB"
    assert format_size(1288490189) == "1,2 GB"
    assert format_size(2 * 1024**3) == "2 GB"


def test_quota_bar_shares_files_and_mail() -> None:
    bar = quota_bar(
        Usage(files=1024**3, mail=512 * 1024**2, used=1536 * 1024**2, limit=2 * 1024**3)
    )
    assert bar.files_percent == 50.0 and bar.mail_percent == 25.0
    assert bar.text == "1,5 GB von 2 GB belegt (davon E-Mail 512 MB)"
    group = quota_bar(Usage(files=10, mail=0, used=10, limit=100), personal=False)
    assert group.text == "10 B von 100 B belegt"


def test_group_folders_listed_and_readable(client: Client, leon: User, class_5a: Space) -> None:
    put_file(class_5a, "Stundenplan.pdf", b"%PDF", leon)
    html = client.get("/dateien/").content.decode()
    assert "Gruppen" in html
    assert 'href="/dateien/group/5a/"' in html
    response = client.get("/dateien/group/5a/")
    assert response.status_code == 200
    assert "Stundenplan.pdf" in response.content.decode()
    assert "Speicherplatz der Gruppe" in response.content.decode()


def test_path_to_a_file_in_the_folder_url_goes_to_the_file(
    client: Client, leon: User, leon_space: Space
) -> None:
    put_file(leon_space, "Bild.png", b"\x89PNG", leon)
    response = client.get("/dateien/user/leon.schmidt/Bild.png/")
    assert response.status_code == 302
    assert response["Location"] == "/dateien/vorschau/user/leon.schmidt/Bild.png"


def test_missing_folder_is_404(client: Client) -> None:
    response = client.get("/dateien/user/leon.schmidt/Gibtsnicht/")
    assert response.status_code == 404
    assert "nicht gefunden" in response.content.decode()


# --- Nobody else's files, through any URL --------------------------------------------------


OTHER_PUPIL_URLS = [
    "/dateien/user/mia.schneider/",
    "/dateien/user/mia.schneider/Privat/",
    "/dateien/herunterladen/user/mia.schneider/Tagebuch.txt",
    "/dateien/anzeigen/user/mia.schneider/Tagebuch.txt",
    "/dateien/vorschau/user/mia.schneider/Tagebuch.txt",
    "/dateien/zip/user/mia.schneider/",
    "/dateien/zip/user/mia.schneider/Privat/",
    "/dateien/papierkorb/user/mia.schneider/",
    "/dateien/umbenennen/user/mia.schneider/Tagebuch.txt",
    "/dateien/verschieben/user/mia.schneider/Tagebuch.txt",
    "/dateien/kopieren/user/mia.schneider/Tagebuch.txt",
    "/dateien/papierkorb/user/mia.schneider/leeren/",
    "/dateien/group/6b/",
    "/dateien/herunterladen/group/6b/Klassenliste.txt",
    "/dateien/zip/group/6b/",
    "/dateien/papierkorb/group/6b/",
    # Groups without a folder and unknown names look the same as forbidden ones.
    "/dateien/group/schueler/",
    "/dateien/user/gibt.es.nicht/",
]

TRICK_URLS = [
    "/dateien/user/leon.schmidt/../mia.schneider/",
    "/dateien/user/leon.schmidt/%2e%2e/mia.schneider/",
    "/dateien/user/leon.schmidt/%2E%2E%2Fmia.schneider/",
    "/dateien/user/leon.schmidt%2F..%2Fmia.schneider/",
    "/dateien/user/leon.schmidt//mia.schneider/",
    "/dateien/user/leon.schmidt/..%5C..%5Cusers%5Cmia.schneider/",
    "/dateien/herunterladen/user/leon.schmidt/../../users/mia.schneider/Tagebuch.txt",
    "/dateien/herunterladen/user/leon.schmidt/%2e%2e/%2e%2e/users/mia.schneider/Tagebuch.txt",
    "/dateien/herunterladen/user/leon.schmidt//users/mia.schneider/Tagebuch.txt",
    "/dateien/herunterladen/user/leon.schmidt/%2Fetc%2Fpasswd",
    "/dateien/herunterladen/user/leon.schmidt/.",
    "/dateien/zip/user/leon.schmidt/%2e%2e/",
    "/dateien/zip/user/leon.schmidt/%00/",
]


@pytest.mark.parametrize("url", OTHER_PUPIL_URLS)
def test_another_pupils_files_are_refused(
    client: Client, mia_space: Space, class_6b: Space, url: str
) -> None:
    response = client.get(url)
    assert response.status_code == 403, url
    body = response.content.decode()
    assert "geheim" not in body and "Brief.txt" not in body and "6b intern" not in body
    assert "Sie haben keinen Zugriff auf diesen" in body


@pytest.mark.parametrize("url", TRICK_URLS)
def test_url_tricks_lead_nowhere(client: Client, mia_space: Space, url: str) -> None:
    response = client.get(url)
    assert response.status_code in (403, 404), (url, response.status_code)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert b"geheim" not in body and b"Brief.txt" not in body


WRITE_ATTEMPTS = [
    ("post", "/dateien/loeschen/user/mia.schneider/Tagebuch.txt", {}),
    ("post", "/dateien/umbenennen/user/mia.schneider/Tagebuch.txt", {"name": "weg.txt"}),
    ("post", "/dateien/verschieben/user/mia.schneider/Tagebuch.txt",
     {"target_kind": "user", "target_key": "leon.schmidt", "target_path": ""}),
    ("post", "/dateien/kopieren/user/mia.schneider/Tagebuch.txt",
     {"target_kind": "user", "target_key": "leon.schmidt", "target_path": ""}),
    ("post", "/dateien/neuer-ordner/user/mia.schneider/", {"name": "Hack"}),
    ("post", "/dateien/papierkorb/user/mia.schneider/leeren/", {}),
    ("post", "/dateien/hochladen/user/mia.schneider/", {}),
    ("post", "/dateien/loeschen/group/6b/Klassenliste.txt", {}),
]  # fmt: skip


@pytest.mark.parametrize(("method", "url", "data"), WRITE_ATTEMPTS)
def test_another_pupils_files_cannot_be_changed(
    client: Client,
    mia: User,
    mia_space: Space,
    class_6b: Space,
    method: str,
    url: str,
    data: dict[str, Any],
) -> None:
    response = getattr(client, method)(url, data)
    assert response.status_code == 403, url
    assert sorted(names_in(mia_space)) == ["Privat", "Tagebuch.txt"]
    assert names_in(class_6b) == ["Klassenliste.txt"]
    assert names_in(user_space(mia), "Privat") == ["Brief.txt"]


def test_upload_into_another_pupils_space_is_refused(client: Client, mia_space: Space) -> None:
    response = client.put(
        "/dateien/hochladen/user/mia.schneider/",
        data=b"boese",
        content_type="application/octet-stream",
        HTTP_X_FILE_NAME="virus.exe",
    )
    assert response.status_code == 403
    assert response.json()["error"] == "Sie haben keinen Zugriff auf diesen Ordner."
    assert "virus.exe" not in names_in(mia_space)


def test_upload_names_cannot_climb_out(client: Client, leon_space: Space, mia_space: Space) -> None:
    for name in (
        "../mia.schneider/x.txt",
        "%2e%2e%2fmia.schneider%2fx.txt",
        "..%5Cx.txt",
        "/x/../../y",
    ):
        response = client.put(
            "/dateien/hochladen/user/leon.schmidt/",
            data=b"x",
            content_type="application/octet-stream",
            HTTP_X_FILE_NAME=name,
        )
        assert response.status_code == 400, name
        assert response.json()["error"]
    assert names_in(leon_space) == []
    assert sorted(names_in(mia_space)) == ["Privat", "Tagebuch.txt"]


def test_moving_into_another_pupils_space_is_refused(
    client: Client, leon: User, leon_space: Space, mia_space: Space
) -> None:
    put_file(leon_space, "Spam.txt", b"x", leon)
    response = client.post(
        "/dateien/verschieben/user/leon.schmidt/Spam.txt",
        {"target_kind": "user", "target_key": "mia.schneider", "target_path": ""},
    )
    assert response.status_code == 403
    assert names_in(leon_space) == ["Spam.txt"]
    assert "Spam.txt" not in names_in(mia_space)


def test_admin_cannot_browse_a_pupils_files(mia: User, mia_space: Space) -> None:
    admin = make_user(admin=True, username="anna.admin")
    response = client_for(admin).get("/dateien/user/mia.schneider/")
    assert response.status_code == 403


def test_files_sanction_blocks_the_file_manager(leon: User, client: Client) -> None:
    do_create_sanction(
        leon, blocked=["files"], reason="Test", ends_at=None, acting_user=make_user(admin=True)
    )
    response = client.get("/dateien/")
    assert response.status_code == 403
    assert "Der Bereich Dateien ist für Ihr Konto gesperrt." in response.content.decode()


def test_write_sanction_leaves_reading(leon: User, leon_space: Space, client: Client) -> None:
    put_file(leon_space, "a.txt", b"x", leon)
    do_create_sanction(
        leon,
        blocked=["files_write"],
        reason="Test",
        ends_at=None,
        acting_user=make_user(admin=True),
    )
    response = client.get("/dateien/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "a.txt" in html
    assert "data-fm-upload-form" not in html
    assert "Sie können diesen Ordner ansehen, aber nichts ändern." in html
    response = client.put(
        "/dateien/hochladen/user/leon.schmidt/",
        data=b"x",
        content_type="application/octet-stream",
        HTTP_X_FILE_NAME="b.txt",
    )
    assert response.status_code == 403
    assert (
        response.json()["error"] == "Hochladen und Ändern von Dateien ist für Ihr Konto gesperrt."
    )

"""Bytes in and out through the web: the streamed upload, quota and size refusals, download
headers (names with umlauts, Range, conditional requests, no script in our origin), the
preview types, and folders as streamed ZIP files."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from schulhof.accounts.models import User
from schulhof.core.models import SchoolSettings
from schulhof.files import actions, zipstream
from schulhof.files.models import Reservation
from schulhof.files.storage import Space, open_read, stat, usage_for_user
from schulhof.files.tests import test_views as shared
from schulhof.files.tests.test_views import make_dir, names_in, put_file
from schulhof.files.views import transfer
from schulhof.files.zipstream import ZipMember, stream_zip

pytestmark = pytest.mark.django_db

# Fixtures shared with test_views (pytest finds them as attributes of this module).
class_5a = shared.class_5a
client = shared.client
leon = shared.leon
leon_space = shared.leon_space

UPLOAD = "/dateien/hochladen/user/leon.schmidt/"


def read(space: Space, path: str) -> bytes:
    with open_read(space, path) as handle:
        return handle.read()


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def put(client: Client, name: str, data: bytes, url: str = UPLOAD, **headers: str) -> Any:
    return client.put(
        url,
        data=data,
        content_type="application/octet-stream",
        HTTP_X_FILE_NAME=name,
        **headers,
    )


# --- Upload ------------------------------------------------------------------------------


def test_upload_streams_the_request_body(
    client: Client, leon_space: Space, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The view hands the request itself (a stream) to the action, which reads it in
    chunks: the body is never loaded into memory as a whole (``request.body``)."""
    seen: dict[str, Any] = {}
    real = transfer.do_write_file

    def spy(space: Space, path: str, stream: Any, **kwargs: Any) -> Any:
        seen["body_loaded"] = hasattr(stream, "_body")
        seen["has_read"] = callable(getattr(stream, "read", None))
        seen["expected_size"] = kwargs["expected_size"]
        return real(space, path, stream, **kwargs)

    monkeypatch.setattr(transfer, "do_write_file", spy)
    data = bytes(range(256)) * 12_000  # 3 MB, several chunks
    response = put(client, "Gr%C3%B6%C3%9Fe%20Datei.bin", data)
    assert response.status_code == 201, response.content
    assert response.json()["name"] == "Größe Datei.bin"
    assert response.json()["size_text"] == "2,9 MB"
    assert seen == {"body_loaded": False, "has_read": True, "expected_size": len(data)}
    assert read(leon_space, "Größe Datei.bin") == data


def test_upload_into_a_subfolder_of_a_folder_upload(client: Client, leon_space: Space) -> None:
    response = client.post(
        "/dateien/neuer-ordner/user/leon.schmidt/",
        {"path": "Projekt/Bilder/Neu"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 201, response.content
    # Again: folders that exist are fine (several uploads of one folder).
    response = client.post(
        "/dateien/neuer-ordner/user/leon.schmidt/",
        {"path": "Projekt/Bilder"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 201
    assert put(client, "Projekt%2FBilder%2FNeu%2Fa.txt", b"a").status_code == 201
    assert names_in(leon_space, "Projekt/Bilder/Neu") == ["a.txt"]


def test_upload_of_an_existing_name_asks_first(
    client: Client, leon: User, leon_space: Space
) -> None:
    put_file(leon_space, "a.txt", b"alt", leon)
    response = put(client, "a.txt", b"neu")
    assert response.status_code == 409
    assert response.json()["code"] == "AlreadyExists"
    assert read(leon_space, "a.txt") == b"alt"
    response = put(client, "a.txt", b"neu", HTTP_X_OVERWRITE="1")
    assert response.status_code == 201
    assert read(leon_space, "a.txt") == b"neu"


def test_upload_over_quota_is_refused_and_changes_nothing(
    client: Client, leon: User, leon_space: Space
) -> None:
    actions.do_set_quota_override(leon, 10_000, acting_user=leon)
    put_file(leon_space, "Aufsatz.txt", b"x" * 6000, leon)
    before = usage_for_user(leon)

    response = put(client, "Film.mp4", b"y" * 5000)
    assert response.status_code == 507
    assert response.json()["code"] == "QuotaExceeded"
    assert response.json()["error"].startswith("Nicht genug Speicherplatz")
    # Replacing the existing file with a bigger one: refused, the old one is untouched.
    response = put(client, "Aufsatz.txt", b"z" * 12_000, HTTP_X_OVERWRITE="1")
    assert response.status_code == 507
    assert read(leon_space, "Aufsatz.txt") == b"x" * 6000
    assert names_in(leon_space) == ["Aufsatz.txt"]
    assert usage_for_user(leon) == before
    assert not Reservation.objects.exists()


def test_upload_larger_than_the_school_allows(client: Client, leon_space: Space) -> None:
    SchoolSettings.get()
    SchoolSettings.objects.update(max_upload_mib=1)
    response = put(client, "gross.bin", b"x" * (1024 * 1024 + 1))
    assert response.status_code == 413
    assert response.json()["error"] == "Die Datei ist zu groß: höchstens 1 MB pro Datei."
    assert names_in(leon_space) == []
    html = client.get("/dateien/").content.decode()
    assert 'data-max-upload="1048576"' in html
    assert "Höchstens 1 MB pro Datei." in html


def test_upload_without_length_or_name(client: Client) -> None:
    response = put(client, "", b"x")
    assert response.status_code == 400
    assert response.json()["error"] == "Der Dateiname fehlt."
    response = put(client, "a%ZZ%FF.txt", b"x")
    assert response.status_code == 400


def test_upload_needs_csrf_token(leon: User, leon_space: Space) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(leon)
    response = put(client, "a.txt", b"x")
    assert response.status_code == 403
    assert names_in(leon_space) == []


def test_upload_form_without_javascript(client: Client, leon_space: Space) -> None:
    response = client.post(
        UPLOAD,
        {
            "files": [
                SimpleUploadedFile("Eins.txt", b"1"),
                SimpleUploadedFile("Zwei.txt", b"22"),
            ]
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/dateien/user/leon.schmidt/"
    assert sorted(names_in(leon_space)) == ["Eins.txt", "Zwei.txt"]
    html = client.get("/dateien/").content.decode()
    assert "2 Datei(en) hochgeladen." in html


def test_upload_into_a_group_folder(client: Client, class_5a: Space) -> None:
    assert (
        put(client, "Referat.pdf", b"%PDF", url="/dateien/hochladen/group/5a/").status_code == 201
    )
    assert names_in(class_5a) == ["Referat.pdf"]


# --- Download ----------------------------------------------------------------------------


def test_download_headers(client: Client, leon: User, leon_space: Space) -> None:
    put_file(leon_space, "Übung für Jörg.txt", b"Hallo", leon)
    node = stat(leon_space, "Übung für Jörg.txt")
    response = client.get(
        "/dateien/herunterladen/user/leon.schmidt/%C3%9Cbung%20f%C3%BCr%20J%C3%B6rg.txt"
    )
    assert response.status_code == 200
    assert body(response) == b"Hallo"
    assert response["Content-Disposition"] == (
        'attachment; filename="Ubung fur Jorg.txt"; '
        "filename*=UTF-8''%C3%9Cbung%20f%C3%BCr%20J%C3%B6rg.txt"
    )
    assert response["Content-Type"].startswith("text/plain")
    assert response["Content-Length"] == "5"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["ETag"] == '"%s"' % node.etag
    assert response["Accept-Ranges"] == "bytes"
    assert "private" in response["Cache-Control"]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("seite.html", b"<script>alert(1)</script>"),
        ("bild.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
        ("code.js", b"alert(1)"),
        ("stil.css", b"body{}"),
        ("unbekannt.xyz123", b"<html><script>alert(1)</script>"),
    ],
)
def test_active_content_is_never_served_as_is(
    client: Client, leon: User, leon_space: Space, name: str, content: bytes
) -> None:
    put_file(leon_space, name, content, leon)
    for prefix in ("herunterladen", "anzeigen"):
        response = client.get("/dateien/%s/user/leon.schmidt/%s" % (prefix, name))
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment;"), prefix
        assert response["Content-Type"] == "application/octet-stream", (prefix, name)
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response["Content-Security-Policy"]


def test_images_and_pdfs_inline_for_the_preview(
    client: Client, leon: User, leon_space: Space
) -> None:
    put_file(leon_space, "Foto.png", b"\x89PNG\r\n", leon)
    put_file(leon_space, "Blatt.pdf", b"%PDF-1.4", leon)
    image = client.get("/dateien/anzeigen/user/leon.schmidt/Foto.png")
    assert image["Content-Type"] == "image/png"
    assert image["Content-Disposition"].startswith("inline;")
    assert image["X-Frame-Options"] == "DENY"
    pdf = client.get("/dateien/anzeigen/user/leon.schmidt/Blatt.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"].startswith("inline;")
    # Our own preview page may frame the PDF; nobody else may.
    assert pdf["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in pdf["Content-Security-Policy"]
    # The download of the same file is an attachment.
    assert client.get("/dateien/herunterladen/user/leon.schmidt/Blatt.pdf")[
        "Content-Disposition"
    ].startswith("attachment;")


def test_preview_pages(client: Client, leon: User, leon_space: Space) -> None:
    put_file(leon_space, "Foto.png", b"\x89PNG\r\n", leon)
    put_file(leon_space, "Blatt.pdf", b"%PDF-1.4", leon)
    put_file(leon_space, "Text.txt", b"x", leon)
    html = client.get("/dateien/vorschau/user/leon.schmidt/Foto.png").content.decode()
    assert (
        '<img class="fm-preview__image" src="/dateien/anzeigen/user/leon.schmidt/Foto.png"' in html
    )
    html = client.get("/dateien/vorschau/user/leon.schmidt/Blatt.pdf").content.decode()
    assert (
        '<iframe class="fm-preview__frame" src="/dateien/anzeigen/user/leon.schmidt/Blatt.pdf"'
        in html
    )
    response = client.get("/dateien/vorschau/user/leon.schmidt/Text.txt")
    assert response["Location"] == "/dateien/herunterladen/user/leon.schmidt/Text.txt"


def test_range_requests(client: Client, leon: User, leon_space: Space) -> None:
    put_file(leon_space, "zahlen.txt", b"0123456789", leon)
    url = "/dateien/herunterladen/user/leon.schmidt/zahlen.txt"
    response = client.get(url, HTTP_RANGE="bytes=2-5")
    assert response.status_code == 206
    assert body(response) == b"2345"
    assert response["Content-Range"] == "bytes 2-5/10"
    assert response["Content-Length"] == "4"
    response = client.get(url, HTTP_RANGE="bytes=7-")
    assert (response.status_code, body(response)) == (206, b"789")
    response = client.get(url, HTTP_RANGE="bytes=-3")
    assert (response.status_code, body(response)) == (206, b"789")
    response = client.get(url, HTTP_RANGE="bytes=5-100")
    assert (response.status_code, body(response)) == (206, b"56789")
    response = client.get(url, HTTP_RANGE="bytes=10-")
    assert response.status_code == 416
    assert response["Content-Range"] == "bytes */10"
    # Several ranges: the whole file is a correct answer.
    response = client.get(url, HTTP_RANGE="bytes=0-1,4-5")
    assert (response.status_code, body(response)) == (200, b"0123456789")


def test_conditional_requests(client: Client, leon: User, leon_space: Space) -> None:
    put_file(leon_space, "a.txt", b"0123456789", leon)
    url = "/dateien/herunterladen/user/leon.schmidt/a.txt"
    etag = client.get(url)["ETag"]
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get(url, HTTP_IF_NONE_MATCH='"anders"').status_code == 200
    # A Range with an outdated If-Range gets the whole (new) file.
    response = client.get(url, HTTP_RANGE="bytes=0-1", HTTP_IF_RANGE='"alt"')
    assert (response.status_code, body(response)) == (200, b"0123456789")
    response = client.get(url, HTTP_RANGE="bytes=0-1", HTTP_IF_RANGE=etag)
    assert (response.status_code, body(response)) == (206, b"01")


def test_download_of_a_folder_redirects_to_the_zip(
    client: Client, leon: User, leon_space: Space
) -> None:
    make_dir(leon_space, "Mathe", leon)
    response = client.get("/dateien/herunterladen/user/leon.schmidt/Mathe")
    assert response["Location"] == "/dateien/zip/user/leon.schmidt/Mathe/"


# --- ZIP ---------------------------------------------------------------------------------


def test_folder_as_zip(client: Client, leon: User, leon_space: Space) -> None:
    make_dir(leon_space, "Projekt Wasser", leon)
    make_dir(leon_space, "Projekt Wasser/Bilder", leon)
    make_dir(leon_space, "Projekt Wasser/Leer", leon)
    put_file(leon_space, "Projekt Wasser/Bericht über Flüsse.txt", "Flüsse".encode() * 1000, leon)
    put_file(leon_space, "Projekt Wasser/Bilder/Fluss.png", b"\x89PNG" + bytes(range(256)), leon)
    put_file(leon_space, "Anderes.txt", b"nicht im ZIP", leon)
    response = client.get("/dateien/zip/user/leon.schmidt/Projekt%20Wasser/")
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == (
        "attachment; filename=\"Projekt Wasser.zip\"; filename*=UTF-8''Projekt%20Wasser.zip"
    )
    archive = zipfile.ZipFile(io.BytesIO(body(response)))
    assert archive.testzip() is None
    assert sorted(archive.namelist()) == [
        "Projekt Wasser/",
        "Projekt Wasser/Bericht über Flüsse.txt",
        "Projekt Wasser/Bilder/",
        "Projekt Wasser/Bilder/Fluss.png",
        "Projekt Wasser/Leer/",
    ]
    assert archive.read("Projekt Wasser/Bericht über Flüsse.txt") == "Flüsse".encode() * 1000
    assert archive.read("Projekt Wasser/Bilder/Fluss.png") == b"\x89PNG" + bytes(range(256))
    info = archive.getinfo("Projekt Wasser/Bericht über Flüsse.txt")
    assert info.flag_bits & 0x800  # UTF-8 names
    assert info.compress_type == zipfile.ZIP_DEFLATED
    assert archive.getinfo("Projekt Wasser/Bilder/Fluss.png").compress_type == zipfile.ZIP_STORED


def test_whole_space_as_zip(client: Client, leon: User, leon_space: Space) -> None:
    put_file(leon_space, "a.txt", b"a", leon)
    response = client.get("/dateien/zip/user/leon.schmidt/")
    archive = zipfile.ZipFile(io.BytesIO(body(response)))
    assert sorted(archive.namelist()) == ["Eigene Dateien/", "Eigene Dateien/a.txt"]


def test_stream_zip_writes_zip64_for_big_members(monkeypatch: pytest.MonkeyPatch) -> None:
    """Members from ZIP64_FROM on get ZIP64 headers (lowered here so the test stays small;
    the real threshold is 2 GiB)."""
    monkeypatch.setattr(zipstream, "ZIP64_FROM", 1000)
    data = b"z" * 5000
    members = [
        ZipMember("gross.bin", False, len(data), datetime(2026, 3, 1, tzinfo=UTC),
                  lambda: io.BytesIO(data)),
        ZipMember("alt.txt", False, 3, datetime(1975, 1, 1, tzinfo=UTC),
                  lambda: io.BytesIO(b"alt")),
    ]  # fmt: skip
    chunks = list(stream_zip(members, chunk_size=1024))
    raw = b"".join(chunks)
    archive = zipfile.ZipFile(io.BytesIO(raw))
    assert archive.read("gross.bin") == data
    assert archive.read("alt.txt") == b"alt"
    # The ZIP64 extra field (header id 0x0001) is in the local header of the big member.
    local_header_extra_len = int.from_bytes(raw[28:30], "little")
    name_len = int.from_bytes(raw[26:28], "little")
    extra = raw[30 + name_len : 30 + name_len + local_header_extra_len]
    assert extra[:2] == b"\x01\x00"
    # Dates before 1980 are clamped, not refused.
    assert archive.getinfo("alt.txt").date_time[0] == 1980


def test_stream_zip_skips_members_that_vanished() -> None:
    def gone() -> Any:
        raise FileNotFoundError("weg")

    members = [
        ZipMember("weg.txt", False, 3, None, gone),
        ZipMember("da.txt", False, 2, None, lambda: io.BytesIO(b"da")),
    ]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(stream_zip(members))))
    assert archive.namelist() == ["da.txt"]

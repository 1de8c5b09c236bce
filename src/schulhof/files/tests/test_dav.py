"""WebDAV in process: the gate (authentication), the provider and its quirks."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.core import signals
from django.db import close_old_connections

from schulhof.accounts.models import LoginAttempt, Sanction, User
from schulhof.accounts.tests.factories import DEFAULT_PASSWORD, make_user
from schulhof.core.models import SchoolSettings
from schulhof.files import actions, dav_app, disk
from schulhof.files.models import DavLock, DavProperty, TrashItem
from schulhof.files.storage import Space, stat, trash_list, usage_for_space, usage_for_user


@dataclass
class Result:
    status: str
    headers: dict[str, str]
    body: bytes

    @property
    def code(self) -> int:
        return int(self.status[:3])

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


@pytest.fixture(scope="module")
def app() -> dav_app.DavGate:
    return dav_app.make_dav_app()


@pytest.fixture(autouse=True)
def _no_consent_gate(db: None) -> None:
    # The consent gate is the accounts module's business; these tests are about WebDAV.
    SchoolSettings.objects.update_or_create(pk=1, defaults={"consent_required": False})


@pytest.fixture(autouse=True)
def _keep_test_connection() -> Iterator[None]:
    # As Django's test client does: closing the connection would end the test transaction.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    dav_app.auth_cache.clear()
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def call(
    app: dav_app.DavGate,
    method: str,
    path: str,
    user: str | None = "lena.lang",
    *,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    password: str = DEFAULT_PASSWORD,
    content_length: int | None = None,
) -> Result:
    raw = path.encode("utf-8").decode("latin-1")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "/webdav",
        "PATH_INFO": raw,
        "RAW_URI": "/webdav" + path,
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "testserver",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": io.StringIO(),
        "CONTENT_LENGTH": str(len(body) if content_length is None else content_length),
    }
    if user is not None:
        token = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
        environ["HTTP_AUTHORIZATION"] = "Basic " + token
    for name, value in (headers or {}).items():
        key = name.upper().replace("-", "_")
        environ[key if key in ("CONTENT_TYPE",) else "HTTP_" + key] = value
    captured: dict[str, Any] = {}

    def start_response(status: str, response_headers: list[Any], exc_info: Any = None) -> None:
        captured["status"] = status
        captured["headers"] = {k.lower(): v for k, v in response_headers}

    chunks = app(environ, start_response)
    data = b"".join(chunks)
    close = getattr(chunks, "close", None)
    if close is not None:
        close()
    return Result(captured["status"], captured["headers"], data)


pytestmark = pytest.mark.django_db(transaction=False)


def test_authentication(app: dav_app.DavGate, owner: User) -> None:
    missing = call(app, "PROPFIND", "/", None)
    assert missing.code == 401 and "Benutzernamen" in missing.text
    assert "Basic" in missing.headers["www-authenticate"]
    wrong = call(app, "PROPFIND", "/", password="falsch")
    assert wrong.code == 401 and "falsch" in wrong.text
    assert call(app, "OPTIONS", "/", None).headers["dav"] == "1, 2"
    attempts = LoginAttempt.objects.count()
    assert call(app, "PROPFIND", "/", headers={"Depth": "1"}).code == 207
    assert call(app, "PROPFIND", "/Files/", headers={"Depth": "1"}).code == 207
    # The second request used the remembered decision: one login recorded, not two.
    assert LoginAttempt.objects.count() == attempts + 1


def test_cached_login_ends_with_password_change(app: dav_app.DavGate, owner: User) -> None:
    assert call(app, "PROPFIND", "/", headers={"Depth": "0"}).code == 207
    owner.set_password("Ein-Ganz-Neues-Passwort-99")
    owner.save()
    assert call(app, "PROPFIND", "/", headers={"Depth": "0"}).code == 401


def test_put_get_range_and_conditionals(app: dav_app.DavGate, owner: User, space: Space) -> None:
    created = call(app, "PUT", "/Files/Brief an Oma.txt", body=b"Liebe Oma, 0123456789")
    assert created.code == 201
    etag = created.headers["etag"]
    got = call(app, "GET", "/Files/Brief an Oma.txt")
    assert got.body == b"Liebe Oma, 0123456789" and got.headers["etag"] == etag
    assert "last-modified" in got.headers
    part = call(app, "GET", "/Files/Brief an Oma.txt", headers={"Range": "bytes=11-14"})
    assert part.code == 206 and part.body == b"0123"
    assert call(app, "GET", "/Files/Brief an Oma.txt", headers={"If-None-Match": etag}).code == 304
    stale = call(app, "PUT", "/Files/Brief an Oma.txt", body=b"neu", headers={"If-Match": '"x"'})
    assert stale.code == 412
    replaced = call(app, "PUT", "/Files/Brief an Oma.txt", body=b"neu", headers={"If-Match": etag})
    assert replaced.code == 204 and replaced.headers["etag"] != etag
    assert usage_for_user(owner).files == 3


def test_quota_refusal_is_507_in_german(
    app: dav_app.DavGate, owner: User, system_actor: User
) -> None:
    actions.do_set_quota_override(owner, 10, acting_user=system_actor)
    refused = call(app, "PUT", "/Files/gross.bin", body=b"x" * 11)
    assert refused.status == "507 Insufficient Storage"
    assert "Nicht genug Speicherplatz" in refused.text
    assert call(app, "GET", "/Files/gross.bin").code == 404


def test_interrupted_put_leaves_nothing(app: dav_app.DavGate, owner: User) -> None:
    result = call(app, "PUT", "/Files/halb.bin", body=b"x" * 100, content_length=1000)
    assert result.code >= 400
    assert call(app, "GET", "/Files/halb.bin").code == 404
    assert list(disk.space_dir("user", "lena.lang").iterdir()) == []
    assert usage_for_user(owner).files == 0


def test_invalid_names_are_refused_in_german(app: dav_app.DavGate, owner: User) -> None:
    result = call(app, "PUT", "/Files/a:b.txt", body=b"x")
    assert result.code == 400 and "Zeichen" in result.text
    assert call(app, "MKCOL", "/Files/AUX").code == 400


def test_delete_goes_to_trash_and_junk_does_not(
    app: dav_app.DavGate, owner: User, space: Space
) -> None:
    assert call(app, "MKCOL", "/Files/Ordner").code == 201
    assert call(app, "MKCOL", "/Files/Ordner").code == 405
    assert call(app, "PUT", "/Files/Ordner/a.txt", body=b"a").code == 201
    assert call(app, "PUT", "/Files/._a.txt", body=b"apple").code == 201
    assert call(app, "DELETE", "/Files/Ordner").code == 204
    assert call(app, "DELETE", "/Files/._a.txt").code == 204
    assert [entry.name for entry in trash_list(space)] == ["Ordner"]
    assert call(app, "DELETE", "/Files/").code == 403
    assert call(app, "DELETE", "/Files/fehlt").code == 404


def test_move_and_copy_between_spaces(
    app: dav_app.DavGate, owner: User, space: Space, class_space: Space
) -> None:
    call(app, "PUT", "/Files/Referat.txt", body=b"r" * 20)
    moved = call(
        app, "MOVE", "/Files/Referat.txt", headers={"Destination": "/webdav/Groups/7c/Referat.txt"}
    )
    assert moved.code == 201
    assert usage_for_user(owner).files == 0 and usage_for_space(class_space).files == 20
    copied = call(
        app,
        "COPY",
        "/Groups/7c/Referat.txt",
        headers={"Destination": "http://testserver/webdav/Files/Kopie.txt"},
    )
    assert copied.code == 201
    again = call(
        app,
        "COPY",
        "/Groups/7c/Referat.txt",
        headers={"Destination": "/webdav/Files/Kopie.txt", "Overwrite": "F"},
    )
    assert again.code == 412
    assert stat(space, "Kopie.txt").size == 20


def test_other_groups_are_invisible(app: dav_app.DavGate, owner: User) -> None:
    stranger = make_user(pupil=True, username="max.muster", klasse="8a")
    listing = call(app, "PROPFIND", "/Groups/", headers={"Depth": "1"})
    assert "/webdav/Groups/7c/" in listing.text and "8a" not in listing.text
    assert call(app, "PROPFIND", "/Groups/8a/", headers={"Depth": "0"}).code == 404
    assert call(app, "PUT", "/Groups/8a/x.txt", body=b"x").code in (404, 409)
    assert call(app, "PUT", "/Groups/8a/x.txt", "max.muster", body=b"x").code == 201
    assert call(app, "GET", "/Groups/8a/x.txt").code == 404
    assert stranger.username == "max.muster"


def test_write_sanction_refuses_writes(
    app: dav_app.DavGate, owner: User, system_actor: User
) -> None:
    call(app, "PUT", "/Files/a.txt", body=b"a")
    Sanction.objects.create(
        user=owner, blocked=["files_write"], reason="Test", created_by=system_actor
    )
    assert call(app, "GET", "/Files/a.txt").code == 200
    refused = call(app, "PUT", "/Files/b.txt", body=b"b")
    assert refused.code == 403 and "gesperrt" in refused.text
    assert call(app, "DELETE", "/Files/a.txt").code == 403


LOCK_BODY = (
    b'<?xml version="1.0" encoding="utf-8"?><D:lockinfo xmlns:D="DAV:">'
    b"<D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype>"
    b"<D:owner>Word</D:owner></D:lockinfo>"
)


def test_locks_are_shared_and_enforced(app: dav_app.DavGate, owner: User, space: Space) -> None:
    locked = call(app, "LOCK", "/Files/neu.docx", body=LOCK_BODY, headers={"Timeout": "Second-600"})
    assert locked.code == 201  # unmapped URL: an empty file is created
    token = locked.headers["lock-token"]
    assert stat(space, "neu.docx").size == 0
    assert DavLock.objects.count() == 1
    assert call(app, "PUT", "/Files/neu.docx", body=b"x").code == 423
    ok = call(app, "PUT", "/Files/neu.docx", body=b"Inhalt", headers={"If": "(%s)" % token})
    assert ok.code == 204
    assert call(app, "UNLOCK", "/Files/neu.docx", headers={"Lock-Token": token}).code == 204
    assert DavLock.objects.count() == 0


PROPPATCH_WIN = (
    b'<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:" '
    b'xmlns:Z="urn:schemas-microsoft-com:"><D:set><D:prop>'
    b"<Z:Win32LastModifiedTime>Wed, 01 Jan 2025 10:00:00 GMT</Z:Win32LastModifiedTime>"
    b"<Z:Win32FileAttributes>00000020</Z:Win32FileAttributes>"
    b"</D:prop></D:set></D:propertyupdate>"
)


def test_windows_properties_set_the_modification_time(
    app: dav_app.DavGate, owner: User, space: Space
) -> None:
    call(app, "PUT", "/Files/win.txt", body=b"w")
    result = call(
        app,
        "PROPPATCH",
        "/Files/win.txt",
        body=PROPPATCH_WIN,
        headers={"User-Agent": "Microsoft-WebDAV-MiniRedir/10.0.19045"},
    )
    assert result.code == 207 and "200 OK" in result.text
    assert stat(space, "win.txt").modified.year == 2025


def test_dead_properties_follow_moves_and_die_with_deletes(
    app: dav_app.DavGate, owner: User
) -> None:
    call(app, "PUT", "/Files/p.txt", body=b"p")
    body = (
        b'<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:X="urn:x">'
        b"<D:set><D:prop><X:farbe>rot</X:farbe></D:prop></D:set></D:propertyupdate>"
    )
    assert call(app, "PROPPATCH", "/Files/p.txt", body=body).code == 207
    call(app, "MOVE", "/Files/p.txt", headers={"Destination": "/webdav/Files/q.txt"})
    found = call(app, "PROPFIND", "/Files/q.txt", headers={"Depth": "0"})
    assert "rot" in found.text
    call(app, "DELETE", "/Files/q.txt")
    assert DavProperty.objects.count() == 0
    assert TrashItem.objects.count() == 1


@pytest.mark.parametrize(
    "path",
    ["/Files/../../etc/passwd", "/Files/%c0%ae", "/u/lena.lang/", "/Nirgends/x"],
)
def test_bad_paths(app: dav_app.DavGate, owner: User, path: str) -> None:
    if "%" in path:
        raw = "/Files/" + bytes([0xC0, 0xAE]).decode("latin-1")
        environ_path = raw
    else:
        environ_path = path
    result = call(app, "GET", environ_path)
    assert result.code in (400, 404)

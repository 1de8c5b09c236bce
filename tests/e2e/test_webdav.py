"""WebDAV at /webdav/ against a real ``schulhof run``: litmus, rclone, cadaver, quota under
parallel uploads, and that nobody reaches another person's files by any URL trick."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import threading
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.e2e.server import DEMO_PASSWORD, Server, dav, manage, url, usage

pytestmark = pytest.mark.e2e

MIB = 1024 * 1024
LITMUS_SUITES = ("basic", "copymove", "props", "locks", "http")


def need(program: str) -> str:
    path = shutil.which(program)
    if path is None:
        pytest.fail("%s is missing (scripts/system-packages.sh test installs it)" % program)
    return path


def test_litmus_passes_every_test(server: Server, tmp_path: Path) -> None:
    need("litmus")
    result = subprocess.run(
        ["litmus", server.url + "/webdav/Files/", "leon.schmidt", DEMO_PASSWORD],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    summaries = {
        name: (int(run), int(passed), int(failed))
        for name, run, passed, failed in re.findall(
            r"summary for `(\w+)': of (\d+) tests run: (\d+) passed, (\d+) failed", output
        )
    }
    # The summary lines, for the CI log (pytest -s or -rA shows them).
    sys.stdout.write("\n".join(line for line in output.splitlines() if "summary for" in line))
    assert set(LITMUS_SUITES) <= set(summaries), output
    for suite in LITMUS_SUITES:
        run, passed, failed = summaries[suite]
        assert failed == 0 and passed == run, "%s: %s\n%s" % (suite, summaries[suite], output)
    assert "WARNING" not in output, output
    assert result.returncode == 0


def _tree(root: Path) -> dict[str, str]:
    """NFC relative path → sha256 of every file below root."""
    sums = {}
    for path in root.rglob("*"):
        if path.is_file():
            rel = unicodedata.normalize("NFC", str(path.relative_to(root)))
            sums[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return sums


def test_rclone_copies_umlaut_tree_up_and_down(server: Server, tmp_path: Path) -> None:
    need("rclone")
    up = tmp_path / "hoch"
    files = {
        "Übungen/Größenvergleich ß.txt": b"Gr\xc3\xb6\xc3\x9fe\n" * 100,
        "Übungen/leer.txt": b"",
        "Ärger mit Öl/Zoë – Café.md": "Zoë trinkt Café.\n".encode(),
        # Decomposed (as macOS writes it): the server stores NFC.
        "Übungen/" + unicodedata.normalize("NFD", "Schüleraustausch.bin"): os.urandom(3 * MIB),
        "Mathe/Klasse 5a/Brüche (1).pdf": os.urandom(70_000),
    }
    for rel, data in files.items():
        path = up / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    config = tmp_path / "rclone.conf"
    config.write_text("")
    obscured = subprocess.run(
        ["rclone", "obscure", DEMO_PASSWORD], capture_output=True, text=True, check=True
    ).stdout.strip()
    env = dict(
        os.environ,
        RCLONE_CONFIG=str(config),
        RCLONE_CONFIG_SCHULE_TYPE="webdav",
        RCLONE_CONFIG_SCHULE_URL=server.url + "/webdav/",
        RCLONE_CONFIG_SCHULE_VENDOR="other",
        RCLONE_CONFIG_SCHULE_USER="lina.wagner",
        RCLONE_CONFIG_SCHULE_PASS=obscured,
    )
    common = ["--retries", "1", "--low-level-retries", "1", "--stats", "0"]

    def rclone(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["rclone", *args, *common], env=env, capture_output=True, text=True, timeout=300
        )

    result = rclone("copy", str(up), "schule:Files/Ablage")
    assert result.returncode == 0, result.stderr
    down = tmp_path / "runter"
    result = rclone("copy", "schule:Files/Ablage", str(down))
    assert result.returncode == 0, result.stderr
    assert _tree(down) == _tree(up)
    result = rclone("check", str(up), "schule:Files/Ablage", "--download")
    assert result.returncode == 0, result.stderr
    listing = dav(
        server, "PROPFIND", url("Files/Ablage/Übungen/"), "lina.wagner", headers={"Depth": "1"}
    )
    assert "Sch%C3%BCleraustausch.bin" in listing.text  # stored NFC


def test_cadaver_session(server: Server, tmp_path: Path) -> None:
    need("cadaver")
    home = tmp_path / "home"
    home.mkdir()
    netrc = home / ".netrc"
    netrc.write_text("machine 127.0.0.1\nlogin sophie.weber\npassword %s\n" % DEMO_PASSWORD)
    netrc.chmod(0o600)
    local = tmp_path / "bericht.txt"
    local.write_text("Bericht über die Klassenfahrt\n" * 50, encoding="utf-8")
    back = tmp_path / "zurueck.txt"
    script = "\n".join(
        [
            "mkcol Klassenfahrt",
            "cd Klassenfahrt",
            "put %s Bericht.txt" % local,
            "ls",
            "copy Bericht.txt Kopie.txt",
            "move Kopie.txt Entwurf.txt",
            "lock Bericht.txt",
            "unlock Bericht.txt",
            "get Bericht.txt %s" % back,
            "delete Entwurf.txt",
            "ls",
            "quit",
            "",
        ]
    )
    result = subprocess.run(
        ["cadaver", server.url + "/webdav/Files/"],
        input=script,
        env=dict(os.environ, HOME=str(home)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert "failed" not in output.lower(), output
    assert output.count("succeeded") >= 7, output
    assert back.read_bytes() == local.read_bytes()
    listing = dav(
        server, "PROPFIND", url("Files/Klassenfahrt/"), "sophie.weber", headers={"Depth": "1"}
    )
    assert "Bericht.txt" in listing.text and "Entwurf.txt" not in listing.text
    # Deleted through WebDAV means: in the trash, as in the web file manager.
    trash = manage(
        server,
        "shell",
        "-c",
        (
            "from schulhof.files.models import TrashItem;"
            "print(list(TrashItem.objects.filter(space_key='sophie.weber')"
            ".values_list('original_path', flat=True)))"
        ),
    )
    assert "Klassenfahrt/Entwurf.txt" in trash


def _race(server: Server, user: str, bodies: list[bytes], *, chunked: bool) -> list[int]:
    barrier = threading.Barrier(len(bodies))

    def put(index: int) -> int:
        def chunks() -> object:
            data = bodies[index]
            for start in range(0, len(data), 256 * 1024):
                yield data[start : start + 256 * 1024]

        barrier.wait()
        try:
            response = dav(
                server,
                "PUT",
                url("Files/race-%02d.bin" % index),
                user,
                body=chunks() if chunked else bodies[index],
            )
        except OSError:
            return 0  # connection closed while sending a refused body
        return response.status

    with ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(put, range(len(bodies))))


@pytest.mark.parametrize(("user", "chunked"), [("thomas.mueller", False), ("ayse.yilmaz", True)])
def test_parallel_uploads_cannot_overshoot_quota(server: Server, user: str, chunked: bool) -> None:
    mib = 1024 * 1024
    manage(server, "quota", user, "--set", "10M")
    bodies = [os.urandom(mib + index) for index in range(16)]  # together ~16 MiB
    statuses = _race(server, user, bodies, chunked=chunked)
    accepted = [i for i, status in enumerate(statuses) if status in (201, 204)]
    refused = [i for i, status in enumerate(statuses) if status not in (201, 204)]
    assert accepted and refused, statuses
    assert all(statuses[i] in (507, 0) for i in refused), statuses
    quota = usage(server, user)
    assert quota["used"] <= quota["limit"] == 10 * mib, quota
    assert quota["files"] == sum(len(bodies[i]) for i in accepted), (quota, statuses)
    for index in accepted:
        got = dav(server, "GET", url("Files/race-%02d.bin" % index), user)
        assert got.status == 200 and got.body == bodies[index]
    for index in refused:
        assert dav(server, "GET", url("Files/race-%02d.bin" % index), user).status == 404
    refusal = dav(server, "PUT", url("Files/zu-gross.bin"), user, body=b"x" * (11 * mib))
    assert refusal.status == 507
    assert "Nicht genug Speicherplatz" in refusal.text


SECRET = b"Tagebuch von Elias: streng geheim\n"


@pytest.fixture(scope="module")
def secrets_of_elias(server: Server) -> None:
    """A pupil of 6b stores files in his own folder and in the 6b group folder."""
    for path in ("Files/geheim.txt", "Groups/6b/geheim.txt"):
        assert dav(server, "PUT", url(path), "elias.schaefer", body=SECRET).status == 201


TRICKS = [
    "/webdav/Files/../Groups/6b/geheim.txt",
    "/webdav/Files/%2e%2e/Groups/6b/geheim.txt",
    "/webdav/Files%2f..%2fGroups%2f6b%2fgeheim.txt",
    "/webdav/Files/..%2f..%2f..%2ffiles/users/elias.schaefer/geheim.txt",
    "/webdav//Groups//6b//geheim.txt",
    "/webdav/Groups/6b/geheim.txt",
    "/webdav/Groups/6B/geheim.txt",
    "/webdav/Groups/%EF%BC%966b/geheim.txt",
    "/webdav/Groups/%EF%BC%96b/geheim.txt",
    "/webdav/Groups/6b%00/geheim.txt",
    "/webdav/Groups/./6b/geheim.txt",
    "/webdav/Files/..%5c..%5cusers%5celias.schaefer%5cgeheim.txt",
    "/webdav/Files/%c0%ae%c0%ae/%c0%ae%c0%ae/users/elias.schaefer/geheim.txt",
    "/webdav/Files/%252e%252e/Groups/6b/geheim.txt",
    "/webdav/Files/../../files/users/elias.schaefer/geheim.txt",
    "/webdav/../files/users/elias.schaefer/geheim.txt",
    "/files/users/elias.schaefer/geheim.txt",
    "/webdav/u/elias.schaefer/geheim.txt",
    "/webdav/g/6b/geheim.txt",
]


@pytest.mark.usefixtures("secrets_of_elias")
@pytest.mark.parametrize("path", TRICKS)
def test_pupil_cannot_reach_other_files_by_url_tricks(server: Server, path: str) -> None:
    for method in ("GET", "PROPFIND"):
        response = dav(server, method, path, "leon.schmidt", headers={"Depth": "1"})
        assert SECRET not in response.body, (method, path)
        assert b"geheim.txt" not in response.body, (method, path)
        assert response.status not in (200, 207), (method, path, response.status)
    put = dav(server, "PUT", path, "leon.schmidt", body=b"von Leon")
    assert put.status not in (200, 201, 204), (path, put.status)
    for own in ("Files/geheim.txt", "Groups/6b/geheim.txt"):
        assert dav(server, "GET", url(own), "elias.schaefer").body == SECRET


@pytest.mark.usefixtures("secrets_of_elias")
def test_pupil_sees_only_own_groups_and_cannot_copy_or_move_there(server: Server) -> None:
    groups = dav(server, "PROPFIND", "/webdav/Groups/", "leon.schmidt", headers={"Depth": "1"})
    assert groups.status == 207
    assert "/webdav/Groups/5a/" in groups.text and "6b" not in groups.text
    assert dav(server, "PUT", url("Files/meins.txt"), "leon.schmidt", body=b"meins").status == 201
    for method in ("COPY", "MOVE"):
        for destination in (
            "/webdav/Groups/6b/meins.txt",
            "/webdav/Files/../Groups/6b/meins.txt",
            server.url + "/webdav/Groups/6b/meins.txt",
            "/webdav/Groups/%36b/meins.txt",
        ):
            response = dav(
                server,
                method,
                url("Files/meins.txt"),
                "leon.schmidt",
                headers={"Destination": destination, "Overwrite": "T"},
            )
            assert response.status >= 400, (method, destination, response.status)
    # And nothing of Leon's appeared in 6b; Elias still sees his own group folder.
    listing = dav(
        server, "PROPFIND", "/webdav/Groups/6b/", "elias.schaefer", headers={"Depth": "1"}
    )
    assert "meins.txt" not in listing.text and "geheim.txt" in listing.text
    # Overwriting or deleting another's file through one's own path is impossible too.
    assert dav(server, "DELETE", "/webdav/Groups/6b/geheim.txt", "leon.schmidt").status == 404
    assert dav(server, "GET", url("Files/geheim.txt"), "leon.schmidt").status == 404


def test_first_password_is_refused_with_german_reason(server: Server) -> None:
    username, first_password = server.logins["Schülerin 5a, erste Anmeldung"]
    response = dav(server, "PROPFIND", "/webdav/", username, first_password)
    assert response.status == 401
    assert "Erstpasswort" in response.text
    assert "Basic" in response.headers.get("www-authenticate", "")
    assert dav(server, "PROPFIND", "/webdav/", "leon.schmidt", "falsch").status == 401

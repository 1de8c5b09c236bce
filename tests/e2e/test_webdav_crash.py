"""Killing the whole server (SIGKILL) during a 200 MB WebDAV upload loses nothing: no partial
file, no temporary file after the restart, and the quota exactly as before."""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.server import Server, dav, free_port, kill_everything, url, usage

pytestmark = pytest.mark.e2e

MIB = 1024 * 1024
SIZE = 200 * MIB
USER = "thomas.mueller"


def _temp_files(root: Path) -> list[Path]:
    return list(root.rglob(".~schulhof*")) if root.exists() else []


def test_sigkill_during_upload_leaves_no_partial_file_and_exact_quota(tmp_path: Path) -> None:
    server = Server(data_dir=tmp_path / "data", port=free_port())
    server.prepare()
    server.start()
    try:
        assert dav(server, "PUT", url("Files/bleibt.txt"), USER, body=b"x" * 1234).status == 201
        before = usage(server, USER)
        assert before["files"] == 1234

        sent = threading.Event()
        outcome: dict[str, object] = {}
        chunk = b"\xab" * MIB

        def body() -> Iterator[bytes]:
            for index in range(SIZE // MIB):
                if index == 120:
                    sent.set()
                if index >= 120:
                    time.sleep(0.05)  # slow down: the kill comes in the middle
                yield chunk

        def upload() -> None:
            import base64

            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
            token = base64.b64encode(b"thomas.mueller:Schulhof-Demo-2026!").decode()
            try:
                connection.putrequest("PUT", url("Files/gross.bin"))
                connection.putheader("Authorization", "Basic " + token)
                connection.putheader("Content-Length", str(SIZE))
                connection.endheaders()
                for piece in body():
                    connection.send(piece)
                outcome["status"] = connection.getresponse().status
            except OSError as error:
                outcome["error"] = error
            finally:
                connection.close()

        thread = threading.Thread(target=upload)
        thread.start()
        assert sent.wait(120)
        user_dir = server.data_dir / "files" / "users" / USER
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            partial = _temp_files(user_dir)
            if partial and partial[0].stat().st_size >= 100 * MIB:
                break
            time.sleep(0.05)
        assert _temp_files(user_dir), "the upload never reached the disk"
        kill_everything(server)
        thread.join(60)
        assert "status" not in outcome, outcome  # the upload cannot have finished
        # What a crash leaves: the half-written temporary file, never the target.
        assert not (user_dir / "gross.bin").exists()

        server.start()
        assert not _temp_files(user_dir), _temp_files(user_dir)
        assert not (user_dir / "gross.bin").exists()
        assert dav(server, "GET", url("Files/gross.bin"), USER).status == 404
        listing = dav(server, "PROPFIND", url("Files/"), USER, headers={"Depth": "1"})
        assert "bleibt.txt" in listing.text and "gross.bin" not in listing.text
        assert usage(server, USER) == before
        # And the space works as before: a new upload of the same name succeeds.
        assert dav(server, "PUT", url("Files/gross.bin"), USER, body=b"y" * MIB).status == 201
        assert usage(server, USER)["files"] == 1234 + MIB
    finally:
        if server.process is not None and server.process.poll() is None:
            server.stop()

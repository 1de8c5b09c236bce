"""``schulhof run`` as an admin uses it: healthy, worker supervised, Ctrl-C leaves nothing."""

from __future__ import annotations

import imaplib
import os
import signal
import subprocess
import time

import pytest

from tests.e2e.server import Server, alive, cmdline, descendants, free_port

pytestmark = pytest.mark.e2e


def _wait(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def server(tmp_path):
    """A started installation; stopped afterwards even when the test failed midway."""
    server = Server(data_dir=tmp_path, port=free_port())
    server.prepare()
    server.start()
    yield server
    if server.process is not None and server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=10)


def test_run_is_healthy_restarts_worker_and_stops_cleanly(server, tmp_path):
    assert server.health() == {
        "status": "ok",
        "checks": {"database": True, "data_dir": True, "worker": True},
    }
    tree = descendants(server.process.pid)
    assert len(tree) >= 3, tree  # gunicorn master + worker(s), schulhof worker

    # The mail servers run under the same supervisor: Dovecot, Postfix, the mail gate.
    def mail_running() -> bool:
        commands = b"\n".join(cmdline(pid) for pid in descendants(server.process.pid))
        return all(name in commands for name in (b"dovecot", b"postfix", b"mailgate"))

    assert _wait(mail_running, timeout=30), (tmp_path / "run-console.log").read_text()
    tree = descendants(server.process.pid)
    username, password = server.logins["Schüler 5a"]
    imap = imaplib.IMAP4("127.0.0.1", server.mail_ports, timeout=30)
    assert imap.login(username, password)[0] == "OK"
    imap.logout()

    # Log lines are prefixed on the console and written under the data folder.
    console = (tmp_path / "run-console.log").read_text(encoding="utf-8", errors="replace")
    assert "web" in console and "worker" in console
    assert (tmp_path / "logs" / "web.log").is_file()
    assert (tmp_path / "logs" / "worker.log").is_file()

    # A crashed worker is restarted by the supervisor.
    worker_pids = [pid for pid in tree if b"schulhof\x00worker" in cmdline(pid)]
    assert len(worker_pids) == 1
    os.kill(worker_pids[0], signal.SIGKILL)
    assert _wait(
        lambda: any(
            pid != worker_pids[0] and alive(pid) and b"schulhof\x00worker" in cmdline(pid)
            for pid in descendants(server.process.pid)
        )
    )

    # Ctrl-C: everything stops, nothing is left behind.
    tree = descendants(server.process.pid)
    assert server.stop(signal.SIGINT) == 0
    assert _wait(lambda: not any(alive(pid) for pid in tree), timeout=15)


def test_sigterm_also_stops_everything(server):
    tree = descendants(server.process.pid)
    assert server.stop(signal.SIGTERM) == 0
    assert _wait(lambda: not any(alive(pid) for pid in tree), timeout=15), [
        cmdline(pid) for pid in tree if alive(pid)
    ]
    # The stopped worker is reported as such by a fresh health check of the database.
    assert server.health() is None  # web is gone too

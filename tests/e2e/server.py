"""Start a real Schulhof installation (``schulhof run``: gunicorn + worker) for end-to-end tests."""

from __future__ import annotations

import base64
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

SCHULHOF = [sys.executable, "-m", "schulhof"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_port_block(count: int) -> int:
    from schulhof.mail.testing import free_port_block as find

    return find(count)


def descendants(pid: int) -> set[int]:
    """All live descendants of ``pid``, from /proc (bounded by the process table)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may contain spaces; the fields after ")" are fixed.
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] == "Z":
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path("/proc/%d/stat" % pid).read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@dataclass
class Server:
    data_dir: Path
    port: int
    process: subprocess.Popen[bytes] | None = None
    logins: dict[str, tuple[str, str]] = field(default_factory=dict)
    # The first of ten free ports for this server's Dovecot, Postfix and mail gate.
    mail_ports: int = field(default_factory=lambda: free_port_block(10))

    @property
    def url(self) -> str:
        return "http://127.0.0.1:%d" % self.port

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SCHULHOF_")}
        env.pop("DATABASE_URL", None)
        env.pop("DJANGO_SETTINGS_MODULE", None)
        env.update(
            SCHULHOF_DATA_DIR=str(self.data_dir),
            SCHULHOF_WEB_PORT=str(self.port),
            SCHULHOF_WEB_WORKERS="1",
            SCHULHOF_WORKER_POLL_SECONDS="0.2",
            # Private mail ports per server, so parallel test servers never clash.
            SCHULHOF_IMAP_PORT=str(self.mail_ports),
            SCHULHOF_IMAPS_PORT=str(self.mail_ports + 1),
            SCHULHOF_SUBMISSION_PORT=str(self.mail_ports + 2),
            SCHULHOF_SMTP_PORT=str(self.mail_ports + 3),
            SCHULHOF_MAIL_INTERNAL_PORT_BASE=str(self.mail_ports + 4),
        )
        return env

    def prepare(self) -> None:
        for command in (["setup", "--verbosity", "0"], ["demo"]):
            subprocess.run(
                [*SCHULHOF, *command], env=self.env(), check=True, capture_output=True, timeout=300
            )
        for line in (self.data_dir / "demo-logins.txt").read_text(encoding="utf-8").splitlines():
            label, username, password = line.split("\t")
            self.logins[label] = (username, password)

    def start(self, timeout: float = 60.0) -> None:
        log = open(self.data_dir / "run-console.log", "ab")  # noqa: SIM115 - closed by the OS at exit
        self.process = subprocess.Popen(
            [*SCHULHOF, "run", "--no-setup"],
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("schulhof run exited with %s" % self.process.returncode)
            health = self.health()
            if health and health.get("status") == "ok":
                return
            time.sleep(0.3)
        raise RuntimeError(
            "schulhof run did not become healthy in %.0f s: %s" % (timeout, self.health())
        )

    def health(self) -> dict | None:
        try:
            with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            return json.loads(error.read())
        except OSError:
            return None

    def stop(self, sig: int = signal.SIGINT, timeout: float = 30.0) -> int:
        assert self.process is not None
        self.process.send_signal(sig)
        return self.process.wait(timeout=timeout)


def cmdline(pid: int) -> bytes:
    try:
        return Path("/proc/%d/cmdline" % pid).read_bytes()
    except OSError:
        return b""


def manage(server: Server, *args: str, stdin: str | None = None) -> str:
    """Run ``schulhof manage <args>`` against the server's data folder; its stdout."""
    result = subprocess.run(
        [*SCHULHOF, "manage", *args],
        env=server.env(),
        input=stdin,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result.stdout


def kill_everything(server: Server) -> None:
    """SIGKILL ``schulhof run`` and every process below it, each in its process group (the
    supervisor starts children in their own sessions): a crash, not a shutdown."""
    assert server.process is not None
    pids = {server.process.pid, *descendants(server.process.pid)}
    groups = set()
    for pid in pids:
        try:
            groups.add(os.getpgid(pid))
        except ProcessLookupError:
            continue
    for group in groups:
        try:
            os.killpg(group, signal.SIGKILL)
        except ProcessLookupError:
            continue
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            continue
    server.process.wait(timeout=30)
    deadline = time.monotonic() + 30
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)


# --- WebDAV helpers ---
DEMO_PASSWORD = "Schulhof-Demo-2026!"


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


def dav(
    server: Server,
    method: str,
    path: str,
    user: str,
    password: str = DEMO_PASSWORD,
    *,
    body: bytes | Iterable[bytes] | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 60,
) -> Response:
    """One request; ``path`` is sent as is (no normalisation, no quoting)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    token = base64.b64encode(("%s:%s" % (user, password)).encode("utf-8")).decode("ascii")
    all_headers = {"Authorization": "Basic " + token, **(headers or {})}
    chunked = body is not None and not isinstance(body, bytes)
    try:
        connection.request(method, path, body=body, headers=all_headers, encode_chunked=chunked)
        response = connection.getresponse()
        data = response.read()
        return Response(response.status, {k.lower(): v for k, v in response.getheaders()}, data)
    finally:
        connection.close()


def url(path: str) -> str:
    """``/webdav/`` plus a percent-encoded path."""
    return "/webdav/" + quote(path)


def usage(server: Server, username: str) -> dict[str, int]:
    """``schulhof quota USERNAME --json``."""
    return json.loads(manage(server, "quota", username, "--json"))

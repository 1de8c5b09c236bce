"""Start a real Schulhof installation (``schulhof run``: gunicorn + worker) for end-to-end tests."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

SCHULHOF = [sys.executable, "-m", "schulhof"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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

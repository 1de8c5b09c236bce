"""Tests for the process supervisor behind ``schulhof run``.

The children are tiny Python programs; no Django and no database needed.
Every test is bounded by timeouts so a bug cannot hang the test run.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO, cast

import pytest

from schulhof.supervisor import ChildSpec, Supervisor, tcp_ready_check

PY = sys.executable
SRC_DIR = str(Path(__file__).resolve().parents[2])
TIMEOUT = 20.0

# A child that starts a grandchild, reports both pids and then waits.
TREE_CHILD = (
    "import os, subprocess, sys, time\n"
    "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
    "print('pids', os.getpid(), p.pid, flush=True)\n"
    "time.sleep(60)\n"
)


class Console:
    """Thread-safe fake console that lets tests wait for output."""

    def __init__(self, tty: bool = False) -> None:
        self._tty = tty
        self._text = ""
        self._cond = threading.Condition()

    def write(self, text: str) -> int:
        with self._cond:
            self._text += text
            self._cond.notify_all()
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return self._tty

    @property
    def text(self) -> str:
        with self._cond:
            return self._text

    def wait_for(self, predicate: Callable[[str], bool], timeout: float = TIMEOUT) -> str:
        with self._cond:
            if not self._cond.wait_for(lambda: predicate(self._text), timeout):
                raise AssertionError(f"timed out waiting for console output:\n{self._text}")
            return self._text

    def wait_for_regex(self, pattern: str, count: int = 1, timeout: float = TIMEOUT) -> list[Any]:
        regex = re.compile(pattern, re.MULTILINE)
        text = self.wait_for(lambda t: len(regex.findall(t)) >= count, timeout)
        return regex.findall(text)


class Runner:
    """Runs a supervisor in a background thread."""

    def __init__(self, supervisor: Supervisor) -> None:
        self.supervisor = supervisor
        self.result: int | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.result = self.supervisor.run()
        except BaseException as exc:  # reported by finish()
            self.error = exc

    def finish(self, timeout: float = TIMEOUT) -> float:
        """Stop the supervisor, wait for run() and return how long that took."""
        started = time.monotonic()
        self.supervisor.stop()
        self.thread.join(timeout)
        elapsed = time.monotonic() - started
        assert not self.thread.is_alive(), "Supervisor.run() did not return after stop()"
        assert self.error is None, self.error
        assert self.result == 0
        return elapsed


@pytest.fixture
def runners() -> Iterator[list[Runner]]:
    """Make sure every started supervisor is stopped even if a test fails."""
    started: list[Runner] = []
    yield started
    for runner in started:
        runner.supervisor.stop()
        runner.thread.join(TIMEOUT)


def make_supervisor(
    runners: list[Runner],
    specs: list[ChildSpec],
    log_dir: Path,
    console: Console,
    **kwargs: Any,
) -> Runner:
    supervisor = Supervisor(specs, log_dir, console=cast(TextIO, console), **kwargs)
    runner = Runner(supervisor)
    runners.append(runner)
    return runner


def py_child(name: str, code: str, **kwargs: Any) -> ChildSpec:
    return ChildSpec(name=name, argv=[PY, "-u", "-c", code], **kwargs)


def process_gone(pid: int) -> bool:
    """True if ``pid`` no longer exists or is only a zombie awaiting its reaper."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True
    match = re.search(r"^State:\s+(\S)", status, re.MULTILINE)
    return match is not None and match.group(1) in ("Z", "X")


def wait_gone(pids: list[int], timeout: float = 5.0) -> list[int]:
    """Wait until all ``pids`` are gone; return those still alive."""
    deadline = time.monotonic() + timeout
    while True:
        alive = [pid for pid in pids if not process_gone(pid)]
        if not alive or time.monotonic() >= deadline:
            return alive
        time.sleep(0.05)


def kill_quietly(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


# ---------------------------------------------------------------------------


def test_output_is_prefixed_and_logged(tmp_path: Path, runners: list[Runner]) -> None:
    console = Console()
    alpha = py_child(
        "alpha",
        "import sys, time\n"
        "print('hello from alpha')\n"
        "print('to stderr', file=sys.stderr)\n"
        "sys.stdout.buffer.write(b'bad \\xff byte\\r\\n')\n"
        "sys.stdout.flush()\n"
        "time.sleep(60)\n",
    )
    worker = py_child(
        "worker",
        "import sys\nprint('line one')\nsys.stdout.write('partial without newline')\n",
    )
    # Large backoff: the exited worker is waiting for its restart when stop()
    # arrives, which must interrupt that wait.
    runner = make_supervisor(
        runners,
        [alpha, worker],
        tmp_path / "logs",
        console,
        backoff_initial=30,
        backoff_max=30,
    )
    console.wait_for(lambda t: "bad" in t and "partial" in t and "restarting worker" in t)
    elapsed = runner.finish()
    # Not a speed check: far below the 30 s restart wait, so stop() interrupted it.
    assert elapsed < 20

    text = console.text
    ts = r"\d\d:\d\d:\d\d"
    assert re.search(rf"^{ts} alpha    \| hello from alpha$", text, re.MULTILINE)
    assert re.search(rf"^{ts} alpha    \| to stderr$", text, re.MULTILINE)
    assert re.search(rf"^{ts} alpha    \| bad \ufffd byte$", text, re.MULTILINE)
    assert re.search(rf"^{ts} worker   \| line one$", text, re.MULTILINE)
    assert re.search(rf"^{ts} worker   \| partial without newline$", text, re.MULTILINE)
    assert re.search(rf"^{ts} schulhof \| started alpha \(pid \d+\)", text, re.MULTILINE)
    assert "\x1b[" not in text

    iso = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d"
    alpha_log = (tmp_path / "logs" / "alpha.log").read_text()
    worker_log = (tmp_path / "logs" / "worker.log").read_text()
    supervisor_log = (tmp_path / "logs" / "supervisor.log").read_text()
    assert re.search(rf"^{iso} hello from alpha$", alpha_log, re.MULTILINE)
    assert re.search(rf"^{iso} to stderr$", alpha_log, re.MULTILINE)
    assert "line one" not in alpha_log
    assert re.search(rf"^{iso} line one$", worker_log, re.MULTILINE)
    assert re.search(rf"^{iso} partial without newline$", worker_log, re.MULTILINE)
    assert re.search(rf"^{iso} started alpha \(pid \d+\)", supervisor_log, re.MULTILINE)
    assert "worker (pid" in supervisor_log and "exited with code 0" in supervisor_log
    assert "all processes stopped" in supervisor_log


def test_colours_only_on_console(tmp_path: Path, runners: list[Runner]) -> None:
    console = Console(tty=True)
    child = py_child("web", "import time; print('coloured', flush=True); time.sleep(60)")
    runner = make_supervisor(runners, [child], tmp_path, console)
    console.wait_for(lambda t: "coloured" in t)
    runner.finish()
    assert "\x1b[" in console.text
    assert "\x1b[" not in (tmp_path / "web.log").read_text()
    assert "\x1b[" not in (tmp_path / "supervisor.log").read_text()


def test_restart_backoff_doubles_and_resets(tmp_path: Path, runners: list[Runner]) -> None:
    runs_file = tmp_path / "runs"
    code = (
        "import pathlib, sys, time\n"
        f"p = pathlib.Path({str(runs_file)!r})\n"
        "with p.open('a') as f:\n"
        "    f.write(f'{time.monotonic()}\\n')\n"
        "n = len(p.read_text().splitlines())\n"
        "print(f'run {n}')\n"
        "if n == 4:\n"
        "    time.sleep(1.0)\n"
        "sys.exit(3)\n"
    )
    console = Console()
    runner = make_supervisor(
        runners,
        [py_child("crashy", code)],
        tmp_path / "logs",
        console,
        backoff_initial=0.05,
        backoff_max=0.4,
        stable_after=0.8,
    )
    delays = console.wait_for_regex(r"restarting crashy in ([0-9.]+) s$", count=8)
    runner.finish()

    # Runs 1-3 crash at once (delay doubles), run 4 is stable (delay resets),
    # then it doubles again up to backoff_max.
    assert [float(d) for d in delays[:8]] == [0.05, 0.1, 0.2, 0.05, 0.1, 0.2, 0.4, 0.4]
    assert "crashy (pid" in console.text and "exited with code 3" in console.text

    starts = [float(line) for line in runs_file.read_text().splitlines()]
    assert len(starts) >= 8
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    for gap, delay in zip(gaps[:7], delays[:7], strict=True):
        assert gap >= float(delay)
    assert gaps[3] >= 1.0  # the stable run


def test_stop_kills_whole_process_tree(tmp_path: Path, runners: list[Runner]) -> None:
    console = Console()
    runner = make_supervisor(runners, [py_child("tree", TREE_CHILD)], tmp_path, console)
    (match,) = console.wait_for_regex(r"tree +\| pids (\d+) (\d+)$")
    pids = [int(pid) for pid in match]
    try:
        assert wait_gone(pids, timeout=0) == pids  # both running
        runner.finish()
        assert wait_gone(pids) == []
    finally:
        kill_quietly(pids)
    assert "tree exited" in console.text or "tree was killed by SIGTERM" in console.text


def test_sigkill_after_stop_timeout(tmp_path: Path, runners: list[Runner]) -> None:
    code = (
        "import os, signal, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "print('stubborn', os.getpid(), flush=True)\n"
        "while True:\n"
        "    time.sleep(1)\n"
    )
    console = Console()
    runner = make_supervisor(
        runners, [py_child("stubborn", code, stop_timeout=0.5)], tmp_path, console
    )
    (pid,) = console.wait_for_regex(r"\| stubborn (\d+)$")
    try:
        elapsed = runner.finish()
        # Waited for the 0.5 s grace period, then killed instead of waiting for ever.
        assert 0.5 <= elapsed < 30
        assert wait_gone([int(pid)], timeout=0) == []
    finally:
        kill_quietly([int(pid)])
    log = (tmp_path / "supervisor.log").read_text()
    assert "stubborn did not stop within 0.5 s, sending SIGKILL" in log
    assert "stubborn was killed by SIGKILL" in log


def test_stop_order_is_reverse_start_order(tmp_path: Path, runners: list[Runner]) -> None:
    console = Console()
    specs = [
        py_child(name, f"import time; print('{name} up', flush=True); time.sleep(60)")
        for name in ("first", "second", "third")
    ]
    runner = make_supervisor(runners, specs, tmp_path, console)
    console.wait_for(lambda t: all(f"{n} up" in t for n in ("first", "second", "third")))
    runner.finish()
    order = re.findall(r"stopping (\w+) \(pid", console.text)
    assert order == ["third", "second", "first"]


def test_failed_start_is_retried(tmp_path: Path, runners: list[Runner]) -> None:
    console = Console()
    missing = ChildSpec(name="missing", argv=[str(tmp_path / "does-not-exist")])
    runner = make_supervisor(
        runners, [missing], tmp_path, console, backoff_initial=0.05, backoff_max=0.1
    )
    console.wait_for_regex(r"failed to start missing", count=3)
    runner.finish()


class SupervisorProcess:
    """A supervisor running in its own Python process, output collected."""

    def __init__(self, specs_code: str, log_dir: Path) -> None:
        script = (
            "import sys\n"
            "from pathlib import Path\n"
            "from schulhof.supervisor import ChildSpec, Supervisor\n"
            f"{specs_code}\n"
            "sys.exit(Supervisor(specs, Path(sys.argv[1])).run())\n"
        )
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [SRC_DIR, env.get("PYTHONPATH")]))
        self.proc = subprocess.Popen(
            [PY, "-c", script, str(log_dir)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
        )
        self._lines: list[str] = []
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in iter(self.proc.stdout.readline, b""):
            with self._lock:
                self._lines.append(raw.decode("utf-8", "replace"))

    @property
    def output(self) -> str:
        with self._lock:
            return "".join(self._lines)

    def wait_for_pids(self, pattern: str, count: int) -> list[int]:
        """Wait until ``count`` pids matching ``pattern`` have been printed."""
        deadline = time.monotonic() + TIMEOUT
        pids: list[int] = []
        while time.monotonic() < deadline and self.proc.poll() is None:
            pids = []
            for match in re.finditer(pattern, self.output, re.MULTILINE):
                pids.extend(int(pid) for pid in match.groups())
            if len(pids) >= count:
                return pids
            time.sleep(0.05)
        raise AssertionError(f"expected {count} pids, got {pids}:\n{self.output}")

    def wait(self) -> int:
        returncode = self.proc.wait(timeout=TIMEOUT)
        self._reader.join(TIMEOUT)
        return returncode

    def cleanup(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._reader.join(TIMEOUT)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_to_supervisor_process(tmp_path: Path, sig: signal.Signals) -> None:
    specs_code = (
        f"code = {TREE_CHILD!r}\n"
        "specs = [ChildSpec(n, [sys.executable, '-u', '-c', code], stop_timeout=5)\n"
        "         for n in ('alpha', 'beta')]"
    )
    sup = SupervisorProcess(specs_code, tmp_path / "logs")
    pids: list[int] = []
    try:
        pids = sup.wait_for_pids(r"\| pids (\d+) (\d+)$", 4)
        assert wait_gone(pids, timeout=0) == pids

        sup.proc.send_signal(sig)
        assert sup.wait() == 0, sup.output
        assert wait_gone(pids) == []
        output = sup.output
        assert f"received {sig.name}, stopping" in output
        assert output.index("stopping beta") < output.index("stopping alpha")
        assert "all processes stopped" in output
    finally:
        sup.cleanup()
        kill_quietly(pids)


def test_second_signal_kills_immediately(tmp_path: Path) -> None:
    specs_code = (
        "code = ('import os, signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); '\n"
        "        'print(\"stubborn\", os.getpid(), flush=True); time.sleep(60)')\n"
        "specs = [ChildSpec('stubborn', [sys.executable, '-u', '-c', code], stop_timeout=60)]"
    )
    sup = SupervisorProcess(specs_code, tmp_path / "logs")
    pids: list[int] = []
    try:
        pids = sup.wait_for_pids(r"\| stubborn (\d+)$", 1)
        sup.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + TIMEOUT
        while "stopping stubborn" not in sup.output and time.monotonic() < deadline:
            time.sleep(0.05)
        started = time.monotonic()
        sup.proc.send_signal(signal.SIGINT)
        assert sup.wait() == 0, sup.output
        # Far below the child's 60 s grace period: the second signal skipped it.
        assert time.monotonic() - started < 30
        assert wait_gone(pids) == []
        assert "received SIGINT again, killing all processes" in sup.output
        assert "stubborn was killed by SIGKILL" in sup.output
    finally:
        sup.cleanup()
        kill_quietly(pids)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux-only")
def test_children_die_with_killed_supervisor(tmp_path: Path) -> None:
    specs_code = (
        "code = 'import os, time; print(\"child\", os.getpid(), flush=True); time.sleep(60)'\n"
        "specs = [ChildSpec('orphan', [sys.executable, '-u', '-c', code])]"
    )
    sup = SupervisorProcess(specs_code, tmp_path / "logs")
    pids: list[int] = []
    try:
        pids = sup.wait_for_pids(r"\| child (\d+)$", 1)
        sup.proc.kill()
        sup.wait()
        assert wait_gone(pids) == []
    finally:
        sup.cleanup()
        kill_quietly(pids)


def test_on_ready_called_once(tmp_path: Path, runners: list[Runner]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server_code = (
        "import socket, time\n"
        "time.sleep(0.3)\n"
        "s = socket.socket()\n"
        "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
        f"s.bind(('127.0.0.1', {port}))\n"
        "s.listen()\n"
        "print('listening', flush=True)\n"
        "time.sleep(60)\n"
    )
    flag = tmp_path / "worker-ready"
    worker_code = (
        "import pathlib, time\n"
        "time.sleep(0.5)\n"
        f"pathlib.Path({str(flag)!r}).touch()\n"
        "time.sleep(60)\n"
    )
    calls: list[float] = []
    ready = threading.Event()

    def on_ready() -> None:
        calls.append(time.monotonic())
        ready.set()

    specs = [
        py_child("web", server_code, ready_check=tcp_ready_check("127.0.0.1", port)),
        py_child("worker", worker_code, ready_check=flag.exists),
        py_child("plain", "import time; time.sleep(60)"),
    ]
    console = Console()
    started = time.monotonic()
    runner = make_supervisor(runners, specs, tmp_path, console, on_ready=on_ready)
    assert ready.wait(TIMEOUT)
    assert flag.exists()
    assert calls[0] - started >= 0.5
    time.sleep(0.6)  # several more polling intervals: no second call
    runner.finish()
    assert len(calls) == 1


def test_on_ready_not_called_when_never_ready(tmp_path: Path, runners: list[Runner]) -> None:
    calls: list[int] = []
    console = Console()
    child = py_child("web", "import time; time.sleep(60)", ready_check=lambda: False)
    runner = make_supervisor(
        runners,
        [child],
        tmp_path,
        console,
        on_ready=lambda: calls.append(1),
        ready_timeout=0.3,
        ready_interval=0.05,
    )
    console.wait_for(lambda t: "not ready after 0.3 s: web" in t)
    runner.finish()
    assert calls == []


def test_invalid_specs_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        Supervisor([ChildSpec("a/b", ["true"])], tmp_path)
    with pytest.raises(ValueError):
        Supervisor([ChildSpec("web", ["true"]), ChildSpec("web", ["true"])], tmp_path)
    with pytest.raises(ValueError):
        Supervisor([ChildSpec("supervisor", ["true"])], tmp_path)
    with pytest.raises(ValueError):
        Supervisor([ChildSpec("web", [])], tmp_path)


def test_stop_before_run_returns_immediately(tmp_path: Path) -> None:
    supervisor = Supervisor([py_child("web", "import time; time.sleep(60)")], tmp_path)
    supervisor.stop()
    started = time.monotonic()
    assert supervisor.run() == 0
    # The child would sleep 60 s; nothing was started at all.
    assert time.monotonic() - started < 20
    with pytest.raises(RuntimeError):
        supervisor.run()

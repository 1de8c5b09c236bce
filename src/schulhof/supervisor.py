"""Process supervisor behind ``schulhof run``.

The supervisor starts a fixed set of long-running child processes (the web
application server, the background worker and, later, Dovecot and Postfix),
multiplexes their output onto the console and into per-process log files,
restarts crashed children with exponential backoff and stops everything
cleanly on SIGINT/SIGTERM/SIGHUP or :meth:`Supervisor.stop`.

Design notes:

* Everything runs in the thread that calls :meth:`Supervisor.run`: one
  ``selectors`` loop watches a wake-up pipe, the merged stdout/stderr pipe of
  every child and (on Linux) a pidfd per child so exits are noticed
  immediately.  Only the optional readiness polling runs in a helper thread
  because user supplied ready checks may block.
* Each child runs in its own session and therefore its own process group, so
  terminal Ctrl-C only reaches the supervisor, and stopping a child signals
  the whole tree (e.g. gunicorn's workers).  Leftover members of a crashed
  child's process group are stopped as well, so no orphans remain.
* On Linux children get ``PR_SET_PDEATHSIG`` = SIGTERM, so they are
  terminated even if the supervisor itself is killed with SIGKILL.
* Children that inherit the environment and are written in Python should be
  run with ``PYTHONUNBUFFERED=1`` (or ``-u``) so their lines show up promptly.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import os
import re
import selectors
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

__all__ = ["SUPERVISOR_NAME", "ChildSpec", "Supervisor", "tcp_ready_check"]

#: Prefix of the supervisor's own console messages; also the minimum width of
#: the name column.
SUPERVISOR_NAME = "schulhof"

_READ_CHUNK = 65536
_MAX_LINE = 65536  # longer lines without a newline are split
_POLL_INTERVAL = 0.1  # exit polling interval when no pidfd is available
_IDLE_INTERVAL = 1.0  # safety net: check children at least this often
_GROUP_POLL = 0.05  # polling interval while waiting for a process group
_KILL_WAIT = 5.0  # how long to wait for a group to vanish after SIGKILL
_DRAIN_WAIT = 1.0  # how long to read remaining output after all stopped
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_COLOURS = ("36", "33", "32", "35", "34", "96", "93", "92", "95", "94")
_SUPERVISOR_COLOUR = "1"
_PR_SET_PDEATHSIG = 1

_SignalHandler = Callable[[int, FrameType | None], Any] | int | signal.Handlers | None


@dataclass
class ChildSpec:
    """Description of one supervised process."""

    name: str
    argv: list[str]
    env: dict[str, str] | None = None  # full environment, or None to inherit
    cwd: str | None = None
    stop_signal: int = signal.SIGTERM
    stop_timeout: float = 10.0  # after that the process group gets SIGKILL
    ready_check: Callable[[], bool] | None = None  # polled after start


def tcp_ready_check(host: str, port: int, timeout: float = 0.5) -> Callable[[], bool]:
    """Return a ready check that succeeds once ``host:port`` accepts connections."""

    def check() -> bool:
        try:
            with socket.create_connection((host, port), timeout=timeout):
                return True
        except OSError:
            return False

    return check


# --------------------------------------------------------------------------
# Low-level helpers
# --------------------------------------------------------------------------


def _load_prctl() -> Callable[..., int] | None:
    """Return libc's ``prctl`` on Linux, else None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl: Any = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    prctl.argtypes = [
        ctypes.c_int,
        ctypes.c_ulong,
        ctypes.c_ulong,
        ctypes.c_ulong,
        ctypes.c_ulong,
    ]
    prctl.restype = ctypes.c_int
    result: Callable[..., int] = prctl
    return result


# Loaded once at import time so that nothing has to be loaded between fork()
# and exec() in the child.
_PRCTL = _load_prctl()


def _make_preexec(parent_pid: int) -> Callable[[], None] | None:
    """Return a ``preexec_fn`` that ties the child's life to the supervisor.

    Runs in the forked child before exec: it asks the kernel to send SIGTERM
    when the parent dies and exits right away if the parent is already gone.
    (``preexec_fn`` is not safe in general when other threads exist; this
    function only performs a preloaded foreign call and two syscalls.)
    """
    prctl = _PRCTL
    if prctl is None:
        return None
    sigterm = int(signal.SIGTERM)

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, sigterm, 0, 0, 0)
        if os.getppid() != parent_pid:
            os._exit(1)

    return preexec


_HAS_PROC = os.path.isdir("/proc/self")


def _group_has_live_members(pgid: int) -> bool:
    """Whether process group ``pgid`` still contains a non-zombie process."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    if not _HAS_PROC:
        return True
    # kill() also succeeds for zombies, which cannot be killed any further and
    # are reaped by whoever inherited them.  Look for real members in /proc.
    try:
        entries = os.listdir("/proc")
    except OSError:
        return True
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                data = fh.read()
        except OSError:
            continue
        fields = data[data.rfind(b")") + 2 :].split()
        if len(fields) < 3:
            continue
        try:
            member_pgid = int(fields[2])
        except ValueError:
            continue
        if member_pgid == pgid and fields[0] not in (b"Z", b"X"):
            return True
    return False


def _signal_group(pgid: int, sig: int) -> bool:
    """Send ``sig`` to a process group; False if the group no longer exists."""
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _signal_name(sig: int) -> str:
    try:
        return signal.Signals(sig).name
    except ValueError:
        return f"signal {sig}"


def _describe_exit(returncode: int) -> str:
    if returncode < 0:
        return f"was killed by {_signal_name(-returncode)}"
    return f"exited with code {returncode}"


def _supports_colour(console: TextIO) -> bool:
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(console, "isatty", None)
    if isatty is None:
        return False
    try:
        return bool(isatty())
    except (OSError, ValueError):
        return False


# --------------------------------------------------------------------------
# Internal state
# --------------------------------------------------------------------------


@dataclass(eq=False)
class _Child:
    spec: ChildSpec
    colour: str
    delay: float
    log: TextIO | None = None
    proc: subprocess.Popen[bytes] | None = None
    pidfd: int | None = None
    started_at: float = 0.0
    restart_at: float | None = None
    stopping: bool = False


@dataclass(eq=False)
class _Stream:
    child: _Child
    fd: int
    buffer: bytearray = field(default_factory=bytearray)


@dataclass(eq=False)
class _StaleGroup:
    """Remaining members of a crashed child's process group."""

    pgid: int
    name: str
    deadline: float
    killed: bool = False


# --------------------------------------------------------------------------
# Supervisor
# --------------------------------------------------------------------------


class Supervisor:
    """Run and supervise a set of child processes until asked to stop."""

    def __init__(
        self,
        specs: list[ChildSpec],
        log_dir: Path,
        *,
        console: TextIO = sys.stdout,
        backoff_initial: float = 1.0,
        backoff_max: float = 30.0,
        stable_after: float = 10.0,
        on_ready: Callable[[], None] | None = None,
        ready_timeout: float = 60.0,
        ready_interval: float = 0.2,
    ) -> None:
        names: set[str] = set()
        for spec in specs:
            if not _NAME_RE.match(spec.name) or spec.name == "supervisor":
                raise ValueError(f"invalid child name: {spec.name!r}")
            if spec.name in names:
                raise ValueError(f"duplicate child name: {spec.name!r}")
            if not spec.argv:
                raise ValueError(f"empty argv for child {spec.name!r}")
            if spec.stop_timeout < 0:
                raise ValueError(f"negative stop_timeout for child {spec.name!r}")
            names.add(spec.name)
        if backoff_initial <= 0 or backoff_max < backoff_initial:
            raise ValueError("need 0 < backoff_initial <= backoff_max")

        self._log_dir = Path(log_dir)
        self._console = console
        self._use_colour = _supports_colour(console)
        self._width = max([len(SUPERVISOR_NAME), *(len(spec.name) for spec in specs)])
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max
        self._stable_after = stable_after
        self._on_ready = on_ready
        self._ready_timeout = ready_timeout
        self._ready_interval = ready_interval
        self._children = [
            _Child(spec=spec, colour=_COLOURS[i % len(_COLOURS)], delay=backoff_initial)
            for i, spec in enumerate(specs)
        ]

        # Stop requests.  Set by stop() from any thread and by the signal
        # handler; both then poke the wake-up pipe.
        self._stop_requested = False
        self._force = False  # second signal while stopping: skip grace periods
        self._pending_signals: list[int] = []
        self._stopping = False
        self._stop_event = threading.Event()  # for the ready watcher thread

        self._wake_lock = threading.RLock()
        self._ran = False
        self._wake_r = -1
        self._wake_w = -1

        self._selector: selectors.BaseSelector | None = None
        self._streams: set[_Stream] = set()
        self._stale: list[_StaleGroup] = []
        self._pidfd_supported = hasattr(os, "pidfd_open")
        self._preexec: Callable[[], None] | None = None

        self._output_lock = threading.RLock()
        self._supervisor_log: TextIO | None = None
        self._ready_thread: threading.Thread | None = None

    # ------------------------------------------------------------------ API

    def stop(self) -> None:
        """Request all children to be stopped and :meth:`run` to return.

        Thread-safe; may be called before or during :meth:`run`.
        """
        self._stop_requested = True
        self._wake()

    def run(self) -> int:
        """Start all children and supervise them until stopped.

        Blocks until SIGINT/SIGTERM/SIGHUP (handled only when called from the
        main thread) or :meth:`stop`.  All children are stopped in reverse
        start order before returning, also when an exception propagates.
        Returns the exit code for the command line (0).
        """
        with self._wake_lock:
            if self._ran:
                raise RuntimeError("Supervisor.run() can only be called once")
            self._ran = True
            self._wake_r, self._wake_w = os.pipe()
            os.set_blocking(self._wake_r, False)
            os.set_blocking(self._wake_w, False)
        previous_handlers: dict[int, _SignalHandler] = {}
        try:
            self._selector = selectors.DefaultSelector()
            self._selector.register(self._wake_r, selectors.EVENT_READ, None)
            self._preexec = _make_preexec(os.getpid())
            previous_handlers = self._install_signal_handlers()
            try:
                self._open_logs()
                self._main_loop()
            except BaseException:
                self._log_exception("supervisor error, stopping all processes")
                raise
            finally:
                try:
                    self._shutdown()
                finally:
                    self._kill_remaining()
        finally:
            self._restore_signal_handlers(previous_handlers)
            self._close()
        return 0

    # ------------------------------------------------------------ main loop

    def _main_loop(self) -> None:
        self._log(f"starting {len(self._children)} processes, logs in {self._log_dir}")
        for child in self._children:
            if self._stop_requested:
                return
            self._start(child)
        self._start_ready_watcher()
        while not self._stop_requested:
            now = time.monotonic()
            for child in self._children:
                if (
                    child.proc is None
                    and child.restart_at is not None
                    and now >= child.restart_at
                    and not self._stop_requested
                ):
                    self._start(child)
            self._pump(self._next_timeout())

    def _next_timeout(self) -> float:
        now = time.monotonic()
        timeout = _IDLE_INTERVAL
        for child in self._children:
            if child.proc is not None and child.pidfd is None:
                timeout = min(timeout, _POLL_INTERVAL)
            if child.proc is None and child.restart_at is not None:
                timeout = min(timeout, child.restart_at - now)
        if self._stale:
            timeout = min(timeout, _GROUP_POLL)
        return max(timeout, 0.0)

    @property
    def _sel(self) -> selectors.BaseSelector:
        if self._selector is None:
            raise RuntimeError("supervisor is not running")
        return self._selector

    def _pump(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds for events and process them."""
        for key, _mask in self._sel.select(timeout):
            data = key.data
            if data is None:
                self._drain_wake_pipe()
            elif isinstance(data, _Stream):
                self._read_stream(data)
            # pidfd events (data is a _Child) are handled by _reap below.
        self._handle_signals()
        self._reap()
        if self._stale:
            self._handle_stale_groups()

    def _handle_signals(self) -> None:
        while self._pending_signals:
            sig = self._pending_signals.pop(0)
            if self._force:
                self._log(f"received {_signal_name(sig)} again, killing all processes")
            else:
                self._log(f"received {_signal_name(sig)}, stopping")

    # ------------------------------------------------------------ children

    def _start(self, child: _Child) -> None:
        spec = child.spec
        child.restart_at = None
        child.stopping = False
        read_fd, write_fd = os.pipe()
        try:
            proc = subprocess.Popen(
                spec.argv,
                stdin=subprocess.DEVNULL,
                stdout=write_fd,
                stderr=write_fd,
                env=spec.env,
                cwd=spec.cwd,
                close_fds=True,
                start_new_session=True,
                # Only sets PR_SET_PDEATHSIG, see _make_preexec().
                preexec_fn=self._preexec,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            os.close(read_fd)
            os.close(write_fd)
            self._log(f"failed to start {spec.name}: {exc}")
            self._schedule_restart(child, runtime=0.0)
            return
        except BaseException:
            os.close(read_fd)
            os.close(write_fd)
            raise
        os.close(write_fd)
        child.proc = proc
        child.started_at = time.monotonic()
        os.set_blocking(read_fd, False)
        stream = _Stream(child=child, fd=read_fd)
        self._streams.add(stream)
        self._sel.register(read_fd, selectors.EVENT_READ, stream)
        child.pidfd = self._open_pidfd(proc.pid)
        if child.pidfd is not None:
            self._sel.register(child.pidfd, selectors.EVENT_READ, child)
        self._log(f"started {spec.name} (pid {proc.pid}): {shlex.join(spec.argv)}")

    def _open_pidfd(self, pid: int) -> int | None:
        if not self._pidfd_supported:
            return None
        try:
            return os.pidfd_open(pid)
        except OSError:
            # Kernel without pidfd support or a seccomp filter: poll instead.
            self._pidfd_supported = False
            return None

    def _close_pidfd(self, child: _Child) -> None:
        if child.pidfd is None:
            return
        if self._selector is not None:
            with contextlib.suppress(KeyError, ValueError):
                self._selector.unregister(child.pidfd)
        os.close(child.pidfd)
        child.pidfd = None

    def _reap(self) -> None:
        for child in self._children:
            proc = child.proc
            if proc is None:
                continue
            returncode = proc.poll()
            if returncode is not None:
                self._on_exit(child, proc, returncode)

    def _on_exit(self, child: _Child, proc: subprocess.Popen[bytes], returncode: int) -> None:
        now = time.monotonic()
        runtime = now - child.started_at
        name = child.spec.name
        self._close_pidfd(child)
        child.proc = None
        if child.stopping:
            return  # _stop_child reports the result
        self._log(f"{name} (pid {proc.pid}) {_describe_exit(returncode)} after {runtime:.1f} s")
        if _group_has_live_members(proc.pid):
            # The leader is gone but part of its tree is still running, e.g.
            # workers of a crashed master.  They must not become orphans.
            _signal_group(proc.pid, child.spec.stop_signal)
            self._stale.append(
                _StaleGroup(pgid=proc.pid, name=name, deadline=now + child.spec.stop_timeout)
            )
        if self._stopping or self._stop_requested:
            return
        self._schedule_restart(child, runtime)

    def _schedule_restart(self, child: _Child, runtime: float) -> None:
        if self._stopping or self._stop_requested:
            return
        if runtime >= self._stable_after:
            child.delay = self._backoff_initial
        delay = child.delay
        child.delay = min(delay * 2, self._backoff_max)
        child.restart_at = time.monotonic() + delay
        self._log(f"restarting {child.spec.name} in {delay:g} s")

    def _handle_stale_groups(self) -> None:
        now = time.monotonic()
        for group in list(self._stale):
            if not _group_has_live_members(group.pgid):
                self._stale.remove(group)
            elif now >= group.deadline or (self._force and not group.killed):
                if group.killed:
                    self._log(f"leftover processes of {group.name} survive SIGKILL")
                    self._stale.remove(group)
                else:
                    self._log(f"killing leftover processes of {group.name}")
                    _signal_group(group.pgid, signal.SIGKILL)
                    group.killed = True
                    group.deadline = now + _KILL_WAIT

    def _stop_child(self, child: _Child) -> None:
        child.restart_at = None
        proc = child.proc
        if proc is None:
            return
        spec = child.spec
        child.stopping = True
        pgid = proc.pid
        if not self._force:
            self._log(f"stopping {spec.name} (pid {pgid}) with {_signal_name(spec.stop_signal)}")
            _signal_group(pgid, spec.stop_signal)
            returncode = self._wait_for_group(
                proc, time.monotonic() + spec.stop_timeout, interruptible=True
            )
            if returncode is not None:
                self._log(f"{spec.name} {_describe_exit(returncode)}")
                return
            if self._force:
                self._log(f"killing {spec.name} (pid {pgid})")
            else:
                self._log(
                    f"{spec.name} did not stop within {spec.stop_timeout:g} s, sending SIGKILL"
                )
        else:
            self._log(f"killing {spec.name} (pid {pgid})")
        _signal_group(pgid, signal.SIGKILL)
        returncode = self._wait_for_group(proc, time.monotonic() + _KILL_WAIT, interruptible=False)
        if returncode is not None:
            self._log(f"{spec.name} {_describe_exit(returncode)}")
        else:
            self._log(f"processes of {spec.name} (process group {pgid}) survive SIGKILL")

    def _wait_for_group(
        self, proc: subprocess.Popen[bytes], deadline: float, *, interruptible: bool
    ) -> int | None:
        """Process events until ``proc`` and its whole group are gone.

        Output keeps being read meanwhile so that no child blocks on a full
        pipe while shutting down.  Returns the leader's exit status, or None
        on timeout (or when a second stop signal arrives and ``interruptible``
        is set).
        """
        while True:
            self._pump(0)
            returncode = proc.returncode
            if returncode is not None and not _group_has_live_members(proc.pid):
                return returncode
            now = time.monotonic()
            if now >= deadline or (interruptible and self._force):
                return None
            self._pump(min(_GROUP_POLL, deadline - now))

    def _shutdown(self) -> None:
        self._stopping = True
        self._stop_event.set()
        if self._selector is None:
            return
        running = [child for child in self._children if child.proc is not None]
        if running or self._stale:
            self._log("stopping all processes")
        for child in reversed(self._children):
            self._stop_child(child)
        while self._stale:
            self._pump(_GROUP_POLL)
        deadline = time.monotonic() + _DRAIN_WAIT
        while self._streams and time.monotonic() < deadline:
            self._pump(min(_GROUP_POLL, max(deadline - time.monotonic(), 0.0)))
        self._log("all processes stopped")

    def _kill_remaining(self) -> None:
        """Last resort after an error during shutdown: SIGKILL what is left."""
        for child in reversed(self._children):
            proc = child.proc
            if proc is None:
                continue
            _signal_group(proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=_KILL_WAIT)
            self._close_pidfd(child)
            child.proc = None
        for group in self._stale:
            _signal_group(group.pgid, signal.SIGKILL)
        self._stale.clear()

    # -------------------------------------------------------------- output

    def _read_stream(self, stream: _Stream) -> None:
        try:
            data = os.read(stream.fd, _READ_CHUNK)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._close_stream(stream)
            return
        stream.buffer += data
        if b"\n" in data:
            *lines, rest = stream.buffer.split(b"\n")
            for line in lines:
                self._emit_child_line(stream.child, line)
            stream.buffer = bytearray(rest)
        while len(stream.buffer) > _MAX_LINE:
            self._emit_child_line(stream.child, stream.buffer[:_MAX_LINE])
            del stream.buffer[:_MAX_LINE]

    def _close_stream(self, stream: _Stream) -> None:
        if stream.buffer:
            self._emit_child_line(stream.child, stream.buffer)
            stream.buffer = bytearray()
        if self._selector is not None:
            with contextlib.suppress(KeyError, ValueError):
                self._selector.unregister(stream.fd)
        os.close(stream.fd)
        self._streams.discard(stream)

    def _emit_child_line(self, child: _Child, raw: bytes | bytearray) -> None:
        text = bytes(raw).rstrip(b"\r").decode("utf-8", errors="replace")
        self._emit(child.spec.name, child.colour, child.log, text)

    def _log(self, message: str) -> None:
        self._emit(SUPERVISOR_NAME, _SUPERVISOR_COLOUR, None, message, supervisor=True)

    def _log_exception(self, message: str) -> None:
        self._log(message)
        for line in traceback.format_exc().rstrip("\n").splitlines():
            self._log(line)

    def _emit(
        self,
        name: str,
        colour: str,
        log: TextIO | None,
        text: str,
        *,
        supervisor: bool = False,
    ) -> None:
        now = dt.datetime.now().astimezone()
        prefix = f"{now:%H:%M:%S} {name:<{self._width}} |"
        if self._use_colour:
            prefix = f"\x1b[{colour}m{prefix}\x1b[0m"
        console_line = f"{prefix} {text}\n" if text else f"{prefix}\n"
        file_line = f"{now.isoformat(timespec='milliseconds')} {text}\n"
        with self._output_lock:
            if supervisor:
                log = self._supervisor_log
            self._write_console(console_line)
            if log is not None:
                # A full disk must not stop the supervision.
                with contextlib.suppress(OSError, ValueError):
                    log.write(file_line)

    def _write_console(self, line: str) -> None:
        try:
            try:
                self._console.write(line)
            except UnicodeEncodeError:
                encoding = getattr(self._console, "encoding", None) or "ascii"
                self._console.write(line.encode(encoding, "replace").decode(encoding))
            self._console.flush()
        except (OSError, ValueError, LookupError):
            pass  # console gone (closed pipe, detached terminal): keep going

    def _open_logs(self) -> None:
        self._log_dir.mkdir(parents=True, exist_ok=True)
        with self._output_lock:
            self._supervisor_log = self._open_log("supervisor")
            for child in self._children:
                child.log = self._open_log(child.spec.name)

    def _open_log(self, name: str) -> TextIO:
        # Kept open for the supervisor's lifetime, closed in _close().
        return open(self._log_dir / f"{name}.log", "a", encoding="utf-8", buffering=1)

    # ----------------------------------------------------- ready watching

    def _start_ready_watcher(self) -> None:
        if self._on_ready is None:
            return
        checks = [
            (child.spec.name, child.spec.ready_check)
            for child in self._children
            if child.spec.ready_check is not None
        ]
        if not checks:
            self._call_on_ready(self._on_ready)
            return
        self._ready_thread = threading.Thread(
            target=self._watch_ready, args=(checks,), name="schulhof-ready", daemon=True
        )
        self._ready_thread.start()

    def _watch_ready(self, checks: list[tuple[str, Callable[[], bool]]]) -> None:
        deadline = time.monotonic() + self._ready_timeout
        pending = dict(checks)
        while not self._stop_event.is_set():
            for name, check in list(pending.items()):
                try:
                    ready = bool(check())
                except Exception:  # a failing check just means "not ready yet"
                    ready = False
                if ready:
                    del pending[name]
            if not pending:
                if not self._stop_event.is_set() and self._on_ready is not None:
                    self._call_on_ready(self._on_ready)
                return
            if time.monotonic() >= deadline:
                self._log(
                    f"not ready after {self._ready_timeout:g} s: {', '.join(sorted(pending))}"
                )
                return
            self._stop_event.wait(self._ready_interval)

    def _call_on_ready(self, on_ready: Callable[[], None]) -> None:
        try:
            on_ready()
        except Exception:  # reported; must not bring the supervisor down
            self._log_exception("on_ready callback failed")

    # ------------------------------------------------------------ signals

    def _install_signal_handlers(self) -> dict[int, _SignalHandler]:
        if threading.current_thread() is not threading.main_thread():
            return {}
        previous: dict[int, _SignalHandler] = {}
        for sig in _STOP_SIGNALS:
            with contextlib.suppress(OSError, ValueError):
                previous[sig] = signal.signal(sig, self._on_signal)
        return previous

    @staticmethod
    def _restore_signal_handlers(previous: dict[int, _SignalHandler]) -> None:
        for sig, handler in previous.items():
            if handler is None:
                handler = signal.SIG_DFL
            with contextlib.suppress(OSError, ValueError):
                signal.signal(sig, handler)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        # Runs in the main thread between bytecodes: only set flags and wake
        # the loop; logging happens in _handle_signals().
        if self._stop_requested:
            self._force = True
        self._stop_requested = True
        self._pending_signals.append(signum)
        self._wake()

    # ------------------------------------------------------ wake-up pipe

    def _wake(self) -> None:
        with self._wake_lock:
            if self._wake_w < 0:
                return
            # A full pipe means the loop is going to wake up anyway.
            with contextlib.suppress(OSError):
                os.write(self._wake_w, b"\0")

    def _drain_wake_pipe(self) -> None:
        try:
            while os.read(self._wake_r, 4096):
                pass
        except OSError:
            pass

    # ----------------------------------------------------------- cleanup

    def _close(self) -> None:
        self._stop_event.set()
        if self._ready_thread is not None:
            self._ready_thread.join(timeout=2.0)
        for stream in list(self._streams):
            self._close_stream(stream)
        for child in self._children:
            self._close_pidfd(child)
        if self._selector is not None:
            self._selector.close()
            self._selector = None
        with self._wake_lock:
            for fd in (self._wake_r, self._wake_w):
                if fd >= 0:
                    os.close(fd)
            self._wake_r = self._wake_w = -1
        with self._output_lock:
            logs = [self._supervisor_log, *(child.log for child in self._children)]
            self._supervisor_log = None
            for child in self._children:
                child.log = None
        for log in logs:
            if log is not None:
                with contextlib.suppress(OSError):
                    log.close()

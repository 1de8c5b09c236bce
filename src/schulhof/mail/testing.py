"""Real Dovecot and Postfix for tests and benchmarks, driven by the same code as
``schulhof run``: the configs come from :func:`schulhof.mail.servers.setup.prepare`, the mail
gate runs in this process (so it sees the test database), the servers as child processes on
free ports of 127.0.0.1.
"""

from __future__ import annotations

import dataclasses
import imaplib
import os
import signal
import smtplib
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from schulhof.mail.conf import (
    MailConf,
    mail_conf_from,
    master_password,
    pop_base_mail_conf,
    push_base_mail_conf,
)
from schulhof.mail.servers.setup import MailServers, prepare

START_TIMEOUT = 30.0


def free_port_block(count: int, *, attempts: int = 50) -> int:
    """The first of ``count`` consecutive free ports on 127.0.0.1."""
    for _ in range(attempts):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = int(probe.getsockname()[1])
        if base + count >= 65000:
            continue
        socks = []
        try:
            for port in range(base, base + count):
                sock = socket.socket()
                socks.append(sock)
                sock.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for sock in socks:
                sock.close()
    raise RuntimeError("no block of %d free ports" % count)


def wait_for_socket(path: Path, timeout: float = START_TIMEOUT) -> None:
    """Wait until a server listens on the Unix socket ``path``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            try:
                sock.connect(str(path))
                return
            except OSError:
                time.sleep(0.1)
    raise TimeoutError("nothing listens on %s after %.0f s" % (path, timeout))


def wait_for_port(port: int, timeout: float = START_TIMEOUT, host: str = "127.0.0.1") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError("nothing listens on %s:%d" % (host, port))


class MailStack:
    """Start with :meth:`start`, end with :meth:`stop`. ``conf`` is made the current mail
    configuration (``mail_conf()``) while it runs."""

    def __init__(self, root: Path | None = None, **config_overrides: Any):
        from django.conf import settings

        self.root = Path(root or tempfile.mkdtemp(prefix="schulhof-mail-"))
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o755)  # noqa: S103 - the mail servers' users must enter
        base = free_port_block(10)
        config = dataclasses.replace(
            settings.SCHULHOF_CONFIG,
            data_dir=self.root,
            mail_hostname="mail.schule.test",
            imap_port=base,
            imaps_port=base + 1,
            submission_port=base + 2,
            smtp_port=base + 3,
            mail_internal_port_base=base + 4,
            # Big enough for the quota tests' 200 MB message to reach the quota check.
            mail_max_message_mib=256,
        )
        config = dataclasses.replace(config, **config_overrides)
        self.conf: MailConf = mail_conf_from(config)
        self.log_dir = self.root / "logs"
        self.processes: list[subprocess.Popen[bytes]] = []
        self.gate: Any = None
        self.servers: MailServers | None = None

    @property
    def master_login_password(self) -> str:
        return master_password()

    def start(self) -> MailStack:
        from django.conf import settings
        from django.db import connection

        from schulhof.mail.gate.server import MailGate

        database = dict(connection.settings_dict)
        self.servers = prepare(
            self.conf, log_dir=self.log_dir, database=database, secrets=settings.SECRETS
        )
        push_base_mail_conf(self.conf)
        self.gate = MailGate(self.conf, token=settings.SECRETS["internal_api_token"])
        self.gate.start()
        self._spawn(self.servers.dovecot_argv())
        wait_for_port(self.conf.imap_port)
        wait_for_socket(self.conf.lmtp_socket)
        if self.servers.postfix_config_dir is not None:
            self._spawn(self.servers.postfix_argv())
            wait_for_port(self.conf.submission_port)
            wait_for_port(self.conf.smtp_port)
        return self

    def _spawn(self, argv: list[str]) -> None:
        log = (self.log_dir / ("%s.out" % Path(argv[0]).name)).open("ab")
        process = subprocess.Popen(  # noqa: S603 - our own fixed argv
            argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        self.processes.append(process)

    def stop(self) -> None:
        for process in reversed(self.processes):
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
        for process in reversed(self.processes):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        self.processes.clear()
        if self.gate is not None:
            self.gate.stop()
            self.gate = None
        pop_base_mail_conf(self.conf)

    # --- helpers for tests ---------------------------------------------------------------

    def log(self, name: str) -> str:
        path = self.log_dir / name
        return path.read_text(errors="replace") if path.exists() else ""

    def deliver(self, recipient: str, message: bytes, sender: str = "") -> None:
        """Deliver straight into a mailbox over LMTP (no sending rules)."""
        with smtplib.LMTP(str(self.conf.lmtp_socket), timeout=60) as lmtp:
            refused = lmtp.sendmail(sender or "test@example.org", [recipient], message)
            if refused:
                raise smtplib.SMTPRecipientsRefused(refused)

    def submission(self, timeout: float = 60) -> smtplib.SMTP:
        """An SMTP connection to the submission port, after STARTTLS (not logged in)."""
        client = smtplib.SMTP("127.0.0.1", self.conf.submission_port, timeout=timeout)
        client.ehlo("test.client")
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        client.starttls(context=context)
        client.ehlo("test.client")
        return client

    def inbound(self, timeout: float = 60) -> smtplib.SMTP:
        """An SMTP connection to the incoming port, like another mail server."""
        client = smtplib.SMTP("127.0.0.1", self.conf.smtp_port, timeout=timeout)
        client.ehlo("mx.example.org")
        return client

    def settle(self) -> None:
        """Let the gate finish what the servers still report after a test's last answer
        (Dovecot's login report), before the test's data is flushed."""
        if self.gate is not None:
            self.gate.settle()

    @contextmanager
    def imap(self, user: Any) -> Iterator[imaplib.IMAP4]:
        """An IMAP connection logged in as ``user`` (one from :meth:`create_mail_user`)."""
        client = imaplib.IMAP4("127.0.0.1", self.conf.imap_port, timeout=30)
        try:
            client.login(user.username, user.test_password)
            yield client
        finally:
            client.logout()

    def message_count(self, user: Any, folder: str = "INBOX") -> int:
        with self.imap(user) as client:
            typ, data = client.select(folder, readonly=True)
            if typ != "OK":
                raise imaplib.IMAP4.error("SELECT %s: %r" % (folder, data))
            return int(data[0] or 0)

    def wait_for_messages(self, user: Any, count: int, timeout: float = 20) -> int:
        """The inbox's message count once it reaches ``count``, or after ``timeout``."""
        deadline = time.monotonic() + timeout
        current = self.message_count(user)
        while current < count and time.monotonic() < deadline:
            time.sleep(0.2)
            current = self.message_count(user)
        return current

    def wait_for_queue_empty(self, timeout: float = 30) -> None:
        """Wait until Postfix has handed every message on (delivered, bounced or deferred
        once)."""
        if self.servers is None or self.servers.postfix_config_dir is None:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = subprocess.run(  # noqa: S603
                ["/usr/sbin/postqueue", "-c", str(self.servers.postfix_config_dir), "-j"],
                capture_output=True,
                timeout=30,
            )
            if not result.stdout.strip():
                return
            time.sleep(0.2)
        raise TimeoutError("Postfix queue not empty after %.0f s" % timeout)

    def create_mail_user(self, **kwargs: Any) -> Any:
        """A user (``make_user`` arguments) whose Argon2 password works in Dovecot; the
        password is in ``user.test_password``. Needs committed data (``transactional_db``)."""
        from django.contrib.auth.hashers import make_password

        from schulhof.accounts.hashers import SchulhofArgon2PasswordHasher
        from schulhof.accounts.tests.factories import make_user

        password = kwargs.pop("test_password", "Post-Fach-Geheim-2026")
        kwargs.setdefault(
            "password", make_password(password, hasher=SchulhofArgon2PasswordHasher())
        )
        user = make_user(**kwargs)
        user.test_password = password  # type: ignore[attr-defined]
        return user

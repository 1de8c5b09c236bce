"""Outbound mail through a smarthost with login, DKIM-signed; and swaks as a client."""

from __future__ import annotations

import base64
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from schulhof.mail import dkim
from schulhof.mail.testing import MailStack, free_port_block

pytestmark = pytest.mark.mail


class SmarthostSink:
    """A tiny SMTP server that wants STARTTLS and AUTH PLAIN, like a provider's relay, and
    keeps what it receives. Bounded: one connection at a time, 30 s per connection."""

    def __init__(self, cert: Path, key: Path) -> None:
        self.port = free_port_block(1)
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.sock = socket.create_server(("127.0.0.1", self.port))
        self.sock.settimeout(0.5)
        self.logins: list[str] = []
        self.messages: list[bytes] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _addr = self.sock.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(30)
                try:
                    self.session(conn)
                except (OSError, ssl.SSLError):
                    continue

    def session(self, conn: socket.socket) -> None:
        stream = conn.makefile("rwb")
        secure = False

        def send(line: str) -> None:
            stream.write(line.encode() + b"\r\n")
            stream.flush()

        send("220 relay.provider.test ESMTP")
        for _ in range(200):
            line = stream.readline(4096).decode(errors="replace").strip()
            verb = line.split(" ", 1)[0].upper()
            if not line or verb == "QUIT":
                send("221 bye")
                return
            if verb in ("EHLO", "HELO"):
                send("250-relay.provider.test")
                send("250 AUTH PLAIN" if secure else "250 STARTTLS")
            elif verb == "STARTTLS":
                send("220 go ahead")
                conn = self.context.wrap_socket(conn, server_side=True)
                stream = conn.makefile("rwb")
                secure = True
            elif verb == "AUTH":
                self.logins.append(base64.b64decode(line.split()[2]).decode())
                send("235 ok")
            elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
                send("250 ok")
            elif verb == "DATA":
                send("354 go")
                data = b""
                while True:
                    chunk = stream.readline(1_000_000)
                    if chunk in (b".\r\n", b""):
                        break
                    data += chunk
                self.messages.append(data)
                send("250 queued")
            else:
                send("502 no")

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        self.sock.close()


@pytest.fixture
def smarthost_stack(
    transactional_db: None, tmp_path: Path
) -> Iterator[tuple[MailStack, SmarthostSink]]:
    from schulhof.core.testing import migration_rows_flushed
    from schulhof.mail.servers.setup import ensure_certificate
    from schulhof.mail.tests.conftest import grant_default_mail_privileges

    probe = MailStack(tmp_path / "probe")
    ensure_certificate(probe.conf)
    sink = SmarthostSink(probe.conf.tls_cert, probe.conf.tls_key)
    stack = MailStack(
        tmp_path / "stack",
        smarthost="127.0.0.1:%d" % sink.port,
        smarthost_user="schule@provider.test",
        smarthost_password="Relay-Geheim",
    )
    grant_default_mail_privileges()
    stack.start()
    try:
        yield stack, sink
    finally:
        stack.settle()
        stack.stop()
        sink.close()
        migration_rows_flushed()


def test_outbound_mail_goes_through_the_smarthost_dkim_signed(
    smarthost_stack: tuple[MailStack, SmarthostSink],
) -> None:
    stack, sink = smarthost_stack
    teacher = stack.create_mail_user(username="thomas.mueller", teacher=True)
    message = (
        "From: Thomas Müller <thomas.mueller@schule.test>\r\nTo: eltern@example.org\r\n"
        "Subject: Elternabend\r\nMessage-ID: <elternabend-1@schule.test>\r\n\r\n"
        "Am Dienstag um 19 Uhr.\r\n"
    ).encode()
    with stack.submission() as client:
        client.login(teacher.username, teacher.test_password)
        assert client.sendmail("thomas.mueller@schule.test", ["eltern@example.org"], message) == {}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not sink.messages:
        time.sleep(0.2)
    assert sink.messages, stack.log("postfix.log")[-2000:]
    assert sink.logins == ["\0schule@provider.test\0Relay-Geheim"]
    relayed = sink.messages[0]
    assert relayed.startswith(b"DKIM-Signature:")
    name, value = dkim.dns_record(stack.conf, "schule.test")
    assert dkim.verify(relayed, {name: value})


@pytest.mark.skipif(shutil.which("swaks") is None, reason="swaks is not installed")
def test_swaks_submits_with_starttls_and_auth(mail: MailStack) -> None:
    teacher = mail.create_mail_user(username="thomas.mueller", teacher=True)
    mail.create_mail_user(username="leon.schmidt", pupil=True)
    result = subprocess.run(
        [
            "swaks",
            "--server",
            "127.0.0.1:%d" % mail.conf.submission_port,
            "--tls",
            "--auth",
            "PLAIN",
            "--auth-user",
            teacher.username,
            "--auth-password",
            teacher.test_password,
            "--from",
            "thomas.mueller@schule.test",
            "--to",
            "leon.schmidt@schule.test",
            "--header",
            "Subject: Hausaufgaben",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout[-2000:]
    assert "250 2.0.0 Ok: queued" in result.stdout
    # A forged sender: swaks reports the German refusal.
    forged = subprocess.run(
        [
            "swaks",
            "--server",
            "127.0.0.1:%d" % mail.conf.submission_port,
            "--tls",
            "--auth-user",
            teacher.username,
            "--auth-password",
            teacher.test_password,
            "--from",
            "schulleitung@schule.test",
            "--to",
            "leon.schmidt@schule.test",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert forged.returncode != 0
    assert "nicht Ihre Adresse" in forged.stdout

"""Dovecot's authentication policy: logins to IMAP and SMTP decided by the one
authentication service.

Dovecot verifies the password itself (the same Argon2 hash, from the view
``schulhof_mail_users``) and then asks us over HTTP (``auth_policy_check_after_auth``,
``command=allow``) whether the login may go on: throttling, account state, first password,
sanctions and consent (``accounts.authentication.decide_verified_login``). After every
attempt it reports the result (``command=report``), which we record and audit like a
portal login. Logins of the webmail's master user are not sent here by Dovecot; the
webmail checks the user in the portal.

Requests carry a bearer token; anything else gets 403.
"""

from __future__ import annotations

import hmac
import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from django.db import close_old_connections, connections

from schulhof.accounts.authentication import (
    Outcome,
    decide_verified_login,
    record_verified_login,
)
from schulhof.accounts.models import Protocol
from schulhof.mail.gate.base import log_connection_error
from schulhof.mail.sending import smtp_text

logger = logging.getLogger(__name__)

MAX_BODY = 16 * 1024
SERVICES = {"imap": Protocol.IMAP, "pop3": Protocol.IMAP, "smtp": Protocol.SMTP}


def protocol_of(service: str) -> str:
    return SERVICES.get((service or "").lower(), Protocol.IMAP)


def handle_policy(command: str, data: dict[str, object]) -> dict[str, object]:
    login = str(data.get("login") or "")
    remote = str(data.get("remote") or "") or None
    protocol = protocol_of(str(data.get("protocol") or ""))
    if command == "allow":
        result = decide_verified_login(login, protocol=protocol, client_address=remote)
        if result.outcome == Outcome.OK:
            return {"status": 0, "msg": ""}
        return {"status": -1, "msg": smtp_text(str(result.message))}
    if command == "report":
        record_verified_login(
            login,
            protocol=protocol,
            client_address=remote,
            password_ok=bool(data.get("success")),
            refused=bool(data.get("policy_reject")),
        )
        return {"status": 0, "msg": ""}
    return {"status": 0, "msg": ""}


class LoginPolicyServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], token: str):
        self.token = token
        self._busy = 0
        self._last_done = 0.0
        self._busy_lock = threading.Lock()
        super().__init__(address, LoginPolicyHandler)

    @contextmanager
    def answering(self) -> Iterator[None]:
        with self._busy_lock:
            self._busy += 1
        try:
            yield
        finally:
            with self._busy_lock:
                self._busy -= 1
                self._last_done = time.monotonic()

    def is_quiet(self, quiet: float) -> bool:
        """No request in progress, and none finished in the last ``quiet`` seconds."""
        with self._busy_lock:
            return self._busy == 0 and time.monotonic() - self._last_done >= quiet

    def handle_error(self, request: object, client_address: object) -> None:
        log_connection_error(type(self).__name__, client_address)


class LoginPolicyHandler(BaseHTTPRequestHandler):
    server: LoginPolicyServer
    protocol_version = "HTTP/1.1"
    timeout = 30
    # A buffered writer: the status line, headers and body leave in one segment (small
    # writes in a row would wait for delayed ACKs), flushed after every request.
    wbufsize = 64 * 1024

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: object) -> None:
        return  # requests are audited; no access log with user names here

    def _reply(self, status: int, body: dict[str, object]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        expected = "Bearer " + self.server.token
        given = self.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), expected.encode()):
            self._reply(403, {"status": -1, "msg": "forbidden"})
            return
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY:
            self._reply(400, {"status": -1, "msg": "bad request"})
            return
        try:
            data = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            self._reply(400, {"status": -1, "msg": "bad request"})
            return
        if not isinstance(data, dict):
            self._reply(400, {"status": -1, "msg": "bad request"})
            return
        command = parse_qs(urlsplit(self.path).query).get("command", [""])[0]
        close_old_connections()
        with self.server.answering():
            try:
                self._reply(200, handle_policy(command, data))
            except Exception:
                logger.exception("login policy failed")
                self._reply(500, {"status": -1, "msg": "internal error"})

    def finish(self) -> None:
        # Dovecot keeps the connection open for many requests; the thread's database
        # connection is closed when it ends.
        try:
            super().finish()
        finally:
            connections.close_all()

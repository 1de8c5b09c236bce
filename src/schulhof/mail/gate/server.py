"""The mail gate: one process (``schulhof mailgate``, started by ``schulhof run``) that
answers Postfix and Dovecot from Schulhof's database.

Four listeners on 127.0.0.1, each in its own thread:

- lookups for Postfix (``socketmap``), see :mod:`.socketmap`;
- Postfix's policy service, see :mod:`.policy`;
- the milter (header From, parents' information mark, DKIM), see :mod:`.milter`;
- Dovecot's login policy (HTTP), see :mod:`.loginpolicy`.
"""

from __future__ import annotations

import logging
import threading
import time
from email.utils import getaddresses
from typing import Any

from django.db import close_old_connections

from schulhof.mail import addresses, autoreply, sending
from schulhof.mail.conf import REPLIES_DAEMON, MailConf
from schulhof.mail.gate.base import GateServer
from schulhof.mail.gate.loginpolicy import LoginPolicyServer
from schulhof.mail.gate.policy import PolicyHandler
from schulhof.mail.gate.socketmap import SocketmapHandler

logger = logging.getLogger(__name__)

PARENT_INFO_HEADER = "X-Schulhof-Elterninfo"


def check_auto_reply(
    from_addresses: list[str], recipients: list[str], headers: list[tuple[str, str]]
) -> sending.Refusal | None:
    """Mail from Dovecot's automatic replies (the replies port): one From, a person whose
    automatic reply is on today, marked as automatic, and within that person's sending rights
    (a pupil's reply does not leave the school)."""
    auto = [value for name, value in headers if name.lower() == "auto-submitted"]
    if len(from_addresses) != 1 or not auto or not auto[0].strip().lower().startswith("auto-"):
        return sending.Refusal("550", "5.7.1", "Hier werden nur automatische Antworten angenommen.")
    found = autoreply.active_reply_for(from_addresses[0])
    if found is None:
        return sending.Refusal(
            "550", "5.7.1", "Für diesen Absender ist keine Abwesenheitsnotiz eingeschaltet."
        )
    user, _reply = found
    refusal = sending.check_sender(user.username, from_addresses[0])
    for recipient in recipients:
        refusal = refusal or sending.check_recipient(user.username, recipient)
    return refusal


class SchoolMilterPolicy:
    """The milter's questions, answered with the sending rules."""

    def check_message(
        self,
        *,
        login: str | None,
        daemon: str,
        mail_from: str,
        recipients: list[str],
        headers: list[tuple[str, str]],
    ) -> Any:
        from schulhof.mail.gate.milter import Verdict

        close_old_connections()
        senders = [value for name, value in headers if name.lower() in ("from", "sender")]
        from_addresses = [addr for _name, addr in getaddresses(senders) if addr]
        if daemon == REPLIES_DAEMON:
            refusal = check_auto_reply(from_addresses, recipients, headers)
        else:
            refusal = sending.check_header_from(login, from_addresses)
        if refusal is not None:
            return Verdict(
                action="reject",
                smtp_code=refusal.code,
                enhanced=refusal.enhanced,
                text=sending.smtp_text(refusal.text),
            )
        remove: tuple[str, ...] = ()
        marked = any(name.lower() == PARENT_INFO_HEADER.lower() for name, _value in headers)
        if marked and daemon == REPLIES_DAEMON:
            remove = (PARENT_INFO_HEADER,)
        elif marked:
            user = sending.user_for_login(login)
            if user is None or not addresses.may_mark_parent_info(user):
                remove = (PARENT_INFO_HEADER,)
        return Verdict(action="accept", remove_headers=remove)

    def sign_domain(
        self, *, login: str | None, daemon: str, mail_from: str, headers: list[tuple[str, str]]
    ) -> str | None:
        if daemon == REPLIES_DAEMON:
            # Automatic replies have the null sender; they are signed for their From.
            senders = [value for name, value in headers if name.lower() == "from"]
            mail_from = next((addr for _name, addr in getaddresses(senders) if addr), "")
        elif not login:
            return None
        _local, domain = addresses.split(mail_from)
        if domain and domain in addresses.local_domains():
            return domain
        return None


class MailGate:
    """All listeners of the gate; ``start()`` runs them in threads, ``stop()`` ends them."""

    def __init__(self, conf: MailConf, *, token: str):
        from schulhof.mail import dkim
        from schulhof.mail.gate.milter import MilterServer

        host = conf.internal_host
        self.conf = conf
        self.servers: list[Any] = [
            GateServer((host, conf.lookup_port), SocketmapHandler),
            GateServer((host, conf.policy_port), PolicyHandler),
            LoginPolicyServer((host, conf.login_policy_port), token),
            MilterServer(
                host,
                conf.milter_port,
                SchoolMilterPolicy(),
                lambda domain, message: dkim.sign(conf, domain, message),
                max_message_bytes=conf.max_message_bytes + 1024 * 1024,
            ),
        ]
        self.threads: list[threading.Thread] = []

    def start(self) -> None:
        for server in self.servers:
            thread = threading.Thread(
                target=server.serve_forever, name="mailgate-%s" % type(server).__name__
            )
            thread.daemon = True
            thread.start()
            self.threads.append(thread)

    def stop(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()
        for thread in self.threads:
            thread.join(timeout=10)
        self.threads.clear()

    def settle(self, *, quiet: float = 0.03, timeout: float = 5.0) -> bool:
        """Wait until the login policy has answered everything and nothing new came for
        ``quiet`` seconds (Dovecot reports a login after the client has its answer); whether
        it got there within ``timeout``."""
        policy = next(s for s in self.servers if isinstance(s, LoginPolicyServer))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if policy.is_quiet(quiet):
                return True
            time.sleep(quiet / 3)
        return False

    def wait(self, stop: threading.Event) -> None:
        while not stop.wait(1.0):
            dead = [t.name for t in self.threads if not t.is_alive()]
            if dead:
                raise RuntimeError("mail gate listener ended: %s" % ", ".join(dead))

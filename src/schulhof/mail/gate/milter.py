"""Our Postfix milter: checks each message with a policy and DKIM-signs outgoing mail.

Postfix (``smtpd_milters = inet:127.0.0.1:<milter_port>``) speaks the Sendmail milter protocol,
version 6, to this server: one TCP connection per SMTP session, frames of a 4-byte big-endian
length, one command byte and data. We collect the login (macro ``{auth_authen}``), envelope,
headers (in order, values as Postfix sends them) and body (spooled to a temporary file). At end
of message we ask the :class:`MilterPolicy`; it rejects, defers or accepts, possibly with
headers to remove and add. Then, if the policy names a signing domain, we DKIM-sign the message
as it will leave (headers after our changes, body with CRLF line ends) and insert the
DKIM-Signature at the top.

What we negotiate: the actions "add headers" (ADDHEADER and INSHEADER), "change headers"
(CHGHEADER, used to delete) and "set macro list"; the protocol steps connect, HELO, DATA and
unknown commands are switched off, and Postfix need not wait for our reply to MAIL, RCPT,
headers, end of headers and body chunks (we only ever answer "continue" there). Through the
macro list we ask Postfix for ``{auth_authen}`` at MAIL and ``i`` (queue id, for logs) at end
of message, so ``milter_mail_macros`` needs no change; an MTA that cannot set macro lists must
send ``{auth_authen}`` with MAIL by configuration (Postfix's default list does).

Failure modes: a malformed frame, an over-long frame, a command out of order or a timeout
closes that connection (Postfix then applies ``milter_default_action``); a message bigger than
``max_message_bytes`` is refused at end of message with ``552 5.3.4``; an error in the policy
or the signer defers the message with ``451 4.3.0``.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import re
import socket
import socketserver
import struct
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, cast

from django.db import close_old_connections, connections

logger = logging.getLogger(__name__)

PROTOCOL_VERSION = 6

# Commands from the MTA
CMD_OPTNEG = b"O"
CMD_MACRO = b"D"
CMD_CONNECT = b"C"
CMD_HELO = b"H"
CMD_MAIL = b"M"
CMD_RCPT = b"R"
CMD_DATA = b"T"
CMD_HEADER = b"L"
CMD_EOH = b"N"
CMD_BODY = b"B"
CMD_EOM = b"E"
CMD_ABORT = b"A"
CMD_QUIT = b"Q"
CMD_QUIT_NC = b"K"  # end this session but keep the connection for the next one
CMD_UNKNOWN = b"U"

# Replies to the MTA
REPLY_CONTINUE = b"c"
REPLY_ACCEPT = b"a"
REPLY_REJECT = b"r"
REPLY_TEMPFAIL = b"t"
REPLY_REPLYCODE = b"y"
REPLY_ADDHEADER = b"h"
REPLY_INSHEADER = b"i"
REPLY_CHGHEADER = b"m"

# Actions the milter may take (SMFIF_*)
ACTION_ADDHDRS = 0x01
ACTION_CHGHDRS = 0x10
ACTION_SETSYMLIST = 0x100
WANTED_ACTIONS = ACTION_ADDHDRS | ACTION_CHGHDRS | ACTION_SETSYMLIST

# Protocol steps the MTA may leave out (SMFIP_NO*) or send without waiting (SMFIP_NR_*)
NO_CONNECT = 0x01
NO_HELO = 0x02
NR_HEADER = 0x80
NO_UNKNOWN = 0x100
NO_DATA = 0x200
NR_CONNECT = 0x1000
NR_HELO = 0x2000
NR_MAIL = 0x4000
NR_RCPT = 0x8000
NR_DATA = 0x10000
NR_UNKNOWN = 0x20000
NR_EOH = 0x40000
NR_BODY = 0x80000
WANTED_PROTOCOL = (
    NO_CONNECT | NO_HELO | NO_UNKNOWN | NO_DATA | NR_MAIL | NR_RCPT | NR_HEADER | NR_EOH | NR_BODY
)
# Which "no reply" flag spares the reply to which command
_NO_REPLY_FLAG = {
    CMD_CONNECT: NR_CONNECT,
    CMD_HELO: NR_HELO,
    CMD_MAIL: NR_MAIL,
    CMD_RCPT: NR_RCPT,
    CMD_DATA: NR_DATA,
    CMD_UNKNOWN: NR_UNKNOWN,
    CMD_HEADER: NR_HEADER,
    CMD_EOH: NR_EOH,
    CMD_BODY: NR_BODY,
}

# The macros we ask for, by stage. Postfix knows the queue id only once MAIL has been accepted.
MACRO_STAGE_MAIL = 2  # SMFIM_ENVFROM
MACRO_STAGE_EOM = 5  # SMFIM_EOM
MAIL_MACROS = b"{auth_authen} {daemon_name}"
EOM_MACROS = b"i"
_MESSAGE_STAGES = frozenset(b"MRTLNBE")

# Postfix sends body chunks of at most 65535 bytes, but one header can be up to its
# header_size_limit (100 KiB by default) in a single frame.
DEFAULT_MAX_FRAME_BYTES = 256 * 1024
DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024
# Longer than Postfix's smtpd_timeout (300 s): a slow SMTP client keeps the milter idle that long.
DEFAULT_IDLE_TIMEOUT = 600.0
DEFAULT_MAX_CONNECTIONS = 256
MAX_RECIPIENTS = 10_000
MAX_HEADERS = 10_000
# A bound on the command loop; a 64 MiB message is about 1,100 frames.
MAX_FRAMES_PER_CONNECTION = 10_000_000
_SPOOL_IN_MEMORY = 512 * 1024
_MAX_REPLY_TEXT = 400

_HEADER_NAME_RE = re.compile(r"[\x21-\x39\x3b-\x7e]+")
_SMTP_CODE_RE = re.compile(r"[45][0-9][0-9]")
_ENHANCED_RE = re.compile(r"[45]\.[0-9]{1,3}\.[0-9]{1,3}")
_NEWLINES_RE = re.compile(rb"\r\n|\r|\n")
_BARE_LF_RE = re.compile(rb"(?<!\r)\n")


@dataclass(frozen=True)
class Verdict:
    """The policy's decision on one message."""

    action: Literal["accept", "reject", "tempfail"]
    smtp_code: str = ""  # e.g. "550"; empty: 550 for reject, 451 for tempfail
    enhanced: str = ""  # e.g. "5.7.1"; empty: 5.7.1 for reject, 4.7.1 for tempfail
    text: str = ""  # ASCII; anything else is replaced by "?"
    add_headers: tuple[tuple[str, str], ...] = ()  # appended after the existing headers
    remove_headers: tuple[str, ...] = ()  # names; every occurrence is deleted


class MilterPolicy(Protocol):
    def check_message(
        self,
        *,
        login: str | None,
        daemon: str,
        mail_from: str,
        recipients: list[str],
        headers: list[tuple[str, str]],
    ) -> Verdict:
        """Decide on a message; ``login`` is the SASL login, None for unauthenticated mail;
        ``daemon`` the MTA's name for the listener it came in on (``{daemon_name}``)."""

    def sign_domain(
        self, *, login: str | None, daemon: str, mail_from: str, headers: list[tuple[str, str]]
    ) -> str | None:
        """The domain to DKIM-sign for (headers as they will leave), or None: don't sign."""


# signer(domain, message) -> the "DKIM-Signature: ...\r\n" header, or None: leave unsigned
Signer = Callable[[str, bytes], bytes | None]


class MilterProtocolError(Exception):
    """The MTA sent something we don't understand; the connection is closed."""


class _ConnectionClosed(Exception):
    """The MTA closed the connection between two frames: the normal end."""


@dataclass
class _Message:
    """What we know of the message in progress."""

    mail_from: str
    recipients: list[str] = field(default_factory=list)
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: tempfile.SpooledTemporaryFile[bytes] | None = None
    size: int = 0
    # Set once the message breaks a bound: the reply it gets at end of message.
    refusal: str = ""

    def close(self) -> None:
        if self.body is not None:
            self.body.close()
            self.body = None


class _Session:
    """One MTA connection: reads frames, keeps the state, answers."""

    def __init__(self, sock: socket.socket, server: MilterServer):
        self.sock = sock
        self.server = server
        self.actions = 0
        self.protocol = 0
        self.macros: dict[int, dict[str, str]] = {}
        self.message: _Message | None = None

    def run(self) -> None:
        try:
            for _ in range(MAX_FRAMES_PER_CONNECTION):
                if not self._dispatch(*self._read_frame()):
                    return
            logger.warning(
                "milter: closing a connection after %d commands", MAX_FRAMES_PER_CONNECTION
            )
        except _ConnectionClosed:
            pass
        except MilterProtocolError as exc:
            logger.warning("milter: closing connection: %s", exc)
        except TimeoutError:
            logger.info("milter: closing idle connection")
        except OSError as exc:
            logger.info("milter: connection lost: %s", exc)
        except Exception:
            # A bug here must cost one connection (Postfix applies milter_default_action),
            # never the server.
            logger.exception("milter: closing connection after an unexpected error")
        finally:
            self._reset_message()

    # Framing

    def _read_frame(self) -> tuple[bytes, bytes]:
        """The next (command, data); the whole frame must arrive within the idle timeout."""
        deadline = time.monotonic() + self.server.idle_timeout
        (length,) = struct.unpack(">I", self._recv_exact(4, deadline, eof_ok=True))
        if not 1 <= length <= self.server.max_frame_bytes:
            raise MilterProtocolError("frame length %d out of bounds" % length)
        frame = self._recv_exact(length, deadline, eof_ok=False)
        return frame[:1], frame[1:]

    def _recv_exact(self, count: int, deadline: float, *, eof_ok: bool) -> bytes:
        buf = bytearray(count)
        view = memoryview(buf)
        got = 0
        while got < count:  # each pass reads at least one byte or ends the loop
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            self.sock.settimeout(remaining)
            n = self.sock.recv_into(view[got:])
            if n == 0:
                if got == 0 and eof_ok:
                    raise _ConnectionClosed
                raise MilterProtocolError("connection closed in the middle of a frame")
            got += n
        return bytes(buf)

    def _send(self, reply: bytes, data: bytes = b"") -> None:
        self.sock.settimeout(self.server.idle_timeout)
        self.sock.sendall(struct.pack(">I", len(data) + 1) + reply + data)

    def _continue(self, command: bytes) -> None:
        flag = _NO_REPLY_FLAG.get(command, 0)
        if not self.protocol & flag:
            self._send(REPLY_CONTINUE)

    # Commands

    def _dispatch(self, command: bytes, data: bytes) -> bool:
        """Handle one command; False ends the connection."""
        if command == CMD_OPTNEG:
            self._negotiate(data)
        elif command == CMD_MACRO:
            self._store_macros(data)
        elif command in (CMD_CONNECT, CMD_HELO, CMD_DATA, CMD_UNKNOWN):
            self._continue(command)  # switched off when the MTA lets us; nothing to check
        elif command == CMD_MAIL:
            self._reset_message(keep_macros=True)
            self.message = _Message(mail_from=_address(_strings(data)[0]))
            self._continue(command)
        elif command == CMD_RCPT:
            self._recipient(_address(_strings(data)[0]))
            self._continue(command)
        elif command == CMD_HEADER:
            self._header(data)
            self._continue(command)
        elif command == CMD_EOH:
            self._current()
            self._continue(command)
        elif command == CMD_BODY:
            self._body(data)
            self._continue(command)
        elif command == CMD_EOM:
            if data:
                self._body(data)
            self._end_of_message()
        elif command == CMD_ABORT:
            self._reset_message()
        elif command == CMD_QUIT:
            return False
        elif command == CMD_QUIT_NC:
            self._reset_message()
            self.macros.clear()
        else:
            raise MilterProtocolError("unknown command %r" % command)
        return True

    def _negotiate(self, data: bytes) -> None:
        if len(data) < 12:
            raise MilterProtocolError("option negotiation too short")
        version, offered_actions, offered_protocol = struct.unpack(">III", data[:12])
        if version < 2:
            raise MilterProtocolError("milter protocol version %d is too old" % version)
        self.actions = WANTED_ACTIONS & offered_actions
        self.protocol = WANTED_PROTOCOL & offered_protocol
        reply = struct.pack(">III", min(version, PROTOCOL_VERSION), self.actions, self.protocol)
        if self.actions & ACTION_SETSYMLIST:
            reply += struct.pack(">I", MACRO_STAGE_MAIL) + MAIL_MACROS + b"\0"
            reply += struct.pack(">I", MACRO_STAGE_EOM) + EOM_MACROS + b"\0"
        self._send(CMD_OPTNEG, reply)

    def _store_macros(self, data: bytes) -> None:
        if not data:
            raise MilterProtocolError("macro command without stage")
        strings = _strings(data[1:]) if len(data) > 1 else []
        if len(strings) % 2:
            raise MilterProtocolError("macro names and values don't pair up")
        pairs = zip(strings[::2], strings[1::2], strict=True)
        self.macros[data[0]] = dict(pairs)

    def _current(self) -> _Message:
        if self.message is None:
            raise MilterProtocolError("message content before MAIL")
        return self.message

    def _recipient(self, address: str) -> None:
        message = self._current()
        if len(message.recipients) >= MAX_RECIPIENTS:
            message.refusal = message.refusal or "452 4.5.3 Too many recipients"
            return
        message.recipients.append(address)

    def _header(self, data: bytes) -> None:
        message = self._current()
        parts = data.split(b"\0")
        if len(parts) != 3 or parts[2] or not parts[0]:
            raise MilterProtocolError("malformed header frame")
        if len(message.headers) >= MAX_HEADERS:
            message.refusal = message.refusal or "552 5.3.4 Too many header fields"
            return
        if self._grow(message, len(data) + 2):
            message.headers.append((parts[0], parts[1]))

    def _body(self, data: bytes) -> None:
        message = self._current()
        if not self._grow(message, len(data)):
            return
        if message.body is None:
            # Lives as long as the message; _Message.close() closes it.
            message.body = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # noqa: SIM115
        message.body.write(data)

    def _grow(self, message: _Message, count: int) -> bool:
        """Count ``count`` more bytes; False (and the message refused) beyond the limit."""
        message.size += count
        if message.size <= self.server.max_message_bytes:
            return True
        if not message.refusal:
            message.refusal = "552 5.3.4 Message size exceeds fixed limit"
            message.close()
        return False

    def _reset_message(self, *, keep_macros: bool = False) -> None:
        if self.message is not None:
            self.message.close()
            self.message = None
        if not keep_macros:
            for stage in _MESSAGE_STAGES:
                self.macros.pop(stage, None)

    # End of message

    def _end_of_message(self) -> None:
        message = self._current()
        queue_id = self._macro(b"E", "i") or "-"
        try:
            if message.refusal:
                logger.info("milter: %s refused: %s", queue_id, message.refusal)
                self._send(REPLY_REPLYCODE, message.refusal.encode("ascii") + b"\0")
                return
            try:
                frames = self._decide(message, queue_id)
            except Exception:
                logger.exception("milter: %s deferred after an internal error", queue_id)
                frames = [(REPLY_REPLYCODE, b"451 4.3.0 Internal error, try again later\0")]
            for reply, data in frames:
                self._send(reply, data)
        finally:
            self._reset_message()

    def _decide(self, message: _Message, queue_id: str) -> list[tuple[bytes, bytes]]:
        """The frames that answer end of message: modifications, then the final reply."""
        login = self._macro(b"M", "{auth_authen}") or self._macro(b"M", "auth_authen") or None
        daemon = self._macro(b"M", "{daemon_name}")
        headers = list(message.headers)
        close_old_connections()  # the policy may use the database from this thread
        verdict = self.server.policy.check_message(
            login=login,
            daemon=daemon,
            mail_from=message.mail_from,
            recipients=list(message.recipients),
            headers=[_decoded(header) for header in headers],
        )
        if verdict.action != "accept":
            reply = _reply_line(verdict)
            logger.info("milter: %s %s: %s", queue_id, verdict.action, reply.replace("%%", "%"))
            return [(REPLY_REPLYCODE, reply.encode("ascii") + b"\0")]

        frames = []
        for name in _unique_names(verdict.remove_headers):
            positions = [i for i, (n, _) in enumerate(headers) if n.lower() == name.lower()]
            # Last occurrence first, so the MTA's numbering of the earlier ones stays valid.
            for index in range(len(positions), 0, -1):
                frames.append((REPLY_CHGHEADER, struct.pack(">I", index) + name + b"\0\0"))
            for i in reversed(positions):
                del headers[i]
        for name_text, value_text in verdict.add_headers:
            name, value = _header_name(name_text), _header_value(value_text)
            frames.append((REPLY_ADDHEADER, name + b"\0" + value + b"\0"))
            headers.append((name, value))

        domain = self.server.policy.sign_domain(
            login=login,
            daemon=daemon,
            mail_from=message.mail_from,
            headers=[_decoded(h) for h in headers],
        )
        if domain:
            signature = self.server.signer(domain, _wire_message(headers, message.body))
            if signature:
                frames.append((REPLY_INSHEADER, _signature_frame(signature)))
        replies = {reply for reply, _ in frames}
        if REPLY_CHGHEADER in replies and not self.actions & ACTION_CHGHDRS:
            raise RuntimeError("the MTA does not let us delete headers")
        if replies & {REPLY_ADDHEADER, REPLY_INSHEADER} and not self.actions & ACTION_ADDHDRS:
            raise RuntimeError("the MTA does not let us add headers")
        frames.append((REPLY_ACCEPT, b""))
        return frames

    def _macro(self, stage: bytes, name: str) -> str:
        return self.macros.get(stage[0], {}).get(name, "")


def _strings(data: bytes) -> list[str]:
    """NUL-terminated strings from a frame (at least one)."""
    if not data.endswith(b"\0"):
        raise MilterProtocolError("string not NUL-terminated")
    return [part.decode("utf-8", "replace") for part in data[:-1].split(b"\0")]


def _address(arg: str) -> str:
    arg = arg.strip()
    if arg.startswith("<") and arg.endswith(">"):
        arg = arg[1:-1]
    return arg


def _decoded(header: tuple[bytes, bytes]) -> tuple[str, str]:
    return header[0].decode("ascii", "replace"), header[1].decode("utf-8", "replace")


def _unique_names(names: tuple[str, ...]) -> list[bytes]:
    seen: dict[str, bytes] = {}
    for name in names:
        seen.setdefault(name.lower(), _header_name(name))
    return list(seen.values())


def _header_name(name: str) -> bytes:
    if not _HEADER_NAME_RE.fullmatch(name):
        raise ValueError("not a header name: %r" % name)
    return name.encode("ascii")


def _header_value(value: str) -> bytes:
    # No line breaks from the policy: they could start a header of their own.
    if "\0" in value:
        raise ValueError("header value contains NUL")
    return _NEWLINES_RE.sub(b" ", value.encode("utf-8")).strip()


def _reply_line(verdict: Verdict) -> str:
    """'550 5.7.1 text' for the MTA, with fallbacks for missing or mismatched codes."""
    klass = "5" if verdict.action == "reject" else "4"
    code, enhanced = verdict.smtp_code, verdict.enhanced
    if not (_SMTP_CODE_RE.fullmatch(code) and code[0] == klass):
        code = "550" if klass == "5" else "451"
    if not (_ENHANCED_RE.fullmatch(enhanced) and enhanced[0] == klass):
        enhanced = "%s.7.1" % klass
    text = verdict.text or ("Message rejected" if klass == "5" else "Try again later")
    text = "".join(ch if " " <= ch <= "~" else "?" for ch in text)[:_MAX_REPLY_TEXT]
    # Postfix reads "%%" as "%" (Sendmail treats the reply as a format string).
    return "%s %s %s" % (code, enhanced, text.replace("%", "%%"))


def _wire_message(
    headers: list[tuple[bytes, bytes]], body: tempfile.SpooledTemporaryFile[bytes] | None
) -> bytes:
    """The message as it will leave: headers, blank line, body, all with CRLF line ends."""
    lines = [name + b": " + _NEWLINES_RE.sub(b"\r\n", value) + b"\r\n" for name, value in headers]
    content = b""
    if body is not None:
        body.seek(0)
        content = _BARE_LF_RE.sub(b"\r\n", body.read())
    return b"".join(lines) + b"\r\n" + content


def _signature_frame(signature: bytes) -> bytes:
    """INSHEADER data for a 'DKIM-Signature: ...' header: at the top, folded with LF."""
    name, sep, value = signature.partition(b":")
    if not sep or name.strip().lower() != b"dkim-signature":
        raise ValueError("the signer returned no DKIM-Signature header")
    # Postfix puts a space after the colon itself and wants folded lines separated by LF only.
    value = _NEWLINES_RE.sub(b"\n", value.strip(b" \t\r\n"))
    return struct.pack(">I", 0) + b"DKIM-Signature\0" + value + b"\0"


# What socketserver hands a request handler (a socket, for TCP servers).
_Request = socket.socket | tuple[bytes, socket.socket]


class _MilterHandler(socketserver.BaseRequestHandler):
    server: MilterServer

    def handle(self) -> None:
        sock = cast(socket.socket, self.request)  # a TCP server hands out sockets
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(sock, alive=True)
        try:
            _Session(sock, self.server).run()
        finally:
            self.server.track(sock, alive=False)
            connections.close_all()


class MilterServer(socketserver.ThreadingTCPServer):
    """The milter, listening on a loopback address; one thread per MTA connection.

    ``port`` 0 picks a free port (see ``server_address``). ``max_message_bytes`` bounds the
    headers and body we keep per message; set it at or above Postfix's message_size_limit,
    which is the limit senders should meet first.
    """

    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False
    request_queue_size = 64

    def __init__(
        self,
        host: str,
        port: int,
        policy: MilterPolicy,
        signer: Signer,
        *,
        max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES,
    ):
        if not ipaddress.IPv4Address(host).is_loopback:
            raise ValueError("the milter listens on a loopback address only, not %s" % host)
        self.policy = policy
        self.signer = signer
        self.max_message_bytes = max_message_bytes
        self.idle_timeout = idle_timeout
        self.max_frame_bytes = max_frame_bytes
        self._slots = threading.BoundedSemaphore(max_connections)
        self._live: set[socket.socket] = set()
        self._live_lock = threading.Lock()
        self._serving = False
        super().__init__((host, port), _MilterHandler)

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        self._serving = True
        super().serve_forever(poll_interval)

    def handle_error(self, request: object, client_address: object) -> None:
        from schulhof.mail.gate.base import log_connection_error

        log_connection_error(type(self).__name__, client_address)

    def shutdown(self) -> None:
        """Stop serving, close open MTA connections and the listening socket."""
        if self._serving:
            super().shutdown()
        with self._live_lock:
            live = list(self._live)
        for sock in live:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self.server_close()

    def track(self, sock: socket.socket, *, alive: bool) -> None:
        with self._live_lock:
            if alive:
                self._live.add(sock)
            else:
                self._live.discard(sock)

    def process_request(self, request: _Request, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            logger.warning("milter: too many connections, turning one away")
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: _Request, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

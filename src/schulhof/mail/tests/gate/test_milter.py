"""The milter over a real TCP socket, driven by a small fake MTA that speaks the protocol the
way Postfix does (milter_protocol = 6)."""

from __future__ import annotations

import logging
import socket
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from schulhof.config import Config
from schulhof.mail import dkim
from schulhof.mail.conf import MailConf, mail_conf_from
from schulhof.mail.gate import milter
from schulhof.mail.gate.milter import MilterServer, Verdict

ALL_ACTIONS = 0x1FF  # what Postfix offers: every SMFIF_* flag
ALL_PROTOCOL = 0x1FFFFF  # every SMFIP_* step and no-reply flag of version 6
OLD_PROTOCOL = 0x3FF  # no "no reply" flags (NR_HDR is 0x80 and stays out)
FINAL_REPLIES = {b"a", b"c", b"r", b"t", b"y", b"d"}

HEADERS = [
    ("From", "Anna Admin <anna.admin@example.org>"),
    ("To", "Eltern 5a <eltern-5a@example.org>"),
    ("Subject", "Elternabend\n\tam Donnerstag"),  # folded, as Postfix sends it
    ("Date", "Thu, 06 Nov 2025 10:00:00 +0100"),
    ("Message-ID", "<1@example.org>"),
    ("X-Schulhof-Elterninfo", "gefaelscht"),
    ("MIME-Version", "1.0"),
    ("Content-Type", "text/plain; charset=utf-8"),
    ("X-Schulhof-Elterninfo", "noch eins"),
]
BODY = b"Liebe Eltern,\r\n\r\nbis Donnerstag.\r\n" + b"x" * 70 + b"\r\n"


@dataclass
class FakePolicy:
    verdict: Verdict = field(default_factory=lambda: Verdict(action="accept"))
    domain: str | None = "example.org"
    error: Exception | None = None
    checks: list[dict] = field(default_factory=list)
    sign_calls: list[dict] = field(default_factory=list)

    def check_message(self, **kwargs: object) -> Verdict:
        self.checks.append(kwargs)
        if self.error is not None:
            raise self.error
        return self.verdict

    def sign_domain(self, **kwargs: object) -> str | None:
        self.sign_calls.append(kwargs)
        return self.domain


class FakeMTA:
    """The MTA side of one milter connection."""

    def __init__(self, port: int, *, actions: int = ALL_ACTIONS, protocol: int = ALL_PROTOCOL):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.offer = (actions, protocol)
        self.protocol = 0

    def close(self) -> None:
        self.sock.close()

    def send(self, command: bytes, data: bytes = b"") -> None:
        self.sock.sendall(struct.pack(">I", len(data) + 1) + command + data)

    def read(self) -> tuple[bytes, bytes]:
        head = self._recv(4)
        (length,) = struct.unpack(">I", head)
        frame = self._recv(length)
        return frame[:1], frame[1:]

    def _recv(self, count: int) -> bytes:
        data = b""
        while len(data) < count:
            chunk = self.sock.recv(count - len(data))
            if not chunk:
                raise ConnectionError("milter closed the connection")
            data += chunk
        return data

    def closed_by_milter(self) -> bool:
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True

    def negotiate(self, version: int = 6) -> tuple[int, int, int, bytes]:
        self.send(b"O", struct.pack(">III", version, *self.offer))
        command, data = self.read()
        assert command == b"O"
        got_version, actions, protocol = struct.unpack(">III", data[:12])
        self.protocol = protocol
        return got_version, actions, protocol, data[12:]

    def step(self, command: bytes, data: bytes, no_reply_flag: int) -> None:
        """Send a command and, unless the milter waived it, expect "continue"."""
        self.send(command, data)
        if not self.protocol & no_reply_flag:
            assert self.read() == (b"c", b"")

    def macros(self, stage: bytes, values: dict[str, str]) -> None:
        pairs = b"".join(k.encode() + b"\0" + v.encode() + b"\0" for k, v in values.items())
        self.send(b"D", stage + pairs)

    def mail(self, sender: str, login: str | None = None, daemon: str = "") -> None:
        values = {"{mail_addr}": sender}
        if login is not None:
            values["{auth_authen}"] = login
        if daemon:
            values["{daemon_name}"] = daemon
        self.macros(b"M", values)
        self.step(b"M", b"<%s>\0SIZE=1000\0" % sender.encode(), milter.NR_MAIL)

    def rcpt(self, recipient: str) -> None:
        self.step(b"R", b"<%s>\0" % recipient.encode(), milter.NR_RCPT)

    def header(self, name: str, value: str) -> None:
        self.step(b"L", name.encode() + b"\0" + value.encode() + b"\0", milter.NR_HEADER)

    def body(self, body: bytes) -> None:
        for start in range(0, len(body), 65535):
            self.step(b"B", body[start : start + 65535], milter.NR_BODY)

    def eom(self) -> list[tuple[bytes, bytes]]:
        self.macros(b"E", {"i": "4ABC123"})
        self.send(b"E")
        replies = []
        for _ in range(100):
            replies.append(self.read())
            if replies[-1][0] in FINAL_REPLIES:
                return replies
        raise AssertionError("no final reply")

    def transaction(
        self,
        *,
        login: str | None = "anna.admin",
        sender: str = "anna.admin@example.org",
        recipients: tuple[str, ...] = ("eltern-5a@example.org",),
        headers: list[tuple[str, str]] = HEADERS,
        body: bytes = BODY,
        daemon: str = "",
    ) -> list[tuple[bytes, bytes]]:
        self.mail(sender, login, daemon)
        for recipient in recipients:
            self.rcpt(recipient)
        if not self.protocol & milter.NO_DATA:
            self.step(b"T", b"", milter.NR_DATA)
        for name, value in headers:
            self.header(name, value)
        self.step(b"N", b"", milter.NR_EOH)
        self.body(body)
        return self.eom()


def apply_changes(headers: list[tuple[str, str]], replies: list[tuple[bytes, bytes]]) -> list:
    """The headers after the milter's changes, the way Postfix applies them."""
    result = list(headers)
    for command, data in replies:
        if command == b"m":
            (index,) = struct.unpack(">I", data[:4])
            name, value, _ = data[4:].decode().split("\0")
            matches = [i for i, (n, _) in enumerate(result) if n.lower() == name.lower()]
            assert value == "" and 1 <= index <= len(matches)
            del result[matches[index - 1]]
        elif command == b"h":
            name, value, _ = data.decode().split("\0")
            result.append((name, value))
        elif command == b"i":
            (index,) = struct.unpack(">I", data[:4])
            name, value, _ = data[4:].decode().split("\0")
            result.insert(index, (name, value))
    return result


def wire(headers: list[tuple[str, str]], body: bytes = BODY) -> bytes:
    lines = b"".join(
        ("%s: %s\r\n" % (name, value.replace("\n", "\r\n"))).encode() for name, value in headers
    )
    return lines + b"\r\n" + body


def serve_in_background(server: MilterServer) -> None:
    # A short poll interval keeps shutdown() quick.
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()


@pytest.fixture(scope="module")
def conf(tmp_path_factory: pytest.TempPathFactory) -> MailConf:
    conf = mail_conf_from(Config(data_dir=Path(tmp_path_factory.mktemp("milter"))))
    dkim.ensure_key(conf)
    return conf


@pytest.fixture
def policy() -> FakePolicy:
    return FakePolicy()


@pytest.fixture
def start(conf: MailConf, policy: FakePolicy) -> Iterator:
    servers = []

    def start(**options: object) -> MilterServer:
        options.setdefault("signer", lambda domain, message: dkim.sign(conf, domain, message))
        server = MilterServer("127.0.0.1", 0, policy, **options)  # type: ignore[arg-type]
        serve_in_background(server)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()


@pytest.fixture
def server(start) -> MilterServer:
    return start()


@pytest.fixture
def mta(server: MilterServer) -> Iterator[FakeMTA]:
    mta = FakeMTA(server.server_address[1])
    mta.negotiate()
    yield mta
    mta.close()


def test_negotiates_only_what_it_needs_and_asks_for_the_login_macro(server):
    mta = FakeMTA(server.server_address[1])
    version, actions, protocol, rest = mta.negotiate()
    assert version == 6
    assert actions == milter.ACTION_ADDHDRS | milter.ACTION_CHGHDRS | milter.ACTION_SETSYMLIST
    assert protocol == milter.WANTED_PROTOCOL
    # {auth_authen} and {daemon_name} at MAIL (SMFIM_ENVFROM), the queue id at end of message
    assert (
        rest
        == struct.pack(">I", 2) + b"{auth_authen} {daemon_name}\0" + struct.pack(">I", 5) + b"i\0"
    )


def test_accept_removes_forged_headers_adds_ours_and_signs(mta, policy, conf):
    policy.verdict = Verdict(
        action="accept",
        add_headers=(("X-Schulhof-Elterninfo", "5a"),),
        remove_headers=("x-schulhof-elterninfo",),
    )
    replies = mta.transaction(recipients=("eltern-5a@example.org", "lehrer@example.org"))

    assert [command for command, _ in replies] == [b"m", b"m", b"h", b"i", b"a"]
    # Last occurrence first, so the first one keeps its number.
    assert replies[0][1] == struct.pack(">I", 2) + b"x-schulhof-elterninfo\0\0"
    assert replies[1][1] == struct.pack(">I", 1) + b"x-schulhof-elterninfo\0\0"
    assert replies[2][1] == b"X-Schulhof-Elterninfo\x005a\0"
    assert replies[3][1].startswith(struct.pack(">I", 0) + b"DKIM-Signature\0v=1; ")
    assert b"\r" not in replies[3][1]  # Postfix wants folded lines separated by LF only

    [check] = policy.checks
    assert check == {
        "login": "anna.admin",
        "daemon": "",
        "mail_from": "anna.admin@example.org",
        "recipients": ["eltern-5a@example.org", "lehrer@example.org"],
        "headers": HEADERS,
    }
    after = apply_changes(HEADERS, replies)
    assert ("X-Schulhof-Elterninfo", "5a") in after
    assert ("X-Schulhof-Elterninfo", "gefaelscht") not in after
    [sign_call] = policy.sign_calls
    assert sign_call["headers"] == after[1:]  # what leaves, without the signature itself
    assert sign_call["login"] == "anna.admin"

    message = wire(after)
    assert message.startswith(b"DKIM-Signature: ")
    assert dkim.verify(message, dict([dkim.dns_record(conf, "example.org")]))


def test_signature_breaks_if_the_message_is_changed_after_signing(mta, conf):
    after = apply_changes(HEADERS, mta.transaction())
    records = dict([dkim.dns_record(conf, "example.org")])
    assert dkim.verify(wire(after), records)
    assert not dkim.verify(wire(after, BODY.replace(b"Donnerstag", b"Freitag")), records)


def test_body_with_bare_lf_is_signed_as_it_leaves_with_crlf(mta, conf):
    body = b"Zeile eins\nZeile zwei\n"
    after = apply_changes(HEADERS, mta.transaction(body=body))
    records = dict([dkim.dns_record(conf, "example.org")])
    assert dkim.verify(wire(after, body.replace(b"\n", b"\r\n")), records)


def test_unauthenticated_mail_that_is_not_signed_is_just_accepted(mta, policy):
    policy.domain = None
    replies = mta.transaction(login=None, sender="")
    assert replies == [(b"a", b"")]
    assert policy.checks[0]["login"] is None
    assert policy.checks[0]["mail_from"] == ""


def test_signer_may_decline(start, policy):
    server = start(signer=lambda domain, message: None)
    mta = FakeMTA(server.server_address[1])
    mta.negotiate()
    assert mta.transaction() == [(b"a", b"")]


def test_reject_answers_with_the_policy_code_and_text(mta, policy, caplog):
    policy.verdict = Verdict(
        action="reject", smtp_code="553", enhanced="5.7.1", text="Absender nicht erlaubt"
    )
    with caplog.at_level(logging.INFO, logger="schulhof.mail.gate.milter"):
        assert mta.transaction() == [(b"y", b"553 5.7.1 Absender nicht erlaubt\0")]
    assert policy.sign_calls == []
    assert "4ABC123 reject: 553 5.7.1 Absender nicht erlaubt" in caplog.text


def test_tempfail_without_details_gets_defaults(mta, policy):
    policy.verdict = Verdict(action="tempfail")
    assert mta.transaction() == [(b"y", b"451 4.7.1 Try again later\0")]


@pytest.mark.parametrize(
    ("verdict", "line"),
    [
        (Verdict("reject", text="Größe: 100%"), b"550 5.7.1 Gr??e: 100%%"),
        (Verdict("reject", "451", "4.7.1", "falsch"), b"550 5.7.1 falsch"),
        (Verdict("tempfail", "550", "5.7.1", "x"), b"451 4.7.1 x"),
        (Verdict("reject", "5xx", "5.7", "x\r\n250 ok"), b"550 5.7.1 x??250 ok"),
    ],
)
def test_reply_lines_are_always_valid_smtp(mta, policy, verdict, line):
    policy.verdict = verdict
    assert mta.transaction() == [(b"y", line + b"\0")]


def test_policy_errors_defer_the_message_and_the_server_keeps_serving(mta, policy):
    policy.error = RuntimeError("database gone")
    assert mta.transaction() == [(b"y", b"451 4.3.0 Internal error, try again later\0")]
    policy.error = None
    assert mta.transaction()[-1] == (b"a", b"")


def test_signer_errors_defer_the_message(start, policy):
    def broken(domain: str, message: bytes) -> bytes:
        raise dkim.DkimKeyError("key unreadable")

    server = start(signer=broken)
    mta = FakeMTA(server.server_address[1])
    mta.negotiate()
    assert mta.transaction() == [(b"y", b"451 4.3.0 Internal error, try again later\0")]


def test_bad_header_names_from_the_policy_defer_the_message(mta, policy):
    policy.verdict = Verdict("accept", add_headers=(("Bad Name", "x"),))
    assert mta.transaction()[0][0] == b"y"


def test_line_breaks_in_added_header_values_cannot_start_a_new_header(mta, policy):
    policy.domain = None
    policy.verdict = Verdict("accept", add_headers=(("X-Note", "a\r\nBcc: evil@example.org"),))
    assert mta.transaction() == [(b"h", b"X-Note\0a Bcc: evil@example.org\0"), (b"a", b"")]


def test_mta_that_does_not_allow_header_changes_gets_a_deferral(server, policy):
    mta = FakeMTA(server.server_address[1], actions=milter.ACTION_ADDHDRS)
    _, actions, _, rest = mta.negotiate()
    assert actions == milter.ACTION_ADDHDRS and rest == b""  # no macro list without SETSYMLIST
    policy.verdict = Verdict("accept", remove_headers=("X-Schulhof-Elterninfo",))
    assert mta.transaction()[0] == (b"y", b"451 4.3.0 Internal error, try again later\0")


def test_mta_without_no_reply_flags_gets_a_reply_to_every_step(server, policy, conf):
    mta = FakeMTA(server.server_address[1], protocol=OLD_PROTOCOL)
    _, _, protocol, _ = mta.negotiate()
    assert protocol == milter.WANTED_PROTOCOL & OLD_PROTOCOL
    # FakeMTA.step asserts the "continue" after MAIL, RCPT, each header, EOH and body chunk.
    replies = mta.transaction()
    assert replies[-1] == (b"a", b"")
    assert dkim.verify(
        wire(apply_changes(HEADERS, replies)), dict([dkim.dns_record(conf, "example.org")])
    )


def test_mta_that_sends_connect_helo_and_data_anyway_gets_continue(mta):
    mta.protocol = 0  # expect replies as if nothing was negotiated away
    mta.send(b"C", b"client.example\x004\x00\x19127.0.0.1\0")
    assert mta.read() == (b"c", b"")
    mta.send(b"H", b"client.example\0")
    assert mta.read() == (b"c", b"")
    mta.send(b"U", b"XYZZY\0")
    assert mta.read() == (b"c", b"")


def test_several_messages_on_one_connection_do_not_share_state(mta, policy):
    mta.transaction(login="anna.admin", recipients=("a@example.org",))
    mta.transaction(login=None, recipients=("b@example.org",), headers=HEADERS[:2])
    first, second = policy.checks
    assert first["login"] == "anna.admin"
    assert second["login"] is None
    assert second["recipients"] == ["b@example.org"]
    assert second["headers"] == HEADERS[:2]


def test_abort_forgets_the_message_in_progress(mta, policy):
    mta.mail("anna.admin@example.org", login="anna.admin")
    mta.rcpt("a@example.org")
    mta.header("Subject", "abgebrochen")
    mta.body(b"halb\r\n")
    mta.send(b"A")  # no reply to abort
    replies = mta.transaction(
        login=None, sender="paul@example.org", recipients=("b@example.org",), headers=HEADERS[:1]
    )
    assert replies[-1] == (b"a", b"")
    [check] = policy.checks
    assert check == {
        "login": None,
        "daemon": "",
        "mail_from": "paul@example.org",
        "recipients": ["b@example.org"],
        "headers": HEADERS[:1],
    }


def test_message_over_the_size_bound_is_refused_at_end_of_message(start, policy):
    server = start(max_message_bytes=100_000)
    mta = FakeMTA(server.server_address[1])
    mta.negotiate()
    replies = mta.transaction(body=b"y" * 150_000)
    assert replies == [(b"y", b"552 5.3.4 Message size exceeds fixed limit\0")]
    assert policy.checks == []
    # The next message on the same connection starts from zero.
    assert mta.transaction(body=b"short\r\n")[-1] == (b"a", b"")


def test_headers_count_towards_the_size_bound(start, policy):
    server = start(max_message_bytes=1_000)
    mta = FakeMTA(server.server_address[1])
    mta.negotiate()
    replies = mta.transaction(headers=[*HEADERS, ("X-Big", "z" * 2_000)], body=b"")
    assert replies == [(b"y", b"552 5.3.4 Message size exceeds fixed limit\0")]


def test_a_large_header_within_the_frame_bound_is_fine(mta, policy):
    policy.domain = None
    big = ("X-Long", "w" * 100_000)  # Postfix's header_size_limit is 102400
    assert mta.transaction(headers=[*HEADERS, big])[-1] == (b"a", b"")
    assert policy.checks[0]["headers"][-1] == big


def test_end_of_message_may_carry_the_last_body_chunk(mta, policy, conf):
    mta.mail("anna.admin@example.org", login="anna.admin")
    mta.rcpt("eltern-5a@example.org")
    for name, value in HEADERS:
        mta.header(name, value)
    mta.step(b"N", b"", milter.NR_EOH)
    mta.body(BODY[:10])
    mta.send(b"E", BODY[10:])  # Sendmail style
    replies = [mta.read()]
    while replies[-1][0] not in FINAL_REPLIES:
        replies.append(mta.read())
    records = dict([dkim.dns_record(conf, "example.org")])
    assert dkim.verify(wire(apply_changes(HEADERS, replies)), records)


@pytest.mark.parametrize(
    "frame",
    [
        struct.pack(">I", 0),  # empty frame
        struct.pack(">I", 0xFFFFFFFF) + b"B",  # absurd length
        struct.pack(">I", milter.DEFAULT_MAX_FRAME_BYTES + 1) + b"B",
        struct.pack(">I", 5) + b"Zabcd",  # unknown command
        struct.pack(">I", 4) + b"Lab\0",  # header without value
        struct.pack(">I", 5) + b"DMab\0",  # macro name without value
        struct.pack(">I", 3) + b"Mab",  # sender not NUL-terminated
        struct.pack(">I", 1) + b"E",  # end of message without a message
        struct.pack(">I", 5) + b"O\0\0\0\6",  # negotiation too short
        struct.pack(">I", 13) + b"O" + struct.pack(">III", 1, ALL_ACTIONS, ALL_PROTOCOL),
    ],
)
def test_malformed_frames_close_the_connection_and_the_server_keeps_serving(server, frame):
    bad = FakeMTA(server.server_address[1])
    bad.sock.sendall(frame)
    assert bad.closed_by_milter()
    bad.close()
    assert_serves(server)


def test_malformed_header_inside_a_message_closes_the_connection(server, mta):
    mta.mail("anna.admin@example.org")
    mta.send(b"L", b"Subject\0no terminator")
    assert mta.closed_by_milter()
    assert_serves(server)


def test_connection_ending_inside_a_frame_is_closed(server):
    bad = FakeMTA(server.server_address[1])
    bad.sock.sendall(struct.pack(">I", 3) + b"B")
    bad.sock.shutdown(socket.SHUT_WR)
    assert bad.closed_by_milter()
    assert_serves(server)


def assert_serves(server: MilterServer) -> None:
    good = FakeMTA(server.server_address[1])
    good.negotiate()
    assert good.transaction()[-1] == (b"a", b"")
    good.close()


def test_quit_closes_the_connection(mta):
    mta.send(b"Q")
    assert mta.closed_by_milter()


def test_quit_new_connection_keeps_the_socket_for_the_next_session(mta, policy):
    mta.mail("anna.admin@example.org", login="anna.admin")
    mta.send(b"K")
    assert mta.transaction(login=None)[-1] == (b"a", b"")
    assert policy.checks[0]["login"] is None


def test_idle_connections_are_closed(start):
    server = start(idle_timeout=0.3)
    mta = FakeMTA(server.server_address[1])
    mta.negotiate()
    started = time.monotonic()
    assert mta.closed_by_milter()
    assert time.monotonic() - started < 10


def test_a_frame_trickling_in_too_slowly_is_cut_off(start):
    server = start(idle_timeout=0.5)
    mta = FakeMTA(server.server_address[1])
    mta.sock.sendall(struct.pack(">I", 13))
    started = time.monotonic()
    for byte in b"O\0\0\0\x06\0\0\x01\xff\0\x1f\xff":
        time.sleep(0.1)
        try:
            mta.sock.sendall(bytes([byte]))
        except OSError:
            break
    assert mta.closed_by_milter()
    assert time.monotonic() - started < 10


def test_connections_beyond_the_limit_are_turned_away(start):
    server = start(max_connections=1)
    first = FakeMTA(server.server_address[1])
    first.negotiate()
    second = FakeMTA(server.server_address[1])
    assert second.closed_by_milter()
    first.close()
    for _ in range(50):  # the slot comes free once the first thread has ended
        third = FakeMTA(server.server_address[1])
        try:
            third.negotiate()
            break
        except (ConnectionError, OSError):
            third.close()
            time.sleep(0.05)
    else:
        raise AssertionError("the slot never came free")
    assert third.transaction()[-1] == (b"a", b"")


def test_shutdown_closes_open_connections_and_the_port(conf, policy):
    server = MilterServer("127.0.0.1", 0, policy, lambda d, m: None)
    serve_in_background(server)
    mta = FakeMTA(server.server_address[1])
    mta.negotiate()
    server.shutdown()
    assert mta.closed_by_milter()
    with pytest.raises(ConnectionRefusedError):
        FakeMTA(server.server_address[1])


def test_shutdown_before_serving_does_not_hang(policy):
    MilterServer("127.0.0.1", 0, policy, lambda d, m: None).shutdown()


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.1", "localhost", "::1"])
def test_listens_on_loopback_only(policy, host):
    with pytest.raises(ValueError):
        MilterServer(host, 0, policy, lambda d, m: None)


def test_too_many_recipients_are_refused(mta, policy, monkeypatch):
    monkeypatch.setattr(milter, "MAX_RECIPIENTS", 2)
    replies = mta.transaction(recipients=("a@example.org", "b@example.org", "c@example.org"))
    assert replies == [(b"y", b"452 4.5.3 Too many recipients\0")]
    assert policy.checks == []


def test_too_many_headers_are_refused(mta, policy, monkeypatch):
    monkeypatch.setattr(milter, "MAX_HEADERS", 3)
    assert mta.transaction() == [(b"y", b"552 5.3.4 Too many header fields\0")]


def test_signer_returning_something_else_defers_the_message(start, policy):
    server = start(signer=lambda domain, message: b"X-Not-A-Signature: 1\r\n")
    mta = FakeMTA(server.server_address[1])
    mta.negotiate()
    assert mta.transaction() == [(b"y", b"451 4.3.0 Internal error, try again later\0")]


def test_mta_that_does_not_allow_adding_headers_gets_a_deferral(server, policy):
    mta = FakeMTA(server.server_address[1], actions=milter.ACTION_CHGHDRS)
    mta.negotiate()
    assert mta.transaction()[0] == (b"y", b"451 4.3.0 Internal error, try again later\0")


def test_the_listeners_name_reaches_the_policy(mta, policy):
    mta.negotiate()
    mta.transaction(login=None, sender="", daemon="SCHULHOF-REPLIES")
    [check] = policy.checks
    assert check["daemon"] == "SCHULHOF-REPLIES" and check["login"] is None
    [sign_call] = policy.sign_calls
    assert sign_call["daemon"] == "SCHULHOF-REPLIES"

"""Benchmark of Schulhof's Dovecot against a plain Dovecot, in one run.

Schulhof's Dovecot reads users from the SQL view in Schulhof's database and asks the login
policy (the one authentication service, over HTTP) after every correct password, then
reports the result. The reference is a plain Dovecot of the same version with a passwd-file
holding the same Argon2id hash, no policy server, the same Maildir layout. Both get the
same 5,000 messages.

Measured:

- IMAP logins per second (connect, LOGIN, LOGOUT) with ``--clients`` parallel clients;
- ``UID FETCH 1:* (FLAGS ENVELOPE)`` on the 5,000-message INBOX (median of ``--fetches``).

Goals (issue 6): logins ≥ 0.5× the plain Dovecot, FETCH ≈ 1×. Run by hand as root (Postfix
is not needed; Dovecot needs the mail system user):

    .venv/bin/python bench/bench_mail.py [--messages 5000] [--seconds 10] [--clients 4]

``DATABASE_URL=postgresql://…`` measures against PostgreSQL instead of SQLite.
"""

from __future__ import annotations

import argparse
import imaplib
import os
import shutil
import signal
import smtplib
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

PASSWORD = "Bench-Passwort-2026"  # noqa: S105 - a benchmark password


def setup_django(data_dir: Path) -> None:
    os.environ["SCHULHOF_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "schulhof.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def plain_dovecot(root: Path, user: str, password_hash: str, port: int, lmtp: int) -> list[str]:
    """A minimal Dovecot with a passwd-file: the reference."""
    from schulhof.mail.conf import mail_conf

    conf = mail_conf()
    (root / "run").mkdir(parents=True)
    (root / "boxes").mkdir()
    os.chmod(root, 0o755)  # noqa: S103 - the mail user must enter
    shutil.chown(root / "boxes", conf.system_uid, conf.system_gid)
    (root / "passwd").write_text(
        "%s:%s:%d:%d::%s/boxes/%s\n"
        % (user, password_hash, conf.system_uid, conf.system_gid, root, user)
    )
    os.chmod(root / "passwd", 0o644)
    config = root / "dovecot.conf"
    config.write_text(
        "\n".join(
            [
                "instance_name = bench-plain",
                "base_dir = %s/run" % root,
                "state_dir = %s/run" % root,
                "protocols = imap lmtp",
                "listen = 127.0.0.1",
                "log_path = %s/dovecot.log" % root,
                "ssl = no",
                "disable_plaintext_auth = no",
                "auth_mechanisms = plain login",
                "auth_cache_size = 0",
                "first_valid_uid = %d" % conf.system_uid,
                "first_valid_gid = %d" % conf.system_gid,
                "mail_location = maildir:~/Maildir",
                "passdb {",
                "  driver = passwd-file",
                "  args = %s/passwd" % root,
                "}",
                "userdb {",
                "  driver = passwd-file",
                "  args = %s/passwd" % root,
                "}",
                "service imap-login {",
                "  inet_listener imap {",
                "    port = %d" % port,
                "  }",
                "  inet_listener imaps {",
                "    port = 0",
                "  }",
                "  process_min_avail = 2",
                "}",
                "service lmtp {",
                "  inet_listener lmtp {",
                "    address = 127.0.0.1",
                "    port = %d" % lmtp,
                "  }",
                "}",
                "",
            ]
        )
    )
    return ["/usr/sbin/dovecot", "-F", "-c", str(config)]


def fill(target: str | int, address: str, count: int) -> None:
    """Deliver ``count`` messages over LMTP (a Unix socket path, or a port on 127.0.0.1)."""
    host, port = (target, 0) if isinstance(target, str) else ("127.0.0.1", target)
    with smtplib.LMTP(host, port, timeout=60) as lmtp:
        for number in range(count):
            body = (
                "From: Person %d <person%d@example.org>\r\nTo: %s\r\n"
                "Subject: Nachricht %d über den Stundenplan\r\n"
                "Date: Thu, 26 Nov 2026 10:%02d:00 +0100\r\n"
                "Message-ID: <bench-%d@example.org>\r\n\r\nText %d\r\n"
                % (number, number, address, number, number % 60, number, number)
            )
            lmtp.sendmail("bench@example.org", [address], body.encode())


def logins_per_second(port: int, username: str, seconds: float, clients: int) -> float:
    deadline = time.monotonic() + seconds
    counts = [0] * clients
    errors: list[str] = []

    def run(index: int) -> None:
        while time.monotonic() < deadline:
            try:
                client = imaplib.IMAP4("127.0.0.1", port, timeout=30)
                client.login(username, PASSWORD)
                client.logout()
                counts[index] += 1
            except (OSError, imaplib.IMAP4.error) as error:
                errors.append(str(error))
                return

    started = time.monotonic()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 60)
    elapsed = time.monotonic() - started
    if errors:
        print("  errors:", errors[:3], file=sys.stderr)
    return sum(counts) / elapsed


def open_inbox(port: int, username: str) -> imaplib.IMAP4:
    client = imaplib.IMAP4("127.0.0.1", port, timeout=120)
    client.login(username, PASSWORD)
    client.select("INBOX", readonly=True)
    return client


def fetch_once(client: imaplib.IMAP4) -> tuple[float, int]:
    """Seconds for one ``UID FETCH 1:* (FLAGS ENVELOPE)`` and the messages it returned."""
    start = time.perf_counter()
    typ, data = client.uid("FETCH", "1:*", "(FLAGS ENVELOPE)")
    elapsed = time.perf_counter() - start
    if typ != "OK":
        raise RuntimeError("FETCH failed: %r" % data[:1])
    # Items are bytes, or (bytes, literal) tuples where an envelope has a literal string.
    heads = [item[0] if isinstance(item, tuple) else item for item in data]
    return elapsed, sum(1 for head in heads if isinstance(head, bytes) and b"UID " in head)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--fetches", type=int, default=15)
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="schulhof-bench-mail-"))
    os.chmod(root, 0o755)  # noqa: S103
    plain_process = None
    stack = None
    try:
        setup_django(root / "data")
        from django.contrib.auth.hashers import make_password

        from schulhof.accounts.hashers import SchulhofArgon2PasswordHasher
        from schulhof.accounts.models import Role, User
        from schulhof.mail.testing import MailStack, free_port_block, wait_for_port

        encoded = make_password(PASSWORD, hasher=SchulhofArgon2PasswordHasher())
        user = User.objects.create(
            username="leon.schmidt",
            first_name="Leon",
            last_name="Schmidt",
            role=Role.TEACHER,  # no consent gate for teachers
            password=encoded,
        )
        stack = MailStack(root / "stack").start()
        ports = free_port_block(2)
        argv = plain_dovecot(
            root / "plain",
            user.username,
            "{ARGON2ID}" + encoded[len("argon2") :],
            ports,
            ports + 1,
        )
        plain_process = subprocess.Popen(argv, start_new_session=True)
        wait_for_port(ports)
        wait_for_port(ports + 1)

        print("Filling both INBOXes with %d messages …" % args.messages, flush=True)
        fill(str(stack.conf.lmtp_socket), "leon.schmidt@schule.test", args.messages)
        fill(ports + 1, "leon.schmidt", args.messages)

        # Interleaved, so that load from elsewhere hits both alike.
        servers = {"schulhof": stack.conf.imap_port, "plain": ports}
        clients = {name: open_inbox(port, user.username) for name, port in servers.items()}
        fetches: dict[str, list[float]] = {name: [] for name in servers}
        lines: dict[str, int] = {}
        for _ in range(args.fetches):
            for name, client in clients.items():
                elapsed, lines[name] = fetch_once(client)
                fetches[name].append(elapsed)
        for client in clients.values():
            client.logout()
        rates: dict[str, list[float]] = {name: [] for name in servers}
        rounds = 3
        for _ in range(rounds):
            for name, port in servers.items():
                rates[name].append(
                    logins_per_second(port, user.username, args.seconds / rounds, args.clients)
                )
        results = {
            name: (statistics.mean(rates[name]), statistics.median(fetches[name]), lines[name])
            for name in servers
        }
        from schulhof.accounts.models import LoginAttempt

        recorded = LoginAttempt.objects.filter(username=user.username, success=True).count()
        print()
        print("%-28s %14s %14s" % ("", "Schulhof", "plain Dovecot"))
        print(
            "%-28s %14.1f %14.1f   ratio %.2f (goal ≥ 0.5)"
            % (
                "IMAP logins per second",
                results["schulhof"][0],
                results["plain"][0],
                results["schulhof"][0] / results["plain"][0],
            )
        )
        print(
            "%-28s %12.1f ms %12.1f ms   ratio %.2f (goal ≈ 1)"
            % (
                "UID FETCH 1:* (median)",
                results["schulhof"][1] * 1000,
                results["plain"][1] * 1000,
                results["plain"][1] / results["schulhof"][1],
            )
        )
        print("%-28s %14d %14d" % ("messages fetched", results["schulhof"][2], results["plain"][2]))
        print("Schulhof recorded %d successful logins (audited)." % recorded)
    finally:
        if plain_process is not None:
            os.killpg(plain_process.pid, signal.SIGTERM)
            plain_process.wait(timeout=15)
        if stack is not None:
            stack.stop()
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

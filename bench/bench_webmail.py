"""Benchmark of the webmail's message list on a large folder.

Starts real Dovecot and Postfix (``schulhof.mail.testing.MailStack``) on a fresh data folder,
fills one person's inbox with 10,000 messages (MULTIAPPEND in batches, as the webmail's
master user), then requests the list page through Django (the whole view: login check,
IMAP login, folder list with counts, ``UID SORT``, the page's headers, the template) many
times, for several sort orders, a later page and a search. Run by hand:

    .venv/bin/python bench/bench_webmail.py [--messages 10000] [--runs 30]

Target (issue "Mail", item 6): median ≤ 300 ms for the list page.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid

TARGET_MS = 300.0
BATCH = 250

FIRST = ["Anna", "Ben", "Chiara", "Deniz", "Emil", "Fatma", "Greta", "Hüseyin", "Ida", "Jonas"]
LAST = ["Schmidt", "Özdemir", "Müller", "Nowak", "Weiß", "Kaya", "Becker", "Jäger", "Lang"]
TOPICS = [
    "Hausaufgaben",
    "Klassenfahrt nach Köln",
    "Elternabend",
    "Referat über Vulkane",
    "Vertretungsplan",
    "Mathe-AG",
    "Zeugniskonferenz",
    "Bücherliste",
    "Sportfest – Anmeldung",
    "Projektwoche",
]
WORDS = [
    "bitte",
    "denkt",
    "an",
    "die",
    "Unterlagen",
    "für",
    "morgen",
    "wir",
    "treffen",
    "uns",
    "um",
    "acht",
    "Uhr",
    "vor",
    "dem",
    "Haupteingang",
    "die",
    "Aufgaben",
    "stehen",
    "im",
    "Buch",
    "auf",
    "Seite",
    "viele",
    "Grüße",
    "und",
    "bis",
    "bald",
]


def make_messages(count: int, domain: str, seed: int = 7) -> list[tuple[bytes, str]]:
    """``count`` varied messages (sender, subject, date, size) with their flags."""
    rng = random.Random(seed)
    start = datetime(2025, 8, 1, 7, 0, tzinfo=UTC)
    result = []
    for index in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        message = EmailMessage(policy=SMTP)
        message["From"] = "%s %s <%s.%s@%s>" % (first, last, first.lower(), last.lower(), domain)
        message["To"] = "bench.person@%s" % domain
        message["Subject"] = "%s (%d)" % (rng.choice(TOPICS), index)
        message["Date"] = format_datetime(start + timedelta(minutes=13 * index))
        message["Message-ID"] = make_msgid(domain=domain)
        if index % 50 == 0:
            message["X-Schulhof-Elterninfo"] = "1"
        body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(40, 400)))
        message.set_content(body + "\n")
        if index % 20 == 0:
            message.add_attachment(
                os.urandom(rng.randint(2000, 30000)),
                maintype="application",
                subtype="pdf",
                filename="Arbeitsblatt %d.pdf" % index,
            )
        flags = "(\\Seen)" if rng.random() < 0.8 else "()"
        result.append((message.as_bytes(), flags))
    return result


def fill(username: str, messages: list[tuple[bytes, str]]) -> float:
    """Append the messages to the inbox with MULTIAPPEND (RFC 3502) and LITERAL+, in
    batches; returns the seconds it took."""
    from schulhof.mail.webmail import imap

    session = imap.connect(username)
    connection = session.connection
    started = time.perf_counter()
    try:
        for first in range(0, len(messages), BATCH):
            parts = []
            for raw, flags in messages[first : first + BATCH]:
                parts.append(b"%s {%d+}\r\n%s" % (flags.encode(), len(raw), raw))
            tag = connection._new_tag()
            connection.tagged_commands[tag] = None
            connection.send(tag + b" APPEND INBOX " + b" ".join(parts) + b"\r\n")
            typ, data = connection._command_complete("APPEND", tag)
            if typ != "OK":
                raise RuntimeError("APPEND failed: %r" % data)
    finally:
        session.close()
    return time.perf_counter() - started


def timed(call: Callable[[], object], runs: int) -> list[float]:
    values = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        values.append((time.perf_counter() - start) * 1000)
    return values


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="Keep the temporary data folders.")
    args = parser.parse_args()

    os.environ["DJANGO_SETTINGS_MODULE"] = "schulhof.settings_test"
    mail_root = tempfile.mkdtemp(prefix="schulhof-bench-webmail-")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse

    from schulhof.accounts.hashers import SchulhofArgon2PasswordHasher
    from schulhof.accounts.tests.factories import make_user
    from schulhof.mail import addresses
    from schulhof.mail.testing import MailStack
    from schulhof.mail.webmail import imap

    call_command("migrate", verbosity=0)
    user = make_user(
        username="bench.person",
        first_name="Bench",
        last_name="Person",
        teacher=True,
        password=make_password("Bench-Passwort-2026", hasher=SchulhofArgon2PasswordHasher()),
    )
    stack = MailStack(root=mail_root)
    stack.start()
    try:
        domain = addresses.mail_domain()
        print("Data folder: %s" % settings.DATA_DIR)
        print("Cores:       %d, load %.2f %.2f %.2f" % (os.cpu_count() or 1, *os.getloadavg()))
        start = time.perf_counter()
        messages = make_messages(args.messages, domain)
        made = time.perf_counter() - start
        size = sum(len(raw) for raw, _flags in messages)
        seconds = fill(user.username, messages)
        print(
            "Filled:      %d messages, %.1f MB (made in %.1f s, appended in %.1f s)"
            % (len(messages), size / 1e6, made, seconds)
        )

        client = Client(SERVER_NAME="localhost")
        client.force_login(user)
        inbox = reverse("webmail:home")
        cases = [
            ("list, newest first", inbox),
            ("list, by sender", inbox + "?sort=sender&order=asc"),
            ("list, by subject", inbox + "?sort=subject&order=desc"),
            ("list, page 150", inbox + "?seite=150"),
            ("list, unread only", inbox + "?nur=unseen"),
            ("search subject", inbox + "?q=Vulkane&in=subject"),
            ("search sender", inbox + "?q=%C3%96zdemir&in=from"),
        ]

        def get(url: str) -> Callable[[], object]:
            def call() -> object:
                response = client.get(url)
                assert response.status_code == 200, response.status_code
                return response

            return call

        print()
        print("%-28s %9s %9s %9s %9s" % ("page (ms)", "first", "median", "p95", "max"))
        medians = {}
        for title, url in cases:
            first = timed(get(url), 1)[0]
            values = timed(get(url), args.runs)
            medians[title] = statistics.median(values)
            print(
                "%-28s %9.1f %9.1f %9.1f %9.1f"
                % (title, first, medians[title], p95(values), max(values))
            )

        # The IMAP part alone (login, LIST-STATUS, SORT, FETCH of one page), for comparison.
        def imap_only() -> None:
            with imap.session_for(user.username) as mail:
                mail.folders()
                mail.listing(mail.special_or_error("inbox"), page=1, per_page=50)

        values = timed(imap_only, args.runs)
        print(
            "%-28s %9s %9.1f %9.1f %9.1f"
            % ("IMAP only (newest first)", "", statistics.median(values), p95(values), max(values))
        )
        print()
        verdict = "OK" if medians["list, newest first"] <= TARGET_MS else "MISSED"
        print(
            "list page median %.1f ms, target %.0f ms: %s"
            % (medians["list, newest first"], TARGET_MS, verdict)
        )
        return 0
    finally:
        stack.stop()
        if args.keep:
            print("Data folders kept: %s, %s" % (settings.DATA_DIR, mail_root))
        else:
            shutil.rmtree(mail_root, ignore_errors=True)
            shutil.rmtree(str(settings.DATA_DIR), ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

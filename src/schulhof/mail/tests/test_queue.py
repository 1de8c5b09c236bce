"""Postfix's queue for admins: parsed from ``postqueue -j``, shown by domain, flushed and
cleared through audited actions (against a real Postfix whose smarthost is down)."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from schulhof.accounts.tests.factories import make_user
from schulhof.core.models import AuditLogEntry
from schulhof.mail import queue
from schulhof.mail.testing import MailStack

pytestmark = pytest.mark.mail


def test_parse_groups_by_recipient_domain_and_hides_addresses() -> None:
    lines = [
        {
            "queue_name": "deferred",
            "arrival_time": 1795740000,
            "recipients": [
                {"address": "oma@example.org", "delay_reason": "connect refused"},
                {"address": "opa@example.org", "delay_reason": "connect refused"},
            ],
        },
        {
            "queue_name": "active",
            "arrival_time": 1795743600,
            "recipients": [{"address": "x@provider.de"}],
        },
        {
            "queue_name": "deferred",
            "arrival_time": 1795700000,
            "recipients": [{"address": "tante@example.org", "delay_reason": "timeout"}],
        },
    ]
    output = "\n".join(json.dumps(line) for line in lines) + "\nkaputt\n"
    messages, deferred, domains = queue.parse(output)
    assert (messages, deferred) == (3, 2)
    first = domains[0]
    assert (first.domain, first.messages, first.deferred) == ("example.org", 2, 2)
    assert first.oldest is not None and first.oldest.timestamp() == 1795700000
    assert first.reason in ("connect refused", "timeout")
    assert domains[1].domain == "provider.de" and domains[1].deferred == 0


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def stuck_stack(transactional_db: None, tmp_path: Path) -> Iterator[MailStack]:
    """Servers whose smarthost does not answer: outgoing mail is deferred."""
    from schulhof.core.testing import migration_rows_flushed
    from schulhof.mail.tests.conftest import grant_default_mail_privileges

    stack = MailStack(tmp_path / "stack", smarthost="127.0.0.1:%d" % closed_port())
    grant_default_mail_privileges()
    stack.start()
    try:
        yield stack
    finally:
        stack.settle()
        stack.stop()
        migration_rows_flushed()


def wait_for_deferred(stack: MailStack, timeout: float = 30) -> queue.QueueState:
    deadline = time.monotonic() + timeout
    current = queue.state(stack.conf)
    while current.deferred == 0 and time.monotonic() < deadline:
        time.sleep(0.3)
        current = queue.state(stack.conf)
    return current


def test_admin_sees_stuck_mail_by_domain_retries_and_deletes_it(
    stuck_stack: MailStack, client: Client
) -> None:
    teacher = stuck_stack.create_mail_user(username="thomas.mueller", teacher=True)
    msg = EmailMessage()
    msg["From"] = "thomas.mueller@schule.test"
    msg["To"] = "eltern.mustermann@example.org"
    msg["Subject"] = "Elternabend"
    msg.set_content("Einladung")
    with stuck_stack.submission() as smtp:
        smtp.login(teacher.username, teacher.test_password)
        smtp.send_message(msg)
    state = wait_for_deferred(stuck_stack)
    assert state.available and state.deferred == 1
    assert [d.domain for d in state.domains] == ["example.org"]

    admin = make_user(admin=True, username="katrin.berger")
    client.force_login(admin)
    page = client.get(reverse("mailadmin:settings")).content.decode()
    assert "1 E-Mail wartet auf Zustellung, davon 1 zurückgestellt." in page
    assert "<code>example.org</code>" in page
    assert "Connection refused" in page or "connect to" in page
    assert "eltern.mustermann" not in page  # domains only

    response = client.post(reverse("mailadmin:queue_flush"), follow=True)
    assert "versucht jetzt alle wartenden E-Mails erneut" in response.content.decode()
    assert AuditLogEntry.objects.filter(event_type="mail:queue:flush").count() == 1

    wait_for_deferred(stuck_stack)
    response = client.post(reverse("mailadmin:queue_delete_deferred"), follow=True)
    assert "1 zurückgestellte E-Mail gelöscht." in response.content.decode()
    entry = AuditLogEntry.objects.get(event_type="mail:queue:delete")
    assert entry.details == {"deleted": 1, "domains": ["example.org"]}
    assert queue.state(stuck_stack.conf).messages == 0
    assert "Keine E-Mail wartet" in client.get(reverse("mailadmin:settings")).content.decode()


def test_only_admins_and_only_post(stuck_stack: MailStack, client: Client) -> None:
    client.force_login(make_user(username="thomas.mueller", teacher=True))
    assert client.post(reverse("mailadmin:queue_flush")).status_code == 403
    assert client.post(reverse("mailadmin:queue_delete_deferred")).status_code == 403
    client.force_login(make_user(admin=True, username="katrin.berger"))
    assert client.get(reverse("mailadmin:queue_flush")).status_code == 405


def test_without_postfix_the_page_says_so(tmp_path: Path) -> None:
    import dataclasses

    from schulhof.mail.conf import mail_conf

    conf = dataclasses.replace(mail_conf(), root=tmp_path)
    state = queue.state(conf)
    assert not state.available and "Postfix läuft auf diesem Server nicht" in state.error

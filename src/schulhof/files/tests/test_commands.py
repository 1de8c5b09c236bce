"""``schulhof quota``."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from schulhof.accounts.models import User
from schulhof.core.audit import AuditEvent
from schulhof.core.models import AuditLogEntry
from schulhof.files import actions
from schulhof.files.management.commands.quota import parse_size
from schulhof.files.storage import Space

GIB = 1024**3


def run(*args: str) -> str:
    out = StringIO()
    call_command("quota", *args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("5G", 5 * GIB),
        ("500M", 500 * 1024**2),
        ("1.5G", int(1.5 * GIB)),
        ("2GB", 2 * GIB),
        ("750MiB", 750 * 1024**2),
        ("1024", 1024),
        ("10k", 10 * 1024),
        ("none", None),
        ("default", None),
    ],
)
def test_parse_size(text: str, size: int | None) -> None:
    assert parse_size(text) == size


def test_parse_size_refuses_nonsense() -> None:
    with pytest.raises(CommandError):
        parse_size("viel")


def test_show_and_set(owner: User, space: Space) -> None:
    actions.do_write_file(space, "a.txt", [b"x" * 100], acting_user=owner)
    data = json.loads(run("lena.lang", "--json"))
    assert data == {"files": 100, "mail": 0, "used": 100, "limit": 2 * GIB}
    assert "role default" in run("lena.lang")
    data = json.loads(run("lena.lang", "--set", "5G", "--json"))
    assert data["limit"] == 5 * GIB
    assert "personal" in run("Lena.Lang")
    assert AuditLogEntry.objects.filter(event_type=AuditEvent.FILES_QUOTA_SET).exists()
    assert json.loads(run("lena.lang", "--set", "none", "--json"))["limit"] == 2 * GIB


def test_unknown_user(db: None) -> None:
    with pytest.raises(CommandError):
        run("niemand.da")

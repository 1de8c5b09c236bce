"""``schulhof quota USERNAME [--set SIZE] [--json]``: show a user's usage, set an override."""

from __future__ import annotations

import json
import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from schulhof.accounts.models import User, get_system_actor
from schulhof.files.actions import do_set_quota_override
from schulhof.files.quota import ledger_for
from schulhof.files.storage import usage_for_user, user_space

_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}
_SIZE = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*([KMGT]?)(?:I?B)?\s*$", re.IGNORECASE)


def parse_size(text: str) -> int | None:
    """``5G``, ``500M``, ``1.5G``, ``2GB``, ``750MiB``, ``123456`` (bytes) → bytes; ``none`` or
    ``default`` → None (back to the role default). Units are binary (1 G = 1024³ bytes), as
    the role defaults in the school settings."""
    if text.strip().lower() in ("none", "default", "standard"):
        return None
    match = _SIZE.match(text)
    if match is None:
        raise CommandError("Cannot read size %r (use e.g. 5G, 500M or none)." % text)
    number = float(match.group(1).replace(",", "."))
    return int(number * _UNITS[match.group(2).upper()])


def human(size: int) -> str:
    """Bytes as a short binary size (``1.5 GiB``)."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(value) < 1024 or unit == "GiB":
            return ("%d %s" % (value, unit)) if unit == "B" else ("%.1f %s" % (value, unit))
        value /= 1024
    return "%d B" % size  # pragma: no cover


class Command(BaseCommand):
    help = (
        "Show a user's storage usage (files including trash, plus mail) against the limit; "
        "--set SIZE sets a personal limit (5G, 500M, none = back to the role default)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--set", dest="size", help="New personal limit, e.g. 5G, 500M, none.")
        parser.add_argument("--json", action="store_true", help="Print usage as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.people().filter(username=options["username"].strip().lower()).first()
        if user is None:
            raise CommandError("No user %r." % options["username"])
        if options["size"] is not None:
            limit = parse_size(options["size"])
            do_set_quota_override(user, limit, acting_user=get_system_actor())
        usage = usage_for_user(user)
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "files": usage.files,
                        "mail": usage.mail,
                        "used": usage.used,
                        "limit": usage.limit,
                    }
                )
            )
            return
        override = ledger_for(user_space(user)).limit_override is not None
        self.stdout.write(
            "%s: %s of %s used (%d %%): files %s, mail %s; limit %s"
            % (
                user.username,
                human(usage.used),
                human(usage.limit),
                usage.percent,
                human(usage.files),
                human(usage.mail),
                "personal" if override else "role default",
            )
        )

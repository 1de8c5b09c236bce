"""A user's mail usage, as Dovecot counts it, for the one quota shared with files.

Dovecot keeps Maildir++ quota: ``<home>/Maildir/maildirsize`` starts with the limit line and
then has one ``<bytes> <messages>`` line per change; their sum is the usage. Dovecot's limit
is the personal quota minus the files' usage (the SQL view ``schulhof_mail_users``); the
files module subtracts this usage from what files may take.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from schulhof.mail.conf import mail_conf

if TYPE_CHECKING:
    from schulhof.accounts.models import User

logger = logging.getLogger(__name__)

# maildirsize is rewritten by Dovecot when it grows past a few KiB; read at most this much.
MAX_MAILDIRSIZE = 1024 * 1024
# Fallback walk over a Maildir without maildirsize: bounded in files.
MAX_WALK_FILES = 500_000
_SIZE_IN_NAME = re.compile(r",S=(\d+)")


def maildir_of(user_id: int) -> Path:
    return mail_conf().mailbox_home(user_id) / "Maildir"


def parse_maildirsize(text: str) -> int:
    """Bytes used according to a maildirsize file (the first line holds the limits)."""
    total = 0
    for line in text.splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 1:
            try:
                total += int(parts[0])
            except ValueError:
                continue
    return max(0, total)


def _walk_usage(maildir: Path) -> int:
    total = 0
    seen = 0
    for dirpath, _dirnames, filenames in os.walk(maildir):
        if os.path.basename(dirpath) not in ("cur", "new"):
            continue
        for name in filenames:
            seen += 1
            if seen > MAX_WALK_FILES:
                return total
            match = _SIZE_IN_NAME.search(name)
            if match:
                total += int(match.group(1))
            else:
                try:
                    total += os.stat(os.path.join(dirpath, name)).st_size
                except OSError:
                    continue
    return total


def mailbox_usage(user_id: int) -> int:
    maildir = maildir_of(user_id)
    try:
        with (maildir / "maildirsize").open("r", encoding="ascii", errors="replace") as handle:
            return parse_maildirsize(handle.read(MAX_MAILDIRSIZE))
    except FileNotFoundError:
        pass
    if not maildir.is_dir():
        return 0
    return _walk_usage(maildir)


def mail_usage_bytes(user: User) -> int:
    """The quota provider registered with the files module."""
    if not mail_conf().enabled or user.pk is None:
        return 0
    return mailbox_usage(user.pk)

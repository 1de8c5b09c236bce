"""Postfix's queue for admins: what waits, grouped by the recipients' domains, why it waits,
and the two things an admin does about it (try again now, give up on deferred mail).

Only domains are shown, never whole addresses or subjects: enough to see that, say, mail to
one provider is stuck because the smarthost refuses the login, without reading who writes to
whom.
"""

from __future__ import annotations

import json
import logging
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from schulhof.mail.conf import MailConf

logger = logging.getLogger(__name__)

POSTQUEUE = "/usr/sbin/postqueue"
POSTSUPER = "/usr/sbin/postsuper"
TIMEOUT = 30
MAX_REASON = 300


@dataclass
class QueuedDomain:
    domain: str
    messages: int = 0
    deferred: int = 0
    oldest: datetime | None = None
    reason: str = ""


@dataclass
class QueueState:
    """``available``: Postfix runs here and answered; ``error``: why not, for admins."""

    available: bool
    error: str = ""
    messages: int = 0
    deferred: int = 0
    domains: list[QueuedDomain] = field(default_factory=list)


def config_dir(conf: MailConf) -> Path:
    return conf.root / "postfix"


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - fixed programs, our own config folder
        argv, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )


def _domain(address: str) -> str:
    return address.rpartition("@")[2].lower() or "?"


def parse(output: str) -> tuple[int, int, list[QueuedDomain]]:
    """``postqueue -j`` output (one JSON object per message) grouped by recipient domain,
    the domains with the most waiting messages first."""
    domains: dict[str, QueuedDomain] = {}
    messages = deferred = 0
    for line in output.splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if not isinstance(item, dict):
            continue
        messages += 1
        is_deferred = item.get("queue_name") == "deferred"
        deferred += is_deferred
        try:
            arrival = datetime.fromtimestamp(int(item.get("arrival_time", 0)), tz=UTC)
        except (TypeError, ValueError, OverflowError, OSError):
            arrival = None
        seen: set[str] = set()
        for recipient in item.get("recipients") or []:
            if not isinstance(recipient, dict):
                continue
            name = _domain(str(recipient.get("address", "")))
            entry = domains.setdefault(name, QueuedDomain(name))
            if name not in seen:
                seen.add(name)
                entry.messages += 1
                entry.deferred += is_deferred
                if arrival and (entry.oldest is None or arrival < entry.oldest):
                    entry.oldest = arrival
            reason = str(recipient.get("delay_reason") or "")
            if reason:
                entry.reason = reason[:MAX_REASON]
    ordered = sorted(domains.values(), key=lambda d: (-d.messages, d.domain))
    return messages, deferred, ordered


def state(conf: MailConf) -> QueueState:
    folder = config_dir(conf)
    if not (folder / "main.cf").exists():
        return QueueState(False, "Postfix läuft auf diesem Server nicht (es braucht root).")
    try:
        result = _run([POSTQUEUE, "-c", str(folder), "-j"])
    except (OSError, subprocess.TimeoutExpired) as error:
        logger.warning("postqueue failed: %s", error)
        return QueueState(False, "Die Warteschlange ließ sich nicht lesen.")
    if result.returncode != 0:
        logger.warning("postqueue failed: %s", result.stderr.strip()[:500])
        return QueueState(False, "Postfix antwortet nicht. Läuft Schulhof mit allen Diensten?")
    messages, deferred, domains = parse(result.stdout)
    return QueueState(True, messages=messages, deferred=deferred, domains=domains)


def flush(conf: MailConf) -> None:
    """Try every waiting message again now."""
    result = _run([POSTQUEUE, "-c", str(config_dir(conf)), "-f"])
    if result.returncode != 0:
        raise OSError(result.stderr.strip() or "postqueue -f failed")


def delete_deferred(conf: MailConf) -> int:
    """Give up on every deferred message (the senders get no bounce); how many."""
    result = _run([POSTSUPER, "-c", str(config_dir(conf)), "-d", "ALL", "deferred"])
    if result.returncode != 0:
        raise OSError(result.stderr.strip() or "postsuper -d failed")
    # "postsuper: Deleted: 3 messages"
    for word in result.stderr.replace(":", " ").split():
        if word.isdigit():
            return int(word)
    return 0

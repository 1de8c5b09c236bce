"""Postfix's lookup tables, answered from Schulhof's database (``socketmap:`` protocol).

Postfix asks with a netstring ``<len>:<map> <key>,`` and gets ``OK <value>``, ``NOTFOUND ``,
``TEMP <reason>`` or ``PERM <reason>`` back, also as a netstring. The maps:

- ``domains``: the domains the school receives mail for (virtual_mailbox_domains);
- ``mailboxes``: addresses with a mailbox (virtual_mailbox_maps);
- ``aliases``: where an alias or a group address delivers (virtual_alias_maps);
- ``senders``: who may use an address as sender (smtpd_sender_login_maps).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import DatabaseError

from schulhof.mail import addresses
from schulhof.mail.gate.base import GateHandler

logger = logging.getLogger(__name__)

MAX_REQUEST = 10_000
# Postfix's socketmap_max_reply_size default is 100,000 bytes.
MAX_REPLY = 100_000


def lookup_domains(key: str) -> str | None:
    return "OK" if key.lower() in addresses.local_domains() else None


def lookup_mailboxes(key: str) -> str | None:
    resolution = addresses.resolve(key)
    if resolution is not None and resolution.kind == "mailbox":
        return "OK"
    return None


def lookup_aliases(key: str) -> str | None:
    resolution = addresses.resolve(key)
    if resolution is None or resolution.kind == "mailbox":
        return None
    targets = addresses.expand(key)
    return ",".join(targets) if targets else None


def lookup_senders(key: str) -> str | None:
    owners = addresses.owners_of(key)
    return ",".join(owners) if owners else None


MAPS: dict[str, Callable[[str], str | None]] = {
    "domains": lookup_domains,
    "mailboxes": lookup_mailboxes,
    "aliases": lookup_aliases,
    "senders": lookup_senders,
}


def answer(request: str) -> str:
    """The reply to one request ``"<map> <key>"`` (without the netstring framing)."""
    name, _sep, key = request.partition(" ")
    func = MAPS.get(name)
    if func is None:
        return "PERM unknown map"
    key = key.strip()
    # Postfix also asks for partial keys ("@domain", "user@") with some tables; none match.
    if not key or key.startswith("@") or key.endswith("@"):
        return "NOTFOUND "
    try:
        value = func(key)
    except DatabaseError:
        logger.exception("socketmap lookup %s failed", name)
        return "TEMP database unavailable"
    if value is None:
        return "NOTFOUND "
    reply = "OK " + value
    if len(reply) > MAX_REPLY - 16:
        return "PERM list too long"
    return reply


def read_netstring(stream: object, limit: int = MAX_REQUEST) -> bytes | None:
    """One netstring from ``stream`` (a binary file), or None at a clean end of stream."""
    reader = stream.read  # type: ignore[attr-defined]
    digits = b""
    while True:
        ch = reader(1)
        if not ch:
            if digits:
                raise ValueError("truncated netstring length")
            return None
        if ch == b":":
            break
        if not ch.isdigit() or len(digits) > 6:
            raise ValueError("bad netstring length")
        digits += ch
    length = int(digits or b"0")
    if length > limit:
        raise ValueError("netstring too long")
    data = reader(length)
    if len(data) != length or reader(1) != b",":
        raise ValueError("bad netstring")
    return bytes(data)


def netstring(text: str) -> bytes:
    data = text.encode("utf-8")
    return b"%d:%s," % (len(data), data)


class SocketmapHandler(GateHandler):
    def serve(self) -> None:
        for _ in range(1_000_000):  # bounded: one connection serves at most this many
            try:
                request = read_netstring(self.rfile)
            except ValueError:
                return
            if request is None:
                return
            reply = self.run_query(answer, request.decode("utf-8", "replace"))
            self.wfile.write(netstring(reply))
            self.wfile.flush()

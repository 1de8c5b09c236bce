"""Postfix's policy delegation: the sending rules (``mail.sending``) with German replies.

Postfix sends ``name=value`` lines ended by an empty line and expects ``action=...`` and an
empty line. We are asked at RCPT (sender and recipient), at DATA (the number of recipients)
and at END-OF-MESSAGE (to count what was sent).
"""

from __future__ import annotations

import logging
from collections import OrderedDict

from django.db import DatabaseError

from schulhof.mail import sending
from schulhof.mail.gate.base import GateHandler

logger = logging.getLogger(__name__)

MAX_LINE = 4096
MAX_ATTRIBUTES = 100
DUNNO = "DUNNO"
# SPF is checked once per message (Postfix asks for every recipient); results by instance.
_spf_results: OrderedDict[str, str] = OrderedDict()
SPF_CACHE = 1000


def _spf(request: dict[str, str]) -> sending.Refusal | None:
    instance = request.get("instance", "")
    cached = _spf_results.get(instance) if instance else None
    if cached is not None:
        return None if cached == DUNNO else sending.Refusal(*cached.split(" ", 2))
    refusal = sending.check_spf(
        request.get("client_address", ""),
        request.get("helo_name", ""),
        request.get("sender", ""),
    )
    if instance:
        _spf_results[instance] = (
            DUNNO
            if refusal is None
            else "%s %s %s" % (refusal.code, refusal.enhanced, refusal.text)
        )
        while len(_spf_results) > SPF_CACHE:
            _spf_results.popitem(last=False)
    return refusal


def decide(request: dict[str, str]) -> str:
    """The action for one policy request."""
    state = request.get("protocol_state", "").upper()
    login = request.get("sasl_username") or None
    sender = request.get("sender", "")
    try:
        if state == "RCPT":
            refusal = sending.check_sender(login, sender)
            if refusal is None and not login:
                refusal = _spf(request)
            if refusal is None:
                size = request.get("size", "")
                refusal = sending.check_recipient(
                    login,
                    request.get("recipient", ""),
                    size=int(size) if size.isdigit() else None,
                )
        elif state == "DATA":
            count = request.get("recipient_count", "0")
            refusal = sending.check_volume(login, int(count) if count.isdigit() else 0)
        elif state == "END-OF-MESSAGE":
            count = request.get("recipient_count", "0")
            sending.record_sent(
                login, int(count) if count.isdigit() else 0, request.get("queue_id", "")
            )
            refusal = None
        else:
            refusal = None
    except DatabaseError:
        logger.exception("policy check failed")
        return "451 4.3.0 Voruebergehender Fehler, bitte spaeter erneut versuchen."
    return refusal.reply if refusal is not None else DUNNO


class PolicyHandler(GateHandler):
    def serve(self) -> None:
        for _ in range(1_000_000):
            request = self._read_request()
            if request is None:
                return
            action = self.run_query(decide, request)
            self.wfile.write(("action=%s\n\n" % action).encode("ascii", "replace"))
            self.wfile.flush()

    def _read_request(self) -> dict[str, str] | None:
        request: dict[str, str] = {}
        for _ in range(MAX_ATTRIBUTES + 1):
            line = self.rfile.readline(MAX_LINE + 1)
            if not line or len(line) > MAX_LINE:
                return None
            text = line.decode("utf-8", "replace").rstrip("\r\n")
            if not text:
                return request
            name, _sep, value = text.partition("=")
            request[name] = value
        return None

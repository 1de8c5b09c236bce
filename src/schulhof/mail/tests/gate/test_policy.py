"""The policy service's decisions (unit level; the servers are tested in test_sending)."""

from __future__ import annotations

from typing import Any

import pytest

from schulhof.mail.gate import policy
from schulhof.mail.sending import check_spf


class FakeQuery:
    result = ("pass", 250, "")
    calls = 0

    def __init__(self, **kwargs: Any) -> None:
        FakeQuery.calls += 1
        self.kwargs = kwargs

    def check(self) -> tuple[str, int, str]:
        return FakeQuery.result


@pytest.fixture
def fake_spf(monkeypatch: pytest.MonkeyPatch) -> type[FakeQuery]:
    import spf

    monkeypatch.setattr(spf, "query", FakeQuery)
    FakeQuery.calls = 0
    policy._spf_results.clear()
    return FakeQuery


def test_spf_fail_is_refused(fake_spf: type[FakeQuery]) -> None:
    fake_spf.result = ("fail", 550, "SPF fail - not authorized")
    refusal = check_spf("203.0.113.9", "mx.boese.example", "chef@bank.example")
    assert refusal is not None
    assert refusal.reply.startswith("550 5.7.23 Der Absender chef@bank.example darf laut SPF")


def test_spf_dns_trouble_defers_and_other_results_pass(fake_spf: type[FakeQuery]) -> None:
    fake_spf.result = ("temperror", 451, "")
    refusal = check_spf("203.0.113.9", "mx", "a@b.example")
    assert refusal is not None and refusal.code == "451"
    for result in ("none", "neutral", "softfail", "pass"):
        fake_spf.result = (result, 250, "")
        assert check_spf("203.0.113.9", "mx", "a@b.example") is None


def test_loopback_is_not_checked(fake_spf: type[FakeQuery]) -> None:
    fake_spf.result = ("fail", 550, "")
    assert check_spf("127.0.0.1", "localhost", "a@b.example") is None
    assert fake_spf.calls == 0


@pytest.mark.django_db
def test_policy_checks_spf_once_per_message(fake_spf: type[FakeQuery]) -> None:
    fake_spf.result = ("fail", 550, "nope")
    request = {
        "protocol_state": "RCPT",
        "client_address": "203.0.113.9",
        "helo_name": "mx.boese.example",
        "sender": "chef@bank.example",
        "recipient": "someone@schule.test",
        "instance": "abc.1",
    }
    first = policy.decide(dict(request))
    second = policy.decide(dict(request, recipient="other@schule.test"))
    assert first.startswith("550 5.7.23") and second.startswith("550 5.7.23")
    assert fake_spf.calls == 1


@pytest.mark.django_db
def test_logged_in_senders_skip_spf(fake_spf: type[FakeQuery]) -> None:
    fake_spf.result = ("fail", 550, "")
    policy.decide(
        {
            "protocol_state": "RCPT",
            "client_address": "203.0.113.9",
            "sasl_username": "nobody",
            "sender": "nobody@schule.test",
            "recipient": "x@schule.test",
        }
    )
    assert fake_spf.calls == 0

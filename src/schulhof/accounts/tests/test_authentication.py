from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from schulhof.accounts.actions import do_create_sanction, do_issue_first_password, do_lock_user
from schulhof.accounts.authentication import (
    ACCOUNT_FREE_FAILURES,
    ACCOUNT_HARD_LIMIT,
    Outcome,
    authenticate,
    throttle_wait,
)
from schulhof.accounts.models import LoginAttempt, Protocol, Status
from schulhof.accounts.tests.factories import DEFAULT_PASSWORD, make_user
from schulhof.core.audit import AuditEvent
from schulhof.core.models import AuditLogEntry

pytestmark = pytest.mark.django_db


def test_correct_password_logs_in_and_is_audited(pupil):
    result = authenticate(
        "Paul.Pupil", DEFAULT_PASSWORD, protocol=Protocol.WEB, client_address="192.0.2.1"
    )
    assert result.ok and result.user == pupil
    entry = AuditLogEntry.objects.get(event_type=AuditEvent.LOGIN_SUCCESS)
    assert entry.acting_user == pupil and entry.client_address == "192.0.2.1"
    assert DEFAULT_PASSWORD not in str(entry.details)
    attempt = LoginAttempt.objects.get()
    assert attempt.success and attempt.protocol == "web"


def test_mail_domain_in_username_is_accepted(pupil):
    assert authenticate("paul.pupil@schule.test", DEFAULT_PASSWORD, protocol=Protocol.IMAP).ok


def test_wrong_password_and_unknown_user_look_the_same(pupil):
    wrong = authenticate("paul.pupil", "nope", protocol=Protocol.WEB)
    unknown = authenticate("nobody.here", "nope", protocol=Protocol.WEB)
    assert wrong.outcome == unknown.outcome == Outcome.INVALID
    assert wrong.message == unknown.message == "Benutzername oder Passwort ist falsch."
    assert AuditLogEntry.objects.filter(event_type=AuditEvent.LOGIN_FAILURE).count() == 2


def test_system_actor_cannot_log_in(system_actor):
    assert authenticate("system", "", protocol=Protocol.WEB).outcome == Outcome.INVALID


@pytest.mark.parametrize("protocol", list(Protocol.values))
def test_locked_user_cannot_log_in_anywhere(pupil, system_actor, protocol):
    do_lock_user(pupil, acting_user=system_actor, reason="Regelverstoß")
    result = authenticate("paul.pupil", DEFAULT_PASSWORD, protocol=protocol)
    assert result.outcome == Outcome.LOCKED
    assert "gesperrt" in result.message


def test_timed_lock_ends_by_itself(pupil, system_actor):
    until = timezone.now() + timedelta(days=3)
    do_lock_user(pupil, acting_user=system_actor, until=until)
    assert authenticate("paul.pupil", DEFAULT_PASSWORD, protocol=Protocol.WEB).outcome == (
        Outcome.LOCKED
    )
    with time_machine.travel(until + timedelta(minutes=1)):
        assert authenticate("paul.pupil", DEFAULT_PASSWORD, protocol=Protocol.WEB).ok
    pupil.refresh_from_db()
    assert pupil.status == Status.ACTIVE


def test_left_user_is_refused(pupil):
    pupil.status = Status.LEFT
    pupil.save()
    result = authenticate("paul.pupil", DEFAULT_PASSWORD, protocol=Protocol.WEB)
    assert result.outcome == Outcome.LOCKED
    assert "verlassen" in result.message


@pytest.mark.parametrize(
    "protocol", [Protocol.WEBDAV, Protocol.CALDAV, Protocol.IMAP, Protocol.SMTP, Protocol.API]
)
def test_first_password_only_on_the_web(pupil, system_actor, protocol):
    first = do_issue_first_password(pupil, acting_user=system_actor)
    result = authenticate("paul.pupil", first, protocol=protocol)
    assert result.outcome == Outcome.FIRST_PASSWORD_WEB_ONLY
    assert "zuerst im Portal" in result.message
    web = authenticate("paul.pupil", first, protocol=Protocol.WEB)
    assert web.ok and web.must_change_password


def test_expired_first_password_is_refused(pupil, system_actor):
    first = do_issue_first_password(pupil, acting_user=system_actor)
    with time_machine.travel(timezone.now() + timedelta(days=15)):
        result = authenticate("paul.pupil", first, protocol=Protocol.WEB)
    assert result.outcome == Outcome.FIRST_PASSWORD_EXPIRED
    assert "abgelaufen" in result.message


def _fail(username, address="192.0.2.1", times=1):
    for _ in range(times):
        authenticate(username, "falsch", protocol=Protocol.WEB, client_address=address)


def test_twenty_failures_refuse_even_the_right_password(pupil):
    make_user(username="olga.other")
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(ACCOUNT_HARD_LIMIT):
            # wait out each growing delay, so that every attempt is really checked
            clock.shift(timedelta(seconds=throttle_wait("paul.pupil", "192.0.2.1") + 1))
            _fail("paul.pupil")
        last_failure = timezone.now()
        clock.shift(timedelta(minutes=14))
        result = authenticate(
            "paul.pupil", DEFAULT_PASSWORD, protocol=Protocol.WEB, client_address="192.0.2.1"
        )
        assert result.outcome == Outcome.THROTTLED
        assert "Bitte warten Sie" in result.message
        # Other accounts from this address, and this account from another address, still work.
        assert authenticate(
            "olga.other", DEFAULT_PASSWORD, protocol=Protocol.WEB, client_address="192.0.2.1"
        ).ok
        assert authenticate(
            "paul.pupil", DEFAULT_PASSWORD, protocol=Protocol.WEB, client_address="198.51.100.9"
        ).ok
    # The lock ends when the window after the last failure has passed.
    with time_machine.travel(last_failure + timedelta(minutes=15, seconds=1), tick=False):
        assert authenticate(
            "paul.pupil", DEFAULT_PASSWORD, protocol=Protocol.WEB, client_address="192.0.2.1"
        ).ok


def test_distributed_guessing_of_one_account_is_slowed(pupil):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for index in range(ACCOUNT_FREE_FAILURES):
            _fail("paul.pupil", address="10.0.%d.%d" % (index // 200, index % 200))
        assert throttle_wait("paul.pupil", "192.0.2.200") > 0


def test_growing_delays_after_a_few_failures(pupil):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _fail("paul.pupil", times=4)
        assert throttle_wait("paul.pupil", "192.0.2.1") == 0
        _fail("paul.pupil")
        first = throttle_wait("paul.pupil", "192.0.2.1")
        assert first > 0
        # while throttled, attempts are refused without checking the password
        assert (
            authenticate(
                "paul.pupil", DEFAULT_PASSWORD, protocol=Protocol.WEB, client_address="192.0.2.1"
            ).outcome
            == Outcome.THROTTLED
        )
    with time_machine.travel(start + timedelta(seconds=first + 1), tick=False):
        _fail("paul.pupil")
        assert throttle_wait("paul.pupil", "192.0.2.1") > first


def test_success_resets_the_account_counter(pupil):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _fail("paul.pupil", times=4)
        assert authenticate(
            "paul.pupil", DEFAULT_PASSWORD, protocol=Protocol.WEB, client_address="192.0.2.1"
        ).ok
        _fail("paul.pupil", times=4)
        assert throttle_wait("paul.pupil", "192.0.2.1") == 0


def test_one_address_guessing_many_accounts_is_slowed(db):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for index in range(30):
            _fail("guess.number%d" % index, address="203.0.113.5")
        assert throttle_wait("fresh.name", "203.0.113.5") > 0
        assert throttle_wait("fresh.name", "203.0.113.6") == 0


def test_mail_sanction_refuses_smtp_but_not_web(pupil, system_actor):
    do_create_sanction(
        pupil,
        blocked=["mail_send"],
        reason="Massenmail",
        acting_user=system_actor,
        ends_at=timezone.now() + timedelta(days=7),
    )
    smtp = authenticate("paul.pupil", DEFAULT_PASSWORD, protocol=Protocol.SMTP)
    assert smtp.outcome == Outcome.GATED and "gesperrt bis" in smtp.message
    assert authenticate("paul.pupil", DEFAULT_PASSWORD, protocol=Protocol.IMAP).ok
    assert authenticate("paul.pupil", DEFAULT_PASSWORD, protocol=Protocol.WEB).ok


def test_mail_sending_sanction_ends_by_itself(pupil, system_actor):
    ends = timezone.now() + timedelta(days=7)
    do_create_sanction(
        pupil, blocked=["mail_send"], reason="Massenmail", acting_user=system_actor, ends_at=ends
    )
    with time_machine.travel(ends - timedelta(minutes=1)):
        assert not authenticate("paul.pupil", DEFAULT_PASSWORD, protocol=Protocol.SMTP).ok
    with time_machine.travel(ends + timedelta(minutes=1)):
        assert authenticate("paul.pupil", DEFAULT_PASSWORD, protocol=Protocol.SMTP).ok


def test_unknown_user_costs_the_same_hashing_as_a_known_one(pupil, settings, monkeypatch):
    """Timing must not reveal whether an account exists: an unknown user's password is
    verified against a dummy hash made by the same hasher with the same cost parameters.
    (Checked through the hashes verified, not by timing.)"""
    settings.PASSWORD_HASHERS = ["schulhof.accounts.hashers.SchulhofArgon2PasswordHasher"]
    from django.contrib.auth.hashers import make_password

    from schulhof.accounts import authentication

    authentication._dummy_hash.cache_clear()
    pupil.password = make_password(DEFAULT_PASSWORD)
    pupil.save()
    verified: list[str] = []
    real_check = authentication.check_password

    def spy(password: str, encoded: str, *args: object, **kwargs: object) -> bool:
        verified.append(encoded)
        return real_check(password, encoded, *args, **kwargs)

    monkeypatch.setattr(authentication, "check_password", spy)
    try:
        authenticate("paul.pupil", "falsch-aber-lang", protocol=Protocol.WEB)
        authenticate("nobody.at.all", "falsch-aber-lang", protocol=Protocol.WEB)
    finally:
        authentication._dummy_hash.cache_clear()
    known, unknown = verified
    assert known == pupil.password and unknown != known

    def cost(encoded: str) -> str:
        # "argon2$argon2id$v=19$m=65536,t=3,p=2$salt$hash" -> algorithm, version, parameters
        return "$".join(encoded.split("$")[:4])

    assert cost(unknown) == cost(known)
    assert cost(known).startswith("argon2$argon2id$")

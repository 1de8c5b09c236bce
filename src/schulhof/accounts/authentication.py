"""The one authentication service. Every entry point (web login, DAV basic auth, the mail
servers, the API) calls :func:`authenticate`; nothing else checks passwords.

The decision, in order:

1. throttling in a sliding window with growing delays: per account name and client address
   (after ``ACCOUNT_HARD_LIMIT`` failures even the right password is refused from that address
   until the window has passed), per address over all names, and per name over all addresses;
2. the password, verified with the same cost for unknown users (a dummy Argon2 hash);
3. the account state (locked, left, deleted, a lock with an end date);
4. the first-password rule (web only; expired first passwords refused);
5. registered *login gates*: sanctions per module, the consent gate;
6. on the web, for users with two-factor login, the code (:func:`finish_second_factor`).

Every attempt is recorded (LoginAttempt, for throttling and the login history) and audited;
the password never is.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from schulhof.accounts.models import (
    LoginAttempt,
    LoginAttemptQuerySet,
    Protocol,
    Role,
    Status,
    User,
)
from schulhof.core.actions import log_event
from schulhof.core.audit import AuditEvent

logger = logging.getLogger(__name__)

WINDOW = timedelta(minutes=15)
# One account from one address: delays after a few failures, a hard stop after 20 (until the
# window after the last failure has passed), even for the right password.
PAIR_FREE_FAILURES = 5
ACCOUNT_HARD_LIMIT = 20
# One address, any accounts (guessing names): delays after 30 failures.
ADDRESS_FREE_FAILURES = 30
# One account, any addresses (a distributed attack): delays after 50 failures. No hard stop
# here, so that an attacker cannot lock a pupil out of their account from elsewhere.
ACCOUNT_FREE_FAILURES = 50
# Growing delays stay short (a typo-prone pupil should not wait long); the hard stop is long.
MAX_DELAY = timedelta(seconds=30)


class Outcome:
    OK = "ok"
    INVALID = "invalid"
    THROTTLED = "throttled"
    LOCKED = "locked"
    # Outcome names, not passwords:
    FIRST_PASSWORD_WEB_ONLY = "first_password_web_only"  # noqa: S105
    FIRST_PASSWORD_EXPIRED = "first_password_expired"  # noqa: S105
    GATED = "gated"
    # Password right, but the user has two-factor login: the code decides (web only).
    SECOND_FACTOR = "second_factor"
    SECOND_FACTOR_INVALID = "totp_invalid"


@dataclass(frozen=True)
class AuthResult:
    outcome: str
    user: User | None = None
    message: str = ""
    # The user logged in with a first password and must choose a new one before anything else.
    must_change_password: bool = False
    retry_after: int = 0

    @property
    def ok(self) -> bool:
        return self.outcome == Outcome.OK


LoginGate = Callable[[User, str], str | None]
_gates: list[LoginGate] = []


def register_login_gate(gate: LoginGate) -> LoginGate:
    """Add a check run after a correct password: it returns a German message to refuse the
    login for that protocol, or None. Modules use this for sanctions, consent, etc."""
    if gate not in _gates:
        _gates.append(gate)
    return gate


@cache
def _dummy_hash() -> str:
    # Same hasher and cost as real passwords, so unknown users take as long as known ones.
    return make_password("schulhof-dummy-password-for-timing")


def _delay_for(failures: int, free: int) -> timedelta:
    """Growing delay after ``free`` failures: 2, 4, 8 … seconds, capped at MAX_DELAY."""
    if failures < free:
        return timedelta(0)
    seconds = 2 ** min(failures - free + 1, 20)
    return min(timedelta(seconds=seconds), MAX_DELAY)


def _failures_since_success(attempts: LoginAttemptQuerySet) -> LoginAttemptQuerySet:
    """Failures in ``attempts`` after the newest success among them."""
    last_success = attempts.filter(success=True).values_list("created", flat=True).first()
    failures = attempts.failures()
    if last_success is not None:
        failures = failures.filter(created__gt=last_success)
    return failures


def _soft_wait(failures: LoginAttemptQuerySet, free: int, now: datetime) -> float:
    """Growing delay once ``free`` failures happened within the window before now."""
    in_window = failures.filter(created__gte=now - WINDOW)
    count = in_window.count()
    if count < free:
        return 0.0
    last = in_window.values_list("created", flat=True).first() or now
    return (last + _delay_for(count, free) - now).total_seconds()


def _hard_wait(failures: LoginAttemptQuerySet, now: datetime) -> float:
    """After ACCOUNT_HARD_LIMIT failures within one window, refuse until a window after the
    last of them has passed."""
    last = failures.filter(created__gte=now - WINDOW).values_list("created", flat=True).first()
    if last is None:
        return 0.0
    if failures.filter(created__gte=last - WINDOW, created__lte=last).count() < ACCOUNT_HARD_LIMIT:
        return 0.0
    return (last + WINDOW - now).total_seconds()


def throttle_wait(username: str, client_address: str | None) -> int:
    """Seconds the caller must wait before another attempt is even checked (0 = go ahead)."""
    now = timezone.now()
    recent = LoginAttempt.objects.since(now - 2 * WINDOW)
    account = recent.filter(username=username)
    waits = [0.0, _soft_wait(_failures_since_success(account), ACCOUNT_FREE_FAILURES, now)]
    if client_address:
        pair = _failures_since_success(account.filter(client_address=client_address))
        waits.append(_soft_wait(pair, PAIR_FREE_FAILURES, now))
        waits.append(_hard_wait(pair, now))
        by_address = recent.filter(client_address=client_address).failures()
        waits.append(_soft_wait(by_address, ADDRESS_FREE_FAILURES, now))
    return max(0, int(max(waits) + 0.999))


def _record(
    username: str,
    user: User | None,
    protocol: str,
    client_address: str | None,
    outcome: str,
) -> None:
    success = outcome == Outcome.OK
    pending = outcome == Outcome.SECOND_FACTOR
    with transaction.atomic():
        LoginAttempt.objects.create(
            username=username,
            user=user,
            client_address=client_address,
            protocol=protocol,
            success=success,
            reason="" if success else outcome,
        )
        if user is not None:
            actor = user
        else:
            from schulhof.accounts.models import get_system_actor

            actor = get_system_actor()
        if pending:
            return
        log_event(
            AuditEvent.LOGIN_SUCCESS if success else AuditEvent.LOGIN_FAILURE,
            acting_user=actor,
            modified_user=user,
            client_address=client_address,
            details={"username": username, "protocol": protocol, "outcome": outcome},
        )


def normalise_username(raw: str) -> str:
    """Users type their name in any case, sometimes with the mail domain."""
    name = (raw or "").strip().lower()
    if "@" in name:
        name = name.split("@", 1)[0]
    return name[:150]


def authenticate(
    username: str,
    password: str,
    *,
    protocol: str,
    client_address: str | None = None,
) -> AuthResult:
    """Decide a login attempt on any protocol. See the module docstring for the order."""
    if protocol not in Protocol.values:
        raise ValueError("unknown protocol %r" % protocol)
    username = normalise_username(username)
    wait = throttle_wait(username, client_address)
    if wait:
        _record(username, None, protocol, client_address, Outcome.THROTTLED)
        return AuthResult(Outcome.THROTTLED, message=_throttled_message(wait), retry_after=wait)

    user = User.objects.filter(username=username).exclude(role=Role.SYSTEM).first()
    if user is None or not user.has_usable_password():
        check_password(password or "", _dummy_hash())
        _record(username, None, protocol, client_address, Outcome.INVALID)
        return AuthResult(Outcome.INVALID, message=_invalid_message())
    # check_password would upgrade an outdated hash with save(); we keep hashing in actions.
    if not check_password(password or "", user.password):
        _record(username, user, protocol, client_address, Outcome.INVALID)
        return AuthResult(Outcome.INVALID, message=_invalid_message())

    refusal = _after_password(user, protocol)
    if refusal is not None:
        _record(username, user, protocol, client_address, refusal.outcome)
        return refusal

    if protocol == Protocol.WEB and user.totp_enabled:
        # Neither success nor failure yet: the throttling counters stay as they are until the
        # code step ends in finish_second_factor().
        _record(username, user, protocol, client_address, Outcome.SECOND_FACTOR)
        return AuthResult(
            Outcome.SECOND_FACTOR, user=user, must_change_password=user.first_password_pending
        )

    _record(username, user, protocol, client_address, Outcome.OK)
    return AuthResult(Outcome.OK, user=user, must_change_password=user.first_password_pending)


def _after_password(user: User, protocol: str) -> AuthResult | None:
    """The checks after a correct password: account state, first password, login gates.
    Returns the refusal, or None if the login may go on."""
    now = timezone.now()
    if user.status == Status.LOCKED and user.locked_until and user.locked_until <= now:
        from schulhof.accounts.actions import do_unlock_user
        from schulhof.accounts.models import get_system_actor

        do_unlock_user(user, acting_user=get_system_actor(), reason="lock expired")
    if user.status != Status.ACTIVE:
        return AuthResult(Outcome.LOCKED, user=user, message=_locked_message(user))

    if user.first_password_pending:
        if user.first_password_expires and user.first_password_expires <= now:
            return AuthResult(
                Outcome.FIRST_PASSWORD_EXPIRED,
                user=user,
                message=_(
                    "Ihr Erstpasswort ist abgelaufen. Ihre Klassenleitung oder Ihre "
                    "Beratungslehrkraft kann Ihnen ein neues Erstpasswort geben."
                ),
            )
        if protocol != Protocol.WEB:
            return AuthResult(
                Outcome.FIRST_PASSWORD_WEB_ONLY,
                user=user,
                message=_(
                    "Sie haben noch ein Erstpasswort. Bitte melden Sie sich zuerst im Portal "
                    "im Browser an und wählen Sie ein eigenes Passwort."
                ),
            )

    for gate in _gates:
        refusal = gate(user, protocol)
        if refusal:
            return AuthResult(Outcome.GATED, user=user, message=refusal)
    return None


# --- Servers that verify the password themselves (Dovecot for IMAP and SMTP) -------------


def decide_verified_login(
    username: str, *, protocol: str, client_address: str | None = None
) -> AuthResult:
    """The decision for a login whose password a mail server has already verified with the
    same hash: throttling (the hard stop refuses even the right password), account state,
    first password and login gates. Records nothing: the server reports the outcome to
    :func:`record_verified_login` afterwards."""
    if protocol not in Protocol.values:
        raise ValueError("unknown protocol %r" % protocol)
    username = normalise_username(username)
    wait = throttle_wait(username, client_address)
    if wait:
        return AuthResult(Outcome.THROTTLED, message=_throttled_message(wait), retry_after=wait)
    user = User.objects.filter(username=username).exclude(role=Role.SYSTEM).first()
    if user is None:
        return AuthResult(Outcome.INVALID, message=_invalid_message())
    return _after_password(user, protocol) or AuthResult(Outcome.OK, user=user)


def record_verified_login(
    username: str,
    *,
    protocol: str,
    client_address: str | None,
    password_ok: bool,
    refused: bool,
) -> str:
    """Record and audit a mail server's login attempt like any other; returns the outcome.
    ``refused``: the password was right but :func:`decide_verified_login` said no."""
    username = normalise_username(username)
    user = User.objects.filter(username=username).exclude(role=Role.SYSTEM).first()
    if password_ok and not refused:
        outcome = Outcome.OK
    elif refused:
        outcome = decide_verified_login(
            username, protocol=protocol, client_address=client_address
        ).outcome
        if outcome == Outcome.OK:  # the state changed in between; it was refused then
            outcome = Outcome.GATED
    else:
        outcome = Outcome.INVALID
    _record(username, user, protocol, client_address, outcome)
    return outcome


def finish_second_factor(
    user: User, code_ok: bool, *, client_address: str | None = None
) -> AuthResult:
    """The end of a web login with two-factor login: a right code is the successful login, a
    wrong one a failure that counts for throttling like a wrong password."""
    wait = throttle_wait(user.username, client_address)
    if wait:
        _record(user.username, user, Protocol.WEB, client_address, Outcome.THROTTLED)
        return AuthResult(Outcome.THROTTLED, user=user, message=_throttled_message(wait))
    if not code_ok:
        _record(user.username, user, Protocol.WEB, client_address, Outcome.SECOND_FACTOR_INVALID)
        return AuthResult(Outcome.SECOND_FACTOR_INVALID, user=user)
    _record(user.username, user, Protocol.WEB, client_address, Outcome.OK)
    return AuthResult(Outcome.OK, user=user, must_change_password=user.first_password_pending)


def _throttled_message(wait: int) -> str:
    minutes = max(1, (wait + 59) // 60)
    return ngettext(
        "Zu viele fehlgeschlagene Anmeldeversuche. Bitte warten Sie %(minutes)d Minute "
        "und versuchen Sie es dann erneut.",
        "Zu viele fehlgeschlagene Anmeldeversuche. Bitte warten Sie %(minutes)d Minuten "
        "und versuchen Sie es dann erneut.",
        minutes,
    ) % {"minutes": minutes}


def _invalid_message() -> str:
    return _("Benutzername oder Passwort ist falsch.")


def _locked_message(user: User) -> str:
    if user.status == Status.LEFT:
        return _("Ihr Konto ist gesperrt, weil Sie die Schule verlassen haben.")
    if user.locked_until:
        return _("Ihr Konto ist bis %(date)s gesperrt.") % {
            "date": timezone.localtime(user.locked_until).strftime("%d.%m.%Y %H:%M")
        }
    return _("Ihr Konto ist gesperrt. Bitte wenden Sie sich an die Schulverwaltung.")

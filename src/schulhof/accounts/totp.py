"""Time-based one-time codes (TOTP, RFC 6238) for the two-factor login.

Codes have 6 digits and change every 30 seconds; authenticator apps (FreeOTP, Aegis, Google
Authenticator, …) read the secret from a QR code. A code is accepted for the current step and
one step either side (clock drift), and each step only once: the last accepted step is stored
on the user, so a code seen over someone's shoulder cannot be used again.
"""

from __future__ import annotations

import hmac
from datetime import timedelta

import pyotp
import segno
from django.db.models import Q
from django.utils import timezone

from schulhof.accounts.models import User
from schulhof.core.models import SchoolSettings

STEP_SECONDS = 30
DIGITS = 6
# Steps accepted either side of the current one (clock drift of phones).
DRIFT_STEPS = 1
# Wrong codes per pending login before the password is asked for again.
MAX_CODE_FAILURES = 5
# How long a correct password waits for its code.
PENDING_LIFETIME = timedelta(minutes=5)


def new_secret() -> str:
    """A fresh random secret (base32, 160 bits)."""
    return pyotp.random_base32(length=32)


def provisioning_uri(user: User, secret: str, *, issuer: str | None = None) -> str:
    """The ``otpauth://`` address the authenticator app reads from the QR code."""
    issuer = issuer or SchoolSettings.get().school_name
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=user.username, issuer_name=issuer
    )


def qr_svg(uri: str) -> str:
    """The QR code as inline SVG markup (no style attributes, so the page's Content Security
    Policy allows it). Scales with its container: only a viewBox, no fixed size."""
    return str(
        segno.make(uri, error="m").svg_inline(
            scale=1, border=4, dark="#000", light="#fff", omitsize=True, svgclass="totp-qr"
        )
    )


def grouped_secret(secret: str) -> str:
    """The secret in groups of four for typing it into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def normalise_code(code: str) -> str:
    """Apps show codes as "123 456"; people paste them with spaces."""
    return "".join((code or "").split())


def current_step() -> int:
    return int(timezone.now().timestamp()) // STEP_SECONDS


def matching_step(secret: str, code: str, *, after: int | None = None) -> int | None:
    """The time step (current ±1) whose code is ``code`` and that is later than ``after``,
    or None. Compares in constant time."""
    code = normalise_code(code)
    if not secret or len(code) != DIGITS or not code.isdigit():
        return None
    otp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    now = current_step()
    found: int | None = None
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if after is not None and step <= after:
            continue
        # No early exit: every candidate is compared, so timing does not reveal which matched.
        if hmac.compare_digest(otp.generate_otp(step), code) and found is None:
            found = step
    return found


def record_step(user: User, step: int) -> bool:
    """Remember ``step`` as used. A conditional update rather than an action: it is a replay
    counter, not a state change worth an audit entry, and the condition makes two requests
    racing with the same code accept it only once. Returns False if the step was used."""
    updated = (
        User.objects.filter(pk=user.pk)
        .filter(Q(totp_last_step__isnull=True) | Q(totp_last_step__lt=step))
        .update(totp_last_step=step)
    )
    if updated:
        user.totp_last_step = step
    return bool(updated)


def verify(user: User, code: str) -> bool:
    """Is ``code`` a valid, unused code of the user's enabled second factor? An accepted code
    is used up."""
    if not user.totp_enabled or not user.totp_secret:
        return False
    step = matching_step(user.totp_secret, code, after=user.totp_last_step)
    return step is not None and record_step(user, step)

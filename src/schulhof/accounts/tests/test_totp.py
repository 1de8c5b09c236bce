from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import time_machine

from schulhof.accounts import totp
from schulhof.accounts.actions import do_enable_totp
from schulhof.accounts.models import User
from schulhof.accounts.tests.factories import make_user
from schulhof.core.models import SchoolSettings

pytestmark = pytest.mark.django_db

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
# A moment in the middle of a 30-second step, so ±1 step is unambiguous.
MOMENT = datetime(2026, 3, 2, 9, 0, 15, tzinfo=UTC)


@pytest.fixture
def user_with_totp() -> User:
    user = make_user(username="tina.totp")
    do_enable_totp(user, totp.new_secret(), acting_user=user)
    return user


def code_at(secret: str, when: datetime) -> str:
    return pyotp.TOTP(secret).at(when)


def test_new_secret_is_random_base32():
    first, second = totp.new_secret(), totp.new_secret()
    assert first != second
    assert len(first) == 32
    assert set(first) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")


def test_provisioning_uri_names_school_and_user():
    SchoolSettings.objects.update_or_create(pk=1, defaults={"school_name": "Gesamtschule Nord"})
    user = make_user(username="max.mueller")
    uri = totp.provisioning_uri(user, SECRET)
    assert uri.startswith("otpauth://totp/Gesamtschule%20Nord:max.mueller?")
    assert "secret=%s" % SECRET in uri
    assert "issuer=Gesamtschule%20Nord" in uri
    assert "issuer=Andere" in totp.provisioning_uri(user, SECRET, issuer="Andere")


def test_qr_svg_is_inline_markup_without_style_attributes():
    svg = totp.qr_svg("otpauth://totp/Schule:max?secret=JBSWY3DPEHPK3PXP")
    assert svg.startswith("<svg")
    assert 'viewBox="' in svg
    # The Content Security Policy forbids inline styles.
    assert "style" not in svg
    assert "<script" not in svg


def test_secret_is_shown_in_groups_of_four():
    assert totp.grouped_secret("ABCDEFGHIJKLMNOP") == "ABCD EFGH IJKL MNOP"


def test_codes_of_the_current_and_neighbouring_steps_are_accepted(user_with_totp):
    secret = user_with_totp.totp_secret
    with time_machine.travel(MOMENT, tick=False):
        assert totp.verify(
            user_with_totp, code_at(secret, MOMENT.replace(second=0) - timedelta(seconds=30))
        )
    user_with_totp.refresh_from_db()
    with time_machine.travel(MOMENT, tick=False):
        # The next step is still fine (the phone's clock runs ahead).
        assert totp.verify(user_with_totp, code_at(secret, MOMENT + timedelta(seconds=30)))


def test_codes_two_steps_away_are_refused(user_with_totp):
    secret = user_with_totp.totp_secret
    with time_machine.travel(MOMENT, tick=False):
        assert not totp.verify(user_with_totp, code_at(secret, MOMENT - timedelta(seconds=60)))
        assert not totp.verify(user_with_totp, code_at(secret, MOMENT + timedelta(seconds=60)))


def test_a_code_is_accepted_only_once(user_with_totp):
    secret = user_with_totp.totp_secret
    with time_machine.travel(MOMENT, tick=False):
        code = code_at(secret, MOMENT)
        assert totp.verify(user_with_totp, code)
        assert not totp.verify(user_with_totp, code)
        # Not with a fresh copy of the user either (another request, another process).
        assert not totp.verify(User.objects.get(pk=user_with_totp.pk), code)
        # Nor an older step after a newer one was used.
        assert not totp.verify(user_with_totp, code_at(secret, MOMENT - timedelta(seconds=30)))
    user_with_totp.refresh_from_db()
    assert user_with_totp.totp_last_step == int(MOMENT.timestamp()) // 30


def test_racing_requests_accept_a_step_once(user_with_totp):
    stale_copy = User.objects.get(pk=user_with_totp.pk)
    step = int(MOMENT.timestamp()) // 30
    assert totp.record_step(user_with_totp, step)
    # The other request loaded the user before the first one stored the step.
    assert stale_copy.totp_last_step is None
    assert not totp.record_step(stale_copy, step)


def test_spaces_are_ignored_and_garbage_refused(user_with_totp):
    secret = user_with_totp.totp_secret
    with time_machine.travel(MOMENT, tick=False):
        code = code_at(secret, MOMENT)
        assert not totp.verify(user_with_totp, "12345")
        assert not totp.verify(user_with_totp, "abcdef")
        assert not totp.verify(user_with_totp, "")
        assert totp.verify(user_with_totp, "%s %s" % (code[:3], code[3:]))


def test_users_without_two_factor_never_verify():
    user = make_user()
    secret = totp.new_secret()
    user.totp_secret = secret  # a secret alone (never confirmed) does not count
    assert not totp.verify(user, pyotp.TOTP(secret).now())

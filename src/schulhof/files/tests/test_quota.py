"""The quota ledger: limits by role, overrides, mail, recount, the maximum upload size."""

from __future__ import annotations

import pytest

from schulhof.accounts.models import User
from schulhof.accounts.tests.factories import make_user
from schulhof.core.models import SchoolSettings
from schulhof.files import actions, quota
from schulhof.files.models import QuotaLedger
from schulhof.files.storage import Space, TooLarge, usage_for_user, user_space

GIB = 1024**3


def test_limits_follow_role_and_settings(owner: User) -> None:
    teacher = make_user(teacher=True, username="t.lehrer")
    staff = make_user(staff=True, username="s.sekretariat")
    assert usage_for_user(owner).limit == 2 * GIB
    assert usage_for_user(teacher).limit == 10 * GIB
    assert usage_for_user(staff).limit == 10 * GIB
    SchoolSettings.objects.filter(pk=SchoolSettings.get().pk).update(quota_pupil_gib=3)
    assert usage_for_user(owner).limit == 3 * GIB


def test_override_and_back(owner: User, system_actor: User) -> None:
    actions.do_set_quota_override(owner, 5 * GIB, acting_user=system_actor)
    assert usage_for_user(owner).limit == 5 * GIB
    actions.do_set_quota_override(owner, None, acting_user=system_actor)
    assert usage_for_user(owner).limit == 2 * GIB


def test_charge_is_conditional(space: Space, owner: User, system_actor: User) -> None:
    actions.do_set_quota_override(owner, 100, acting_user=system_actor)
    ledger = quota.ledger_for(space)
    quota.charge(space, ledger, 60)
    with pytest.raises(quota.QuotaExceeded):
        quota.charge(space, ledger, 41)
    quota.charge(space, ledger, 40)
    assert QuotaLedger.objects.get(pk=ledger.pk).used == 100
    quota.charge(space, ledger, -30)
    assert QuotaLedger.objects.get(pk=ledger.pk).used == 70


def test_mail_provider_failure_counts_zero(owner: User) -> None:
    def broken(user: User) -> int:
        raise RuntimeError("dovecot down")

    quota.register_mail_usage_provider(broken)
    try:
        assert usage_for_user(owner).mail == 0
    finally:
        quota._mail_providers.remove(broken)


def test_recount_fixes_the_ledger(space: Space, owner: User) -> None:
    actions.do_write_file(space, "a.txt", [b"12345"], acting_user=owner)
    actions.do_write_file(space, "b.txt", [b"123"], acting_user=owner)
    actions.do_delete(space, "b.txt", acting_user=owner)
    QuotaLedger.objects.filter(space_key="lena.lang").update(used=999)
    assert quota.recount(space) == 8
    assert usage_for_user(owner).files == 8


def test_max_upload_size(space: Space, owner: User) -> None:
    SchoolSettings.objects.filter(pk=SchoolSettings.get().pk).update(max_upload_mib=1)
    with pytest.raises(TooLarge, match="zu groß"):
        actions.do_write_file(
            space, "gross.bin", [b"x"], acting_user=owner, expected_size=2 * 1024 * 1024
        )
    with pytest.raises(TooLarge):
        actions.do_write_file(space, "gross.bin", [b"x" * (1024 * 1024 + 1)], acting_user=owner)
    assert usage_for_user(owner).files == 0


def test_user_space_title_is_german(owner: User) -> None:
    assert user_space(owner).title == "Eigene Dateien"

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from schulhof.accounts.actions import (
    do_create_sanction,
    do_lift_sanction,
    do_record_expired_sanctions,
)
from schulhof.accounts.sanctions import current_notice, is_blocked
from schulhof.core.audit import AuditEvent
from schulhof.core.models import AuditLogEntry

pytestmark = pytest.mark.django_db


def test_blocking_a_module_blocks_its_parts(pupil, system_actor):
    do_create_sanction(pupil, blocked=["mail"], reason="Spam", acting_user=system_actor)
    assert is_blocked(pupil, "mail") and is_blocked(pupil, "mail_send")
    assert not is_blocked(pupil, "files_write")


def test_sanction_ends_by_itself_and_the_end_is_audited(pupil, system_actor):
    ends = timezone.now() + timedelta(days=14)
    do_create_sanction(
        pupil, blocked=["mail_send"], reason="Kettenbriefe", acting_user=system_actor, ends_at=ends
    )
    assert is_blocked(pupil, "mail_send")
    assert current_notice(pupil)[0].reason == "Kettenbriefe"
    with time_machine.travel(ends + timedelta(seconds=1)):
        assert not is_blocked(pupil, "mail_send")
        assert current_notice(pupil) == []
        assert do_record_expired_sanctions(acting_user=system_actor) == 1
        assert do_record_expired_sanctions(acting_user=system_actor) == 0
    end = AuditLogEntry.objects.get(event_type=AuditEvent.SANCTION_END)
    assert end.details["how"] == "expired" and end.modified_user == pupil


def test_permanent_sanction_until_lifted(pupil, system_actor):
    sanction = do_create_sanction(
        pupil, blocked=["files_write"], reason="Urheberrecht", acting_user=system_actor
    )
    with time_machine.travel(timezone.now() + timedelta(days=3650)):
        assert is_blocked(pupil, "files_write")
    do_lift_sanction(sanction, acting_user=system_actor)
    assert not is_blocked(pupil, "files_write")


def test_sanction_needs_reason_and_known_areas(pupil, system_actor):
    with pytest.raises(ValueError, match="reason"):
        do_create_sanction(pupil, blocked=["mail"], reason=" ", acting_user=system_actor)
    with pytest.raises(ValueError, match="invalid blocked"):
        do_create_sanction(pupil, blocked=["internet"], reason="x", acting_user=system_actor)
    with pytest.raises(ValueError, match="invalid blocked"):
        do_create_sanction(pupil, blocked=[], reason="x", acting_user=system_actor)

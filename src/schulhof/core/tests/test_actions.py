from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import IntegrityError

from schulhof.accounts.tests.factories import UserFactory
from schulhof.core.actions import do_purge_audit_log, do_update_school_settings, log_event
from schulhof.core.audit import AuditEvent
from schulhof.core.models import AuditLogEntry, SchoolSettings

pytestmark = pytest.mark.django_db


def test_log_event_requires_acting_user_keyword():
    with pytest.raises(TypeError, match="acting_user"):
        log_event(AuditEvent.SETTINGS_UPDATE)  # type: ignore[call-arg]


def test_log_event_refuses_none_and_unsaved_actors():
    with pytest.raises(ValueError, match="acting_user"):
        log_event(AuditEvent.SETTINGS_UPDATE, acting_user=None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="acting_user"):
        log_event(AuditEvent.SETTINGS_UPDATE, acting_user=UserFactory.build())
    assert AuditLogEntry.objects.count() == 0


def test_database_refuses_entry_without_actor():
    with pytest.raises(IntegrityError):
        AuditLogEntry.objects.create(event_type=AuditEvent.SETTINGS_UPDATE)


def test_log_event_records_everything(system_actor, pupil):
    entry = log_event(
        AuditEvent.USER_LOCK,
        acting_user=system_actor,
        modified_user=pupil,
        client_address="192.0.2.7",
        details={"reason": "test"},
    )
    entry.refresh_from_db()
    assert entry.event_type == "accounts:user:lock"
    assert entry.acting_user == system_actor
    assert entry.modified_user == pupil
    assert entry.client_address == "192.0.2.7"
    assert entry.details == {"reason": "test"}


def test_event_types_are_source_subject_action():
    for value in AuditEvent.values:
        parts = value.split(":")
        assert len(parts) == 3 and all(parts), value


def test_update_school_settings_audits_the_difference(admin_user):
    school = SchoolSettings.get()
    do_update_school_settings(
        school,
        {"school_name": "Gesamtschule Nord", "leaver_grace_days": 42},
        acting_user=admin_user,
    )
    assert SchoolSettings.get().school_name == "Gesamtschule Nord"
    entry = AuditLogEntry.objects.get(event_type=AuditEvent.SETTINGS_UPDATE)
    assert entry.acting_user == admin_user
    assert entry.details == {
        "changes": {"school_name": {"old": "Schulhof", "new": "Gesamtschule Nord"}}
    }


def test_update_school_settings_without_change_writes_nothing(admin_user):
    do_update_school_settings(
        SchoolSettings.get(), {"leaver_grace_days": 42}, acting_user=admin_user
    )
    assert not AuditLogEntry.objects.exists()


def _entry_at(moment: datetime, actor) -> AuditLogEntry:
    entry = log_event(AuditEvent.LOGOUT, acting_user=actor)
    AuditLogEntry.objects.filter(pk=entry.pk).update(created=moment)
    return entry


def test_retention_deletes_exactly_entries_older_than_six_months(system_actor):
    now = datetime(2026, 8, 31, 12, 0, tzinfo=UTC)
    cutoff = datetime(2026, 2, 28, 12, 0, tzinfo=UTC)  # 31 Aug minus 6 months, clamped
    old = _entry_at(datetime(2025, 1, 1, tzinfo=UTC), system_actor)
    just_old = _entry_at(cutoff - timedelta(microseconds=1), system_actor)
    at_cutoff = _entry_at(cutoff, system_actor)
    recent = _entry_at(datetime(2026, 8, 1, tzinfo=UTC), system_actor)
    with time_machine.travel(now, tick=False):
        deleted = do_purge_audit_log(acting_user=system_actor)
    assert deleted == 2
    remaining = set(
        AuditLogEntry.objects.exclude(event_type=AuditEvent.AUDIT_PURGE).values_list(
            "pk", flat=True
        )
    )
    assert remaining == {at_cutoff.pk, recent.pk}
    assert old.pk not in remaining and just_old.pk not in remaining
    purge = AuditLogEntry.objects.get(event_type=AuditEvent.AUDIT_PURGE)
    assert purge.details["deleted"] == 2


def test_retention_follows_the_school_setting(system_actor):
    school = SchoolSettings.get()
    do_update_school_settings(school, {"log_retention_months": 1}, acting_user=system_actor)
    now = datetime(2026, 5, 15, tzinfo=UTC)
    two_months = _entry_at(datetime(2026, 3, 15, tzinfo=UTC), system_actor)
    two_weeks = _entry_at(datetime(2026, 5, 1, tzinfo=UTC), system_actor)
    with time_machine.travel(now, tick=False):
        do_purge_audit_log(acting_user=system_actor)
    assert not AuditLogEntry.objects.filter(pk=two_months.pk).exists()
    assert AuditLogEntry.objects.filter(pk=two_weeks.pk).exists()

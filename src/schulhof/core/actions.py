"""Core actions: the one way to write audit entries, school settings and log retention."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from schulhof.core import context
from schulhof.core.audit import AuditEvent
from schulhof.core.dates import months_before
from schulhof.core.models import AuditLogEntry, SchoolSettings

if TYPE_CHECKING:
    from schulhof.accounts.models import Group, User

logger = logging.getLogger(__name__)


def audit_entry(
    event_type: AuditEvent,
    *,
    acting_user: User,
    modified_user: User | None = None,
    modified_group: Group | None = None,
    client_address: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditLogEntry:
    """An unsaved, validated audit entry. ``acting_user`` is required: a person, or the
    system actor (``accounts.models.get_system_actor()``) for work nobody started by hand."""
    if acting_user is None or getattr(acting_user, "pk", None) is None:
        raise ValueError("An audit entry needs a saved acting_user (use the system actor).")
    if not isinstance(event_type, AuditEvent):
        event_type = AuditEvent(event_type)
    return AuditLogEntry(
        event_type=event_type,
        acting_user=acting_user,
        modified_user=modified_user,
        modified_group=modified_group,
        client_address=client_address or context.client_address.get(),
        details=details or {},
    )


def log_event(
    event_type: AuditEvent,
    *,
    acting_user: User,
    modified_user: User | None = None,
    modified_group: Group | None = None,
    client_address: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditLogEntry:
    """Write one audit entry (see :func:`audit_entry` for the rules)."""
    entry = audit_entry(
        event_type,
        acting_user=acting_user,
        modified_user=modified_user,
        modified_group=modified_group,
        client_address=client_address,
        details=details,
    )
    entry.save()
    return entry


def log_events(entries: list[AuditLogEntry]) -> list[AuditLogEntry]:
    """Write many entries built with :func:`audit_entry` in one INSERT (bulk actions such as
    an import of a whole school, where thousands of single INSERTs would hold the write lock
    for seconds)."""
    return AuditLogEntry.objects.bulk_create(entries, batch_size=500)


def apply_changes(obj: Any, changes: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Set the changed fields on ``obj`` (not saved); returns ``{field: {"old", "new"}}`` of
    what changed, for the audit entry of a settings-like action."""
    diff: dict[str, dict[str, Any]] = {}
    for field, new in changes.items():
        old = getattr(obj, field)
        if old != new:
            diff[field] = {"old": old, "new": new}
            setattr(obj, field, new)
    return diff


def do_update_school_settings(
    school_settings: SchoolSettings, changes: dict[str, Any], *, acting_user: User
) -> SchoolSettings:
    """Apply validated changes to the school settings; the audit entry lists old and new values."""
    diff = apply_changes(school_settings, changes)
    if not diff:
        return school_settings
    with transaction.atomic():
        school_settings.full_clean()
        school_settings.save()
        log_event(AuditEvent.SETTINGS_UPDATE, acting_user=acting_user, details={"changes": diff})
    return school_settings


def audit_cutoff(now: Any = None) -> Any:
    """Entries created before this moment are past the retention period."""
    now = now or timezone.now()
    return months_before(now, SchoolSettings.get().log_retention_months)


def do_purge_audit_log(*, acting_user: User) -> int:
    """Delete audit entries older than the retention period (default 6 months)."""
    cutoff = audit_cutoff()
    with transaction.atomic():
        deleted, _by_model = AuditLogEntry.objects.older_than(cutoff).delete()
        if deleted:
            log_event(
                AuditEvent.AUDIT_PURGE,
                acting_user=acting_user,
                details={"deleted": deleted, "cutoff": cutoff.isoformat()},
            )
    logger.info("Audit retention: deleted %d entries older than %s", deleted, cutoff)
    return deleted

"""Periodic jobs owned by core."""

from datetime import timedelta

from schulhof.core.tasks import periodic


@periodic(every=timedelta(hours=6))
def purge_audit_log() -> None:
    """Delete audit entries past the school's retention period (default 6 months)."""
    from schulhof.accounts.models import get_system_actor
    from schulhof.core.actions import do_purge_audit_log

    do_purge_audit_log(acting_user=get_system_actor())

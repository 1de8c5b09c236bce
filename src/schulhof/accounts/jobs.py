"""Periodic jobs of the accounts app."""

from datetime import timedelta

from schulhof.core.tasks import periodic


@periodic(every=timedelta(minutes=5))
def expire_locks_and_sanctions() -> None:
    """Unlock timed locks that ran out and audit sanctions that ended by themselves."""
    from schulhof.accounts.actions import do_record_expired_sanctions, do_unlock_expired_locks
    from schulhof.accounts.models import get_system_actor

    system = get_system_actor()
    do_unlock_expired_locks(acting_user=system)
    do_record_expired_sanctions(acting_user=system)


@periodic(every=timedelta(hours=1))
def clear_expired_sessions() -> None:
    """Delete expired web sessions and the device entries that belonged to them."""
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from schulhof.accounts.models import UserSession

    Session.objects.filter(expire_date__lt=timezone.now()).delete()
    UserSession.objects.exclude(session_key__in=Session.objects.values("session_key")).delete()

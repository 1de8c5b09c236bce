"""Periodic jobs of the files module."""

from datetime import timedelta

from schulhof.core.tasks import periodic


@periodic(every=timedelta(hours=1))
def expire_trash() -> None:
    """Delete trash entries older than the school's ``trash_retention_days``."""
    from schulhof.accounts.models import get_system_actor
    from schulhof.files.actions import do_expire_trash

    do_expire_trash(acting_user=get_system_actor())


@periodic(every=timedelta(minutes=10))
def recover_interrupted_uploads() -> None:
    """Give back the quota of uploads whose process died, delete their temporary files."""
    from schulhof.files.quota import recover

    recover()


@periodic(every=timedelta(hours=1))
def purge_expired_dav_locks() -> None:
    """Delete WebDAV locks whose timeout has passed."""
    from schulhof.files.dav_store import DatabaseLockStorage

    DatabaseLockStorage().cleanup()

"""Periodic jobs of the import."""

from datetime import timedelta

from schulhof.core.tasks import periodic


@periodic(every=timedelta(hours=6))
def purge_old_import_runs() -> None:
    """Uploaded files and previews hold personal data: delete runs after 30 days."""
    from schulhof.accounts.models import get_system_actor
    from schulhof.schoolimport.actions import do_purge_old_import_runs

    do_purge_old_import_runs(acting_user=get_system_actor())

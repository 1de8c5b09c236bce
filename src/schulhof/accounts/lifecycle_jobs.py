"""Periodic jobs of the account lifecycle: leavers are locked on their leaving date and
deleted when the grace period has run out. Importing this module also registers the consent
gate and the lifecycle's portal entries (``accounts.consent``)."""

from __future__ import annotations

import logging
from datetime import timedelta

from schulhof.accounts import consent  # noqa: F401 - registers the consent gate
from schulhof.core.tasks import periodic

logger = logging.getLogger(__name__)


@periodic(every=timedelta(minutes=15))
def process_leavers() -> None:
    """Lock leavers whose leaving date has come (ending their sessions), then purge those
    whose grace period has run out. One failing purge does not stop the others and is tried
    again at the next run (the task itself does not fail: that would roll back the purges
    that succeeded, after their files were already gone)."""
    from django.db import transaction

    from schulhof.accounts.lifecycle_actions import (
        do_lock_leaver,
        do_purge_user,
        due_for_purge,
        due_to_leave,
    )
    from schulhof.accounts.models import get_system_actor

    system = get_system_actor()
    for user in due_to_leave():
        do_lock_leaver(user, acting_user=system)
    for user in due_for_purge():
        try:
            # Its own savepoint: the worker runs the whole task in one transaction.
            with transaction.atomic():
                do_purge_user(user, acting_user=system)
        except Exception:
            logger.exception("Purge of user %s failed; retried at the next run", user.pk)

"""Template context for the deletion notice ("Löschbenachrichtigung") of leavers."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from schulhof.accounts.lifecycle_actions import is_pending_leaver


def leaver_notice(request: HttpRequest) -> dict[str, Any]:
    """``leaver_deletion_date``: the day the signed-in leaver's account will be deleted (they
    can still use it until the leaving date ``leaver_left_on``); None for everyone else."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not is_pending_leaver(user):
        return {"leaver_deletion_date": None, "leaver_left_on": None}
    return {"leaver_deletion_date": user.deletion_due, "leaver_left_on": user.left_on}

"""Template context every page of a signed-in user needs from the accounts app."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.http import HttpRequest

from schulhof.accounts.sanctions import BLOCKABLE, current_notice


@dataclass(frozen=True)
class SanctionNotice:
    """One sanction in force as the banner shows it."""

    areas: list[str]
    reason: str
    # None: until further notice ("unbefristet").
    ends_at: datetime | None


def sanctions(request: HttpRequest) -> dict[str, Any]:
    """``sanctions_in_force``: what is blocked for the signed-in user right now, and why."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"sanctions_in_force": []}
    notices = [
        SanctionNotice(
            areas=[str(BLOCKABLE.get(area, area)) for area in sanction.blocked],
            reason=sanction.reason,
            ends_at=sanction.ends_at,
        )
        for sanction in current_notice(user)
    ]
    return {"sanctions_in_force": notices}

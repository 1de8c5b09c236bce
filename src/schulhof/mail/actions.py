"""The mail module's write path (with audit)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from schulhof.accounts.models import User
from schulhof.core.actions import apply_changes, log_event
from schulhof.core.audit import AuditEvent
from schulhof.mail.models import MailPolicy


def do_update_mail_policy(
    policy: MailPolicy, changes: dict[str, Any], *, acting_user: User
) -> MailPolicy:
    """Apply validated changes to the sending limits; the audit entry lists old and new."""
    diff = apply_changes(policy, changes)
    if not diff:
        return policy
    with transaction.atomic():
        policy.full_clean()
        policy.save()
        log_event(AuditEvent.MAIL_POLICY_UPDATE, acting_user=acting_user, details={"changes": diff})
    return policy

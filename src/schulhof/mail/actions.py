"""The mail module's write path (with audit)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction

from schulhof.accounts.models import User
from schulhof.core.actions import apply_changes, log_event
from schulhof.core.audit import AuditEvent
from schulhof.mail.models import AutoReply, MailPolicy


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


def do_update_auto_reply(user: User, changes: dict[str, Any], *, acting_user: User) -> AutoReply:
    """Save a person's automatic reply and write its Sieve script once committed. The audit
    entry names what changed; the subject and text themselves stay out of the log."""
    from schulhof.mail import autoreply

    reply = AutoReply.objects.filter(user=user).first() or AutoReply(user=user)
    diff = apply_changes(reply, changes)
    if not diff and reply.pk:
        autoreply.install(user)  # nothing to record; the script is written again all the same
        return reply
    with transaction.atomic():
        reply.full_clean()
        reply.save()
        logged = {
            field: {k: _plain(v) for k, v in change.items()}
            if field in ("enabled", "start", "end")
            else {"changed": True}
            for field, change in diff.items()
        }
        log_event(
            AuditEvent.MAIL_AUTO_REPLY_UPDATE,
            acting_user=acting_user,
            modified_user=user,
            details={"changes": logged},
        )
        transaction.on_commit(lambda: autoreply.install(user))
    return reply


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def do_flush_mail_queue(*, acting_user: User) -> None:
    """Postfix tries every waiting message again now (audited)."""
    from schulhof.mail import queue
    from schulhof.mail.conf import mail_conf

    queue.flush(mail_conf())
    log_event(AuditEvent.MAIL_QUEUE_FLUSH, acting_user=acting_user)


def do_delete_deferred_mail(*, acting_user: User) -> int:
    """Give up on every deferred message; the audit entry has how many and for which
    domains (never addresses)."""
    from schulhof.mail import queue
    from schulhof.mail.conf import mail_conf

    conf = mail_conf()
    before = queue.state(conf)
    domains = sorted(d.domain for d in before.domains if d.deferred)
    deleted = queue.delete_deferred(conf)
    log_event(
        AuditEvent.MAIL_QUEUE_DELETE,
        acting_user=acting_user,
        details={"deleted": deleted, "domains": domains},
    )
    return deleted

"""Lifecycle actions: leavers, their return, and the final deletion of an account.

A leaver (``do_mark_left``) keeps using the account until the leaving date; from that day it
is locked (the periodic job in ``accounts.lifecycle_jobs`` switches it and ends the sessions).
On ``User.deletion_due`` (leaving date + the school's grace period) the job purges the account:
every module's registered deletion step runs, then the user row goes; the audit log keeps only
a pseudonymised record. A leaver who returns before that (``do_reactivate``) gets the account
back with everything in it.

Status while a leaver is waiting for the leaving date: ``active`` with ``left_on`` and
``deletion_due`` set (the account must keep working); from the leaving date: ``left``; while
a purge runs: ``deleted`` (a crashed purge is retried by the job).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models.functions import Cast
from django.utils import timezone

from schulhof.accounts.actions import end_sessions
from schulhof.accounts.consent import consent_errors, handover_errors, normalise_kuerzel
from schulhof.accounts.lifecycle import deletion_steps
from schulhof.accounts.models import (
    ConsentRecord,
    HandoverRecord,
    IssuedUsername,
    LoginAttempt,
    Role,
    Sanction,
    Status,
    User,
    UserQuerySet,
)
from schulhof.core.actions import log_event
from schulhof.core.audit import AuditEvent
from schulhof.core.models import AuditLogEntry, SchoolSettings

logger = logging.getLogger(__name__)

#: The placeholder actor of audit entries whose acting person has been deleted.
DELETED_PERSON_USERNAME = "deleted-person"

LeaverNotifier = Callable[[User], None]
_leaver_notifiers: list[LeaverNotifier] = []


def register_leaver_notifier(notifier: LeaverNotifier) -> LeaverNotifier:
    """Hook for the mail module: ``notifier(user)`` runs after a person has been marked as
    left (after the transaction commits) and should send the deletion notice with
    ``user.left_on`` and ``user.deletion_due``. The portal banner needs no hook."""
    if notifier not in _leaver_notifiers:
        _leaver_notifiers.append(notifier)
    return notifier


def _send_leaver_notices(user: User) -> None:
    for notifier in list(_leaver_notifiers):
        try:
            notifier(user)
        except Exception:
            # A notice that fails must not undo the leaving; the banner still shows it.
            logger.exception("Leaver notice for user %s failed", user.pk)


# Selectors ------------------------------------------------------------------------------


def leavers() -> UserQuerySet:
    """Everyone with a scheduled deletion: waiting for the leaving date, left, or being
    purged; ordered by deletion date."""
    return (
        User.objects.people()
        .filter(deletion_due__isnull=False)
        .order_by("deletion_due", "last_name", "first_name")
    )


def due_to_leave(today: date | None = None) -> UserQuerySet:
    """Leavers whose leaving date has arrived but whose account is not locked as left yet."""
    today = today or timezone.localdate()
    return leavers().filter(status__in=[Status.ACTIVE, Status.LOCKED], left_on__lte=today)


def due_for_purge(today: date | None = None) -> UserQuerySet:
    """Leavers whose grace period has run out (and purges that did not finish)."""
    today = today or timezone.localdate()
    return leavers().filter(status__in=[Status.LEFT, Status.DELETED], deletion_due__lte=today)


def is_pending_leaver(user: Any) -> bool:
    """The person is marked as left but may still use the account (leaving date ahead)."""
    return (
        isinstance(user, User)
        and user.status == Status.ACTIVE
        and user.deletion_due is not None
        and user.left_on is not None
    )


def pseudonym(username: str) -> str:
    """A stable pseudonym for a deleted person's audit trail: an HMAC of the username with
    the installation's secret, so it can be matched only with the secret and the name."""
    digest = hmac.new(
        settings.SECRET_KEY.encode("utf-8"), username.encode("utf-8"), hashlib.sha256
    ).hexdigest()
    return digest[:12]


# Leaving and returning ------------------------------------------------------------------


def do_mark_left(user: User, *, left_on: date, acting_user: User) -> None:
    """Mark ``user`` as left on ``left_on``: locked from that day (at once if it has come),
    deleted ``SchoolSettings.leaver_grace_days`` days later. Marking again with the same
    date changes nothing (imports run again and again)."""
    if user.role == Role.SYSTEM:
        raise ValueError("the system actor cannot leave")
    if user.status == Status.DELETED:
        raise ValueError("account %s is being deleted" % user.username)
    deletion_due = left_on + timedelta(days=SchoolSettings.get().leaver_grace_days)
    today = timezone.localdate()
    takes_effect = left_on <= today
    new_status = Status.LEFT if takes_effect else user.status
    if user.left_on == left_on and user.deletion_due is not None and user.status == new_status:
        return
    with transaction.atomic():
        user.left_on = left_on
        user.deletion_due = deletion_due
        user.status = new_status
        user.save(update_fields=["left_on", "deletion_due", "status"])
        ended = end_sessions(user) if takes_effect else 0
        log_event(
            AuditEvent.LEAVER_MARK,
            acting_user=acting_user,
            modified_user=user,
            details={
                "left_on": left_on.isoformat(),
                "deletion_due": deletion_due.isoformat(),
                "locked": takes_effect,
                "sessions_ended": ended,
            },
        )
        transaction.on_commit(lambda: _send_leaver_notices(user))


def do_lock_leaver(user: User, *, acting_user: User) -> None:
    """The leaving date has come: the account is locked as left and its sessions end."""
    if user.deletion_due is None or user.left_on is None:
        raise ValueError("%s is not a leaver" % user.username)
    with transaction.atomic():
        user.status = Status.LEFT
        user.save(update_fields=["status"])
        ended = end_sessions(user)
        log_event(
            AuditEvent.LEAVER_LOCK,
            acting_user=acting_user,
            modified_user=user,
            details={"left_on": user.left_on.isoformat(), "sessions_ended": ended},
        )


def do_reactivate(user: User, *, acting_user: User) -> None:
    """A leaver returns within the grace period: the account is active again with all its
    data, memberships and password; the deletion is cancelled. Does nothing for someone who
    is not a leaver."""
    if user.status == Status.DELETED or not User.objects.filter(pk=user.pk).exists():
        raise ValueError("account %s has been deleted and cannot return" % user.username)
    if user.deletion_due is None and user.status != Status.LEFT:
        return
    with transaction.atomic():
        details = {
            "left_on": user.left_on.isoformat() if user.left_on else None,
            "deletion_due": user.deletion_due.isoformat() if user.deletion_due else None,
            "status": user.status,
        }
        if user.status == Status.LEFT:
            user.status = Status.ACTIVE
        user.left_on = None
        user.deletion_due = None
        user.save(update_fields=["status", "left_on", "deletion_due"])
        log_event(
            AuditEvent.LEAVER_REACTIVATE,
            acting_user=acting_user,
            modified_user=user,
            details=details,
        )


# Deletion -------------------------------------------------------------------------------


def get_deleted_person_actor() -> User:
    """The placeholder acting user of audit entries whose actor has been deleted (the audit
    log's ``acting_user`` is required and protected)."""
    actor, created = User.objects.get_or_create(
        username=DELETED_PERSON_USERNAME,
        defaults={
            "first_name": "Gelöschte",
            "last_name": "Person",
            "role": Role.SYSTEM,
            "status": Status.LOCKED,
            "status_reason": "placeholder for deleted people, cannot log in",
            "password": "!",
        },
    )
    if created:
        IssuedUsername.objects.get_or_create(username=DELETED_PERSON_USERNAME)
    return actor


def _scrub(value: Any, pattern: re.Pattern[str], replacement: str) -> Any:
    """``value`` (JSON) with every mention of the username replaced by the pseudonym."""
    if isinstance(value, str):
        return pattern.sub(replacement, value)
    if isinstance(value, list):
        return [_scrub(item, pattern, replacement) for item in value]
    if isinstance(value, dict):
        return {key: _scrub(item, pattern, replacement) for key, item in value.items()}
    return value


def _pseudonymise_audit(user: User, tag: str, placeholder: User) -> int:
    """Detach the person's audit entries and replace their username by the pseudonym."""
    # The username as a whole word (also in "name@domain"), not inside "max.mueller2".
    pattern = re.compile(r"(?<![\w.-])%s(?![\w-])" % re.escape(user.username))
    replacement = "pseudonym:%s" % tag
    text = Cast("details", output_field=models.TextField())
    entries = AuditLogEntry.objects.annotate(details_text=text).filter(
        models.Q(acting_user=user)
        | models.Q(modified_user=user)
        | models.Q(details_text__contains=user.username)
    )
    count = 0
    for entry in entries.iterator():
        details = _scrub(entry.details, pattern, replacement)
        if not isinstance(details, dict):
            details = {"value": details}
        if entry.modified_user_id == user.pk:
            entry.modified_user = None
            details["pseudonym"] = tag
        if entry.acting_user_id == user.pk:
            entry.acting_user = placeholder
            details["acting_pseudonym"] = tag
        entry.details = details
        # The audit log is written only by log_event; rewriting it here is the one exception
        # the deletion rules demand (no personal data after the grace period).
        entry.save(update_fields=["modified_user", "acting_user", "details"])
        count += 1
    return count


def do_purge_user(user: User, *, acting_user: User) -> None:
    """Delete the person and all their data: every module's registered deletion step, then
    login attempts, sessions, memberships, sanctions, consent records and the user row. The
    username stays in ``IssuedUsername`` (never reused); the audit log keeps a pseudonym.

    Safe to run again after a crash: the account is marked ``deleted`` first, steps are
    idempotent, the job retries."""
    if user.role == Role.SYSTEM:
        raise ValueError("system actors cannot be deleted")
    if user.pk == acting_user.pk:
        raise ValueError("nobody deletes their own account this way")
    tag = pseudonym(user.username)
    role = user.role
    left_on = user.left_on
    with transaction.atomic():
        # Locked for every protocol from now on, even if a step below fails.
        user.status = Status.DELETED
        user.save(update_fields=["status"])
        end_sessions(user)
        IssuedUsername.objects.get_or_create(username=user.username)

    steps = deletion_steps()
    for module, step in steps.items():
        step(user)
        logger.info("Deletion step %s done for user %s", module, user.pk)

    with transaction.atomic():
        placeholder = get_deleted_person_actor()
        rewritten = _pseudonymise_audit(user, tag, placeholder)
        LoginAttempt.objects.filter(models.Q(user=user) | models.Q(username=user.username)).delete()
        # Sanctions this person imposed on others stay in force; only the author goes.
        Sanction.objects.filter(created_by=user).update(created_by=placeholder)
        end_sessions(user)
        user_pk = user.pk
        user.delete()
        log_event(
            AuditEvent.USER_PURGE,
            acting_user=acting_user,
            details={
                "pseudonym": tag,
                "role": role,
                "left_on": left_on.isoformat() if left_on else None,
                "steps": sorted(steps),
                "audit_entries_pseudonymised": rewritten,
            },
        )
    logger.info("User %s purged (pseudonym %s)", user_pk, tag)


# Consent and handover -------------------------------------------------------------------


class ConsentError(ValueError):
    """The consent or handover cannot be recorded; ``messages`` are German, for the user."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__(" ".join(messages))
        self.messages = messages


def do_record_consent(
    user: User,
    *,
    received_on: date,
    guardian_signed: bool,
    pupil_signed: bool,
    kuerzel: str,
    acting_user: User,
) -> ConsentRecord:
    """Record the signed consent form of a pupil (or correct an earlier record). Refuses
    with :class:`ConsentError` when a signature the age requires is missing."""
    kuerzel = normalise_kuerzel(kuerzel)
    errors = consent_errors(
        user,
        received_on=received_on,
        guardian_signed=guardian_signed,
        pupil_signed=pupil_signed,
        kuerzel=kuerzel,
    )
    if errors:
        raise ConsentError(errors)
    values = {
        "received_on": received_on,
        "guardian_signed": guardian_signed,
        "pupil_signed": pupil_signed,
        "kuerzel": kuerzel,
    }
    with transaction.atomic():
        record = ConsentRecord.objects.select_for_update().filter(user=user).first()
        previous = (
            {"received_on": record.received_on.isoformat(), "kuerzel": record.kuerzel}
            if record
            else None
        )
        if record is None:
            record = ConsentRecord(user=user)
        for field, value in values.items():
            setattr(record, field, value)
        record.recorded_by = acting_user
        record.recorded_at = timezone.now()
        record.save()
        log_event(
            AuditEvent.CONSENT_RECORD,
            acting_user=acting_user,
            modified_user=user,
            details={
                "received_on": received_on.isoformat(),
                "guardian_signed": guardian_signed,
                "pupil_signed": pupil_signed,
                "kuerzel": kuerzel,
                "previous": previous,
            },
        )
    return record


def do_record_handover(
    user: User, *, handed_over_on: date, kuerzel: str, acting_user: User
) -> HandoverRecord:
    """Record that username and first password were handed over to the person."""
    kuerzel = normalise_kuerzel(kuerzel)
    errors = handover_errors(user, handed_over_on=handed_over_on, kuerzel=kuerzel)
    if errors:
        raise ConsentError(errors)
    with transaction.atomic():
        record, _created = HandoverRecord.objects.update_or_create(
            user=user,
            defaults={
                "handed_over_on": handed_over_on,
                "kuerzel": kuerzel,
                "recorded_by": acting_user,
                "recorded_at": timezone.now(),
            },
        )
        log_event(
            AuditEvent.HANDOVER_RECORD,
            acting_user=acting_user,
            modified_user=user,
            details={"handed_over_on": handed_over_on.isoformat(), "kuerzel": kuerzel},
        )
    return record

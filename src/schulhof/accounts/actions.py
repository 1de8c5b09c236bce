"""Account actions: the only write path for users, passwords and groups.

Each ``do_*`` function makes one complete state change in one transaction and writes its
audit entry. Views, the CLI, imports and protocol adapters call these; nothing else saves
users or groups.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from schulhof.accounts.models import (
    GrantKind,
    Group,
    GroupKind,
    IssuedUsername,
    Membership,
    PrivilegeGrant,
    Role,
    Sanction,
    Status,
    User,
    UserSession,
)
from schulhof.accounts.usernames import first_free_username, username_base
from schulhof.core.actions import audit_entry, log_event, log_events
from schulhof.core.audit import AuditEvent
from schulhof.core.models import AuditLogEntry, SchoolSettings

FIRST_PASSWORD_DIGITS = 6


def username_taken(candidate: str) -> bool:
    """A name is taken if a user has it now or it was ever issued (never reuse)."""
    return (
        User.objects.filter(username=candidate).exists()
        or IssuedUsername.objects.filter(username=candidate).exists()
    )


def propose_username(first_name: str, last_name: str, name_particle: str = "") -> str:
    return first_free_username(username_base(first_name, last_name, name_particle), username_taken)


def generate_first_password() -> str:
    """Six random digits from the operating system's CSPRNG."""
    return "".join(secrets.choice("0123456789") for _ in range(FIRST_PASSWORD_DIGITS))


def _first_password_expiry() -> datetime:
    days = SchoolSettings.get().first_password_valid_days
    return timezone.now() + timedelta(days=days)


@dataclass(frozen=True)
class NewUser:
    user: User
    # Shown once to the person who created the account, never stored in clear.
    first_password: str | None


def do_create_user(
    *,
    first_name: str,
    last_name: str,
    role: str,
    acting_user: User,
    name_particle: str = "",
    birth_date: date | None = None,
    kuerzel: str = "",
    username: str | None = None,
    password: str | None = None,
    groups: list[Group] | tuple[Group, ...] = (),
    external_source: str = "",
    external_id: str = "",
    hashed_first_password: tuple[str, str] | None = None,
) -> NewUser:
    """Create a person with a generated username and, unless ``password`` is given, a fresh
    6-digit first password (returned once in ``NewUser.first_password``).

    ``hashed_first_password`` (clear, hash) lets bulk imports hash in parallel beforehand.
    """
    if role not in Role.values or role == Role.SYSTEM:
        raise ValueError("invalid role %r" % role)
    first_name = first_name.strip()
    last_name = last_name.strip()
    with transaction.atomic():
        name = username or propose_username(first_name, last_name, name_particle)
        if username_taken(name):
            raise ValueError("username %s is taken or was issued before" % name)
        first_password: str | None = None
        if password is not None:
            password_hash = make_password(password)
        elif hashed_first_password is not None:
            first_password, password_hash = hashed_first_password
        else:
            first_password = generate_first_password()
            password_hash = make_password(first_password)
        user = User.objects.create(
            username=name,
            first_name=first_name,
            last_name=last_name,
            name_particle=name_particle.strip(),
            birth_date=birth_date,
            role=role,
            kuerzel=kuerzel.strip().upper(),
            password=password_hash,
            first_password_pending=first_password is not None,
            first_password_expires=_first_password_expiry() if first_password else None,
            external_source=external_source,
            external_id=external_id,
        )
        IssuedUsername.objects.create(username=name)
        log_event(
            AuditEvent.USER_CREATE,
            acting_user=acting_user,
            modified_user=user,
            details={"username": name, "role": role, "first_password": first_password is not None},
        )
        for group in groups:
            do_add_member(group, user, acting_user=acting_user)
    return NewUser(user=user, first_password=first_password)


@dataclass(frozen=True)
class UserSpec:
    """One person for ``do_create_users``; the fields mean what the keyword arguments of
    ``do_create_user`` mean."""

    first_name: str
    last_name: str
    role: str
    name_particle: str = ""
    birth_date: date | None = None
    kuerzel: str = ""
    username: str | None = None
    password: str | None = None
    groups: tuple[Group, ...] = ()
    external_source: str = ""
    external_id: str = ""
    hashed_first_password: tuple[str, str] | None = None


#: Rows per INSERT and names per ``IN (…)`` query (SQLite allows 999 parameters per query;
#: a user row has about 25 columns, so Django splits the user INSERTs further itself).
_BULK_BATCH = 500


def _taken_among(candidates: Sequence[str]) -> set[str]:
    """Those of ``candidates`` that a user has now or that were ever issued (two queries per
    500 names instead of two per name)."""
    taken: set[str] = set()
    for start in range(0, len(candidates), _BULK_BATCH):
        batch = candidates[start : start + _BULK_BATCH]
        taken.update(User.objects.filter(username__in=batch).values_list("username", flat=True))
        taken.update(
            IssuedUsername.objects.filter(username__in=batch).values_list("username", flat=True)
        )
    return taken


def _usernames_for(specs: Sequence[UserSpec]) -> list[str]:
    """The username of each spec: the given one (refused if taken, issued before or given
    twice in the batch), else the first free one for the name. Given names are reserved
    before any is proposed, so a proposal never takes a name another spec asks for."""
    given = [spec.username for spec in specs if spec.username]
    seen: set[str] = set()
    for name in given:
        if name in seen:
            raise ValueError("username %s is given twice" % name)
        seen.add(name)
    taken = _taken_among(given)
    if taken:
        raise ValueError("username %s is taken or was issued before" % sorted(taken)[0])
    names: list[str] = []
    for spec in specs:
        if spec.username:
            names.append(spec.username)
            continue
        name = first_free_username(
            username_base(spec.first_name.strip(), spec.last_name.strip(), spec.name_particle),
            lambda candidate: candidate in seen or username_taken(candidate),
        )
        seen.add(name)
        names.append(name)
    return names


def _require_actor(acting_user: User) -> None:
    # The same refusal as audit_entry's, before anything is written.
    if acting_user is None or getattr(acting_user, "pk", None) is None:
        raise ValueError("An audit entry needs a saved acting_user (use the system actor).")


def do_create_users(specs: Sequence[UserSpec], *, acting_user: User) -> list[NewUser]:
    """Create many people at once (imports of a whole school): for each spec what
    ``do_create_user`` does, in one transaction of a few bulk INSERTs instead of about a
    dozen queries per person. Returns ``NewUser``s in the order of ``specs``.

    The same records and invariants as ``do_create_user``: a username is never one a user
    has or that was ever issued (checked in bulk, and ``IssuedUsername`` is unique); each
    person gets an ``IssuedUsername``, one ``USER_CREATE`` audit entry with the same details
    and one ``MEMBERSHIP_ADD`` entry per group; first passwords expire after the school's
    ``first_password_valid_days`` (read once, so all of the batch expire at the same moment).
    Pass ``hashed_first_password`` pairs: hashing here would hold the transaction for
    seconds per hundred people. Either everyone is created or, on any error, no one.
    """
    _require_actor(acting_user)
    for spec in specs:
        if spec.role not in Role.values or spec.role == Role.SYSTEM:
            raise ValueError("invalid role %r" % spec.role)
    if not specs:
        return []
    with transaction.atomic():
        names = _usernames_for(specs)
        expires: datetime | None = None
        users: list[User] = []
        first_passwords: list[str | None] = []
        for spec, name in zip(specs, names, strict=True):
            first_password: str | None = None
            if spec.password is not None:
                password_hash = make_password(spec.password)
            elif spec.hashed_first_password is not None:
                first_password, password_hash = spec.hashed_first_password
            else:
                first_password = generate_first_password()
                password_hash = make_password(first_password)
            if first_password is not None and expires is None:
                expires = _first_password_expiry()
            first_passwords.append(first_password)
            users.append(
                User(
                    username=name,
                    first_name=spec.first_name.strip(),
                    last_name=spec.last_name.strip(),
                    name_particle=spec.name_particle.strip(),
                    birth_date=spec.birth_date,
                    role=spec.role,
                    kuerzel=spec.kuerzel.strip().upper(),
                    password=password_hash,
                    first_password_pending=first_password is not None,
                    first_password_expires=expires if first_password else None,
                    external_source=spec.external_source,
                    external_id=spec.external_id,
                )
            )
        # SQLite (3.35+) and PostgreSQL return the new primary keys.
        User.objects.bulk_create(users, batch_size=_BULK_BATCH)
        IssuedUsername.objects.bulk_create(
            [IssuedUsername(username=name) for name in names], batch_size=_BULK_BATCH
        )
        memberships: list[Membership] = []
        entries: list[AuditLogEntry] = []
        for spec, user, first_password in zip(specs, users, first_passwords, strict=True):
            entries.append(
                audit_entry(
                    AuditEvent.USER_CREATE,
                    acting_user=acting_user,
                    modified_user=user,
                    details={
                        "username": user.username,
                        "role": user.role,
                        "first_password": first_password is not None,
                    },
                )
            )
            # A new person is in no group yet: each distinct group is one new membership.
            for group in dict.fromkeys(spec.groups):
                memberships.append(Membership(group=group, user=user))
                entries.append(
                    audit_entry(
                        AuditEvent.MEMBERSHIP_ADD,
                        acting_user=acting_user,
                        modified_user=user,
                        modified_group=group,
                    )
                )
        Membership.objects.bulk_create(memberships, batch_size=_BULK_BATCH)
        log_events(entries)
    return [
        NewUser(user=user, first_password=first_password)
        for user, first_password in zip(users, first_passwords, strict=True)
    ]


def do_issue_first_password(user: User, *, acting_user: User) -> str:
    """Replace the user's password by a new 6-digit first password and end their sessions.
    Returns the password (to show once and print)."""
    first_password = generate_first_password()
    with transaction.atomic():
        user.password = make_password(first_password)
        user.first_password_pending = True
        user.first_password_expires = _first_password_expiry()
        user.save(update_fields=["password", "first_password_pending", "first_password_expires"])
        end_sessions(user)
        log_event(
            AuditEvent.FIRST_PASSWORD_ISSUE,
            acting_user=acting_user,
            modified_user=user,
            details={"expires": user.first_password_expires.isoformat()},
        )
    return first_password


def do_set_password(
    user: User, password: str, *, acting_user: User, keep_session_key: str | None = None
) -> None:
    """Set a password the caller has validated; ends the first-password state and every
    session but ``keep_session_key`` (the one the user is changing it in)."""
    with transaction.atomic():
        user.set_password(password)
        user.first_password_pending = False
        user.first_password_expires = None
        user.save(update_fields=["password", "first_password_pending", "first_password_expires"])
        ended = end_sessions(user, keep_session_key=keep_session_key)
        log_event(
            AuditEvent.PASSWORD_CHANGE,
            acting_user=acting_user,
            modified_user=user,
            details={"sessions_ended": ended, "by_self": acting_user.pk == user.pk},
        )


def end_sessions(user: User, *, keep_session_key: str | None = None) -> int:
    """Delete the user's web sessions (all, or all but one). Returns how many ended."""
    devices = UserSession.objects.filter(user=user)
    if keep_session_key:
        devices = devices.exclude(session_key=keep_session_key)
    keys = list(devices.values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    devices.delete()
    return len(keys)


def do_lock_user(
    user: User, *, acting_user: User, reason: str = "", until: datetime | None = None
) -> None:
    with transaction.atomic():
        user.status = Status.LOCKED
        user.status_reason = reason
        user.locked_until = until
        user.save(update_fields=["status", "status_reason", "locked_until"])
        end_sessions(user)
        log_event(
            AuditEvent.USER_LOCK,
            acting_user=acting_user,
            modified_user=user,
            details={"reason": reason, "until": until.isoformat() if until else None},
        )


def do_unlock_user(user: User, *, acting_user: User, reason: str = "") -> None:
    with transaction.atomic():
        user.status = Status.ACTIVE
        user.status_reason = ""
        user.locked_until = None
        user.save(update_fields=["status", "status_reason", "locked_until"])
        log_event(
            AuditEvent.USER_UNLOCK,
            acting_user=acting_user,
            modified_user=user,
            details={"reason": reason},
        )


def do_create_group(
    *,
    name: str,
    slug: str,
    kind: str,
    acting_user: User,
    parent: Group | None = None,
    has_folder: bool = False,
    has_mail: bool = False,
    description: str = "",
    external_source: str = "",
    external_id: str = "",
) -> Group:
    if kind not in GroupKind.values:
        raise ValueError("invalid group kind %r" % kind)
    with transaction.atomic():
        group = Group.objects.create(
            name=name,
            slug=slug,
            kind=kind,
            parent=parent,
            has_folder=has_folder,
            has_mail=has_mail,
            description=description,
            external_source=external_source,
            external_id=external_id,
        )
        log_event(
            AuditEvent.GROUP_CREATE,
            acting_user=acting_user,
            modified_group=group,
            details={"name": name, "slug": slug, "kind": kind},
        )
    return group


def do_add_member(group: Group, user: User, *, acting_user: User) -> bool:
    """Add ``user`` to ``group``; returns False if they were a member already."""
    with transaction.atomic():
        _membership, created = Membership.objects.get_or_create(group=group, user=user)
        if created:
            log_event(
                AuditEvent.MEMBERSHIP_ADD,
                acting_user=acting_user,
                modified_user=user,
                modified_group=group,
            )
    return created


def do_remove_member(group: Group, user: User, *, acting_user: User) -> bool:
    with transaction.atomic():
        deleted, _by_model = Membership.objects.filter(group=group, user=user).delete()
        if deleted:
            log_event(
                AuditEvent.MEMBERSHIP_REMOVE,
                acting_user=acting_user,
                modified_user=user,
                modified_group=group,
            )
    return bool(deleted)


def do_set_group_leaders(group: Group, leaders: list[User], *, acting_user: User) -> None:
    with transaction.atomic():
        before = set(group.leaders.values_list("username", flat=True))
        group.leaders.set(leaders)
        after = {leader.username for leader in leaders}
        if before != after:
            log_event(
                AuditEvent.GROUP_UPDATE,
                acting_user=acting_user,
                modified_group=group,
                details={"leaders": {"old": sorted(before), "new": sorted(after)}},
            )


def do_create_sanction(
    user: User,
    *,
    blocked: list[str],
    reason: str,
    acting_user: User,
    ends_at: datetime | None = None,
) -> Sanction:
    """Block chosen areas (keys of ``sanctions.BLOCKABLE``) until ``ends_at`` or for good."""
    from schulhof.accounts.sanctions import BLOCKABLE

    unknown = set(blocked) - set(BLOCKABLE)
    if not blocked or unknown:
        raise ValueError("invalid blocked areas %r" % sorted(unknown or blocked))
    if not reason.strip():
        raise ValueError("a sanction needs a reason")
    with transaction.atomic():
        sanction = Sanction.objects.create(
            user=user,
            blocked=sorted(set(blocked)),
            reason=reason.strip(),
            ends_at=ends_at,
            created_by=acting_user,
        )
        log_event(
            AuditEvent.SANCTION_CREATE,
            acting_user=acting_user,
            modified_user=user,
            details={
                "sanction": sanction.pk,
                "blocked": sanction.blocked,
                "reason": sanction.reason,
                "ends_at": ends_at.isoformat() if ends_at else None,
            },
        )
    return sanction


def do_lift_sanction(sanction: Sanction, *, acting_user: User) -> None:
    """End a sanction early."""
    with transaction.atomic():
        sanction.lifted_at = timezone.now()
        sanction.end_recorded = True
        sanction.save(update_fields=["lifted_at", "end_recorded"])
        log_event(
            AuditEvent.SANCTION_END,
            acting_user=acting_user,
            modified_user=sanction.user,
            details={"sanction": sanction.pk, "how": "lifted"},
        )


def do_record_expired_sanctions(*, acting_user: User) -> int:
    """Audit the natural end of sanctions whose end date has passed (they stopped applying
    at that moment already; this only records it)."""
    count = 0
    for sanction in Sanction.objects.expired_unrecorded().select_related("user"):
        with transaction.atomic():
            updated = Sanction.objects.filter(pk=sanction.pk, end_recorded=False).update(
                end_recorded=True
            )
            if updated:
                log_event(
                    AuditEvent.SANCTION_END,
                    acting_user=acting_user,
                    modified_user=sanction.user,
                    details={"sanction": sanction.pk, "how": "expired"},
                )
                count += 1
    return count


def do_unlock_expired_locks(*, acting_user: User) -> int:
    """Unlock users whose timed lock has run out."""
    expired = User.objects.filter(status=Status.LOCKED, locked_until__lte=timezone.now())
    count = 0
    for user in expired:
        do_unlock_user(user, acting_user=acting_user, reason="lock expired")
        count += 1
    return count


def do_grant_privilege(
    privilege: str,
    *,
    acting_user: User,
    role: str = "",
    group: Group | None = None,
    all_groups_except: list[Group] | None = None,
) -> PrivilegeGrant:
    """Grant a named privilege to a role, a group, or all groups except some."""
    from schulhof.accounts.privileges import all_privileges

    if privilege not in all_privileges():
        raise ValueError("unknown privilege %r" % privilege)
    targets = [role != "", group is not None, all_groups_except is not None]
    if sum(targets) != 1:
        raise ValueError("grant to exactly one of role, group, all_groups_except")
    if role:
        kind = GrantKind.ROLE
    elif group is not None:
        kind = GrantKind.GROUP
    else:
        kind = GrantKind.ALL_GROUPS_EXCEPT
    with transaction.atomic():
        grant = PrivilegeGrant.objects.create(
            privilege=privilege, kind=kind, role=role, group=group
        )
        if all_groups_except:
            grant.excluded_groups.set(all_groups_except)
        log_event(
            AuditEvent.PRIVILEGE_GRANT,
            acting_user=acting_user,
            modified_group=group,
            details={
                "privilege": privilege,
                "kind": kind,
                "role": role or None,
                "excluded": sorted(g.slug for g in all_groups_except or []),
            },
        )
    return grant


def do_revoke_privilege(grant: PrivilegeGrant, *, acting_user: User) -> None:
    with transaction.atomic():
        details = {"privilege": grant.privilege, "kind": grant.kind, "role": grant.role or None}
        group = grant.group
        grant.delete()
        log_event(
            AuditEvent.PRIVILEGE_REVOKE,
            acting_user=acting_user,
            modified_group=group,
            details=details,
        )


def do_update_user(user: User, changes: dict[str, object], *, acting_user: User) -> User:
    """Change a person's editable fields (names, birth date, role, Kürzel); audits old and
    new values. The username stays: renaming is a separate decision (imports offer it)."""
    allowed = {"first_name", "last_name", "name_particle", "birth_date", "role", "kuerzel"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError("fields not editable here: %s" % ", ".join(sorted(unknown)))
    diff: dict[str, dict[str, object]] = {}
    for field, new in changes.items():
        old = getattr(user, field)
        if old != new:
            diff[field] = {
                "old": str(old) if old is not None else None,
                "new": str(new) if new is not None else None,
            }
            setattr(user, field, new)
    if not diff:
        return user
    with transaction.atomic():
        user.save(update_fields=list(diff))
        log_event(
            AuditEvent.USER_UPDATE,
            acting_user=acting_user,
            modified_user=user,
            details={"changes": diff},
        )
    return user


def do_enable_totp(user: User, secret: str, *, acting_user: User) -> None:
    """Turn on two-factor login with a secret the user has confirmed with a valid code."""
    with transaction.atomic():
        user.totp_secret = secret
        user.totp_enabled = True
        user.totp_last_step = None
        user.save(update_fields=["totp_secret", "totp_enabled", "totp_last_step"])
        log_event(AuditEvent.TOTP_ENABLE, acting_user=acting_user, modified_user=user)


def do_disable_totp(user: User, *, acting_user: User) -> None:
    with transaction.atomic():
        user.totp_secret = ""
        user.totp_enabled = False
        user.totp_last_step = None
        user.save(update_fields=["totp_secret", "totp_enabled", "totp_last_step"])
        log_event(AuditEvent.TOTP_DISABLE, acting_user=acting_user, modified_user=user)

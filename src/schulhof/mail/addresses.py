"""Who has which address: mailboxes, aliases after a rename, and group lists.

Every user (but the system actor, and not after deletion) has ``username@<mail domain>``.
A username a person had before a rename stays an alias of their mailbox
(:class:`schulhof.schoolimport.models.UsernameAlias`). Groups with the mail flag have
``<slug>@<mail domain>``; a message to it goes to every member who can receive mail.

This module answers the mail servers' lookups (through the mail gate) and the webmail's
autocomplete; it never writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parseaddr

from django.db.models import Q

from schulhof.accounts.models import Group, GroupKind, Role, Status, User, UserQuerySet
from schulhof.core.models import SchoolSettings

# Statuses whose mailbox still receives mail: a locked user keeps their mail; a leaver's
# mailbox receives until it is deleted with the account.
RECEIVING = (Status.ACTIVE, Status.LOCKED, Status.LEFT)
# Group kinds whose address reaches a whole role (all pupils, all teachers).
ROLE_KINDS = (GroupKind.ROLE,)
# "leon.schmidt+ag@…" is delivered to leon.schmidt (Postfix and Dovecot know it too).
RECIPIENT_DELIMITER = "+"


def mail_domain() -> str:
    return SchoolSettings.get().mail_domain.lower()


def local_domains() -> set[str]:
    """The domains this server receives mail for."""
    return {mail_domain()}


def split(address: str) -> tuple[str, str]:
    """``"Leon <Leon.Schmidt@Schule.de>"`` → ``("leon.schmidt", "schule.de")``; ("", "") if
    it is not an address."""
    _name, addr = parseaddr(address or "")
    addr = addr.strip().lower()
    if addr.count("@") != 1:
        return "", ""
    local, domain = addr.split("@")
    if not local or not domain:
        return "", ""
    return local, domain


def is_local(address: str) -> bool:
    _local, domain = split(address)
    return bool(domain) and domain in local_domains()


def address_of(user: User) -> str:
    return user.email_address(mail_domain())


def group_address(group: Group) -> str:
    return "%s@%s" % (group.slug, mail_domain())


def mail_users() -> UserQuerySet:
    """People who have a mailbox."""
    return User.objects.people().filter(status__in=RECEIVING)


@dataclass(frozen=True)
class Resolution:
    """What a local address is: ``kind`` is "mailbox", "alias" or "group"; ``user`` for a
    mailbox or an alias, ``group`` for a group list."""

    kind: str
    user: User | None = None
    group: Group | None = None


def resolve(address: str) -> Resolution | None:
    """The mailbox, alias or group behind a local address, or None if there is none."""
    local, domain = split(address)
    if not local or domain not in local_domains():
        return None
    # Plus addressing: "leon.schmidt+ag@…" reaches leon.schmidt.
    local = local.split(RECIPIENT_DELIMITER, 1)[0]
    if not local:
        return None
    user = mail_users().filter(username=local).first()
    if user is not None:
        return Resolution("mailbox", user=user)
    from schulhof.schoolimport.models import UsernameAlias

    alias = (
        UsernameAlias.objects.filter(username=local, user__status__in=RECEIVING)
        .exclude(user__role=Role.SYSTEM)
        .select_related("user")
        .first()
    )
    if alias is not None:
        return Resolution("alias", user=alias.user)
    group = Group.objects.filter(slug=local, has_mail=True).first()
    if group is not None:
        return Resolution("group", group=group)
    return None


def group_members_addresses(group: Group) -> list[str]:
    """Addresses a group list expands to: its members with a mailbox, sorted."""
    domain = mail_domain()
    names = (
        mail_users()
        .filter(membership__group=group)
        .order_by("username")
        .values_list("username", flat=True)
        .distinct()
    )
    return ["%s@%s" % (name, domain) for name in names]


def expand(address: str) -> list[str]:
    """Where Postfix delivers a local address: the mailbox address itself, an alias's
    mailbox, or a group's members. Empty for unknown addresses and empty groups."""
    resolution = resolve(address)
    if resolution is None:
        return []
    if resolution.group is not None:
        return group_members_addresses(resolution.group)
    if resolution.user is None:
        return []
    return [address_of(resolution.user)]


def sender_addresses(user: User) -> set[str]:
    """The addresses the user may send as (envelope sender and header From): their own and
    their aliases. Group addresses are for receiving only."""
    from schulhof.schoolimport.models import UsernameAlias

    domain = mail_domain()
    addresses = {user.email_address(domain)}
    for name in UsernameAlias.objects.filter(user=user).values_list("username", flat=True):
        addresses.add("%s@%s" % (name, domain))
    return addresses


def owners_of(address: str) -> list[str]:
    """Login names that may use ``address`` as sender (Postfix's sender login map)."""
    resolution = resolve(address)
    if resolution is None or resolution.user is None:
        return []
    return [resolution.user.username]


def may_mark_parent_info(user: User) -> bool:
    """Teachers (and admins) may mark a message as information for the parents."""
    from schulhof.accounts.privileges import has_privilege
    from schulhof.mail.privileges import MAIL_PARENT_INFO

    return user.is_active and (
        user.role in (Role.TEACHER, Role.ADMIN) or has_privilege(user, MAIL_PARENT_INFO)
    )


@dataclass(frozen=True)
class Suggestion:
    address: str
    label: str
    kind: str  # "user" or "group"


def suggest(user: User, query: str, limit: int = 10) -> list[Suggestion]:
    """Recipients for the compose form's autocomplete: people by name or username and groups
    with an address, by name or slug. Whether sending there is allowed is decided when
    sending; the list only leaves out what cannot receive mail."""
    query = " ".join((query or "").split())[:100]
    if len(query) < 2:
        return []
    domain = mail_domain()
    words = query.lower().split(" ")
    people = mail_users().exclude(pk=user.pk)
    for word in words[:4]:
        people = people.filter(
            Q(username__icontains=word)
            | Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
        )
    groups = Group.objects.filter(has_mail=True).filter(
        Q(slug__icontains=query) | Q(name__icontains=query)
    )
    result = [
        Suggestion("%s@%s" % (g.slug, domain), g.name, "group")
        for g in groups.order_by("kind", "name")[:limit]
    ]
    for person in people.order_by("last_name", "first_name")[: max(0, limit - len(result))]:
        label = "%s %s" % (person.first_name, person.last_name)
        result.append(Suggestion(person.email_address(domain), label.strip(), "user"))
    return result[:limit]

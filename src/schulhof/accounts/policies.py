"""Who may do what with accounts. Views ask these policies, never the models directly."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from schulhof.accounts import privileges
from schulhof.accounts.models import Group, GroupKind, Role, User
from schulhof.core.policies import BasePermissionPolicy


def _is_person(user: Any) -> bool:
    return isinstance(user, User) and user.is_active and user.role != Role.SYSTEM


class FirstPasswordPolicy(BasePermissionPolicy[User]):
    """Issuing a new first password (action ``"issue"``): admins (and holders of
    ``admin.users``) to anyone; class teachers to pupils of the classes they lead; advisors to
    pupils of the year groups they lead (directly or through its classes); nobody else."""

    model = User

    def instances_user_has_permission_for(self, user: Any, action: str) -> QuerySet[User]:
        people = User.objects.people().exclude(status="deleted")
        if not _is_person(user) or action != "issue":
            return people.none()
        if user.role == Role.ADMIN or privileges.has_privilege(user, privileges.ADMIN_USERS):
            return people
        if not privileges.has_privilege(user, privileges.ISSUE_FIRST_PASSWORD):
            return people.none()
        led = Group.objects.led_by(user)
        classes = led.filter(kind=GroupKind.CLASS)
        years = led.filter(kind=GroupKind.YEAR)
        return (
            people.pupils()
            .filter(
                Q(membership__group__in=classes)
                | Q(membership__group__in=years)
                | Q(membership__group__parent__in=years)
            )
            .distinct()
        )

    def users_with_permission_for(self, action: str, obj: User) -> QuerySet[User]:
        if action != "issue":
            return User.objects.none()
        admins = privileges.users_with_privilege(privileges.ADMIN_USERS)
        teachers = privileges.users_with_privilege(privileges.ISSUE_FIRST_PASSWORD)
        groups = Group.objects.filter(membership__user=obj)
        leaders = teachers.filter(
            Q(led_groups__in=groups.filter(kind__in=[GroupKind.CLASS, GroupKind.YEAR]))
            | Q(led_groups__children__in=groups)
        )
        if obj.role != Role.PUPIL:
            leaders = leaders.none()
        return (admins | leaders).distinct()


class UserAdminPolicy(BasePermissionPolicy[User]):
    """Administering people (view, create, edit, lock): ``admin.users``."""

    model = User

    def instances_user_has_permission_for(self, user: Any, action: str) -> QuerySet[User]:
        people = User.objects.people()
        if _is_person(user) and privileges.has_privilege(user, privileges.ADMIN_USERS):
            return people
        return people.none()

    def users_with_permission_for(self, action: str, obj: User) -> QuerySet[User]:
        return privileges.users_with_privilege(privileges.ADMIN_USERS)


class GroupPolicy(BasePermissionPolicy[Group]):
    """Groups: ``view`` and ``manage_members`` for admins (``admin.groups``) and the group's
    leaders (owners); ``edit`` (name, flags, leaders) for admins only."""

    model = Group

    def instances_user_has_permission_for(self, user: Any, action: str) -> QuerySet[Group]:
        if not _is_person(user):
            return Group.objects.none()
        if privileges.has_privilege(user, privileges.ADMIN_GROUPS):
            return Group.objects.all()
        if action in ("view", "manage_members"):
            return Group.objects.led_by(user)
        return Group.objects.none()

    def users_with_permission_for(self, action: str, obj: Group) -> QuerySet[User]:
        admins = privileges.users_with_privilege(privileges.ADMIN_GROUPS)
        if action in ("view", "manage_members"):
            return (admins | obj.leaders.all()).distinct()
        return admins


first_password_policy = FirstPasswordPolicy()
user_admin_policy = UserAdminPolicy()
group_policy = GroupPolicy()

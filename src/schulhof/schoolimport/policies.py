"""Who may import: holders of ``admin.users`` (admins have every privilege)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from schulhof.accounts import privileges
from schulhof.core.policies import BasePermissionPolicy
from schulhof.schoolimport.models import ImportRun


def may_import(user: Any) -> bool:
    return privileges.has_privilege(user, privileges.ADMIN_USERS)


class ImportRunPolicy(BasePermissionPolicy[ImportRun]):
    """Every action on runs (``view``, ``apply``, ``discard``, ``letters``) and on profiles
    needs ``admin.users``: the files hold the whole school's personal data."""

    model = ImportRun

    def user_has_permission(self, user: Any, action: str) -> bool:
        return may_import(user)

    def instances_user_has_permission_for(self, user: Any, action: str) -> QuerySet[ImportRun]:
        if not may_import(user):
            return ImportRun.objects.none()
        return ImportRun.objects.all()

    def users_with_permission_for(self, action: str, obj: ImportRun) -> QuerySet[Any]:
        return privileges.users_with_privilege(privileges.ADMIN_USERS)


import_run_policy = ImportRunPolicy()

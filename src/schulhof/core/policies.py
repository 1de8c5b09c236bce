"""The base of permission policies: one object per resource answers who may do what.

A policy answers three questions, so that views never re-implement checks:

- ``user_has_permission_for(user, action, obj)``: may this user do ``action`` on ``obj``?
- ``instances_user_has_permission_for(user, action)``: a queryset of objects (for lists);
- ``users_with_permission_for(action, obj)``: who may (for notices and overviews).

Views fetch through :func:`get_object_or_403`, which looks up and checks in one call.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import models
from django.shortcuts import get_object_or_404

M = TypeVar("M", bound=models.Model)


class BasePermissionPolicy(Generic[M]):
    model: type[M]

    def user_has_permission(self, user: Any, action: str) -> bool:
        """May the user do ``action`` on some object of this kind at all?"""
        return self.instances_user_has_permission_for(user, action).exists()

    def user_has_permission_for(self, user: Any, action: str, obj: M) -> bool:
        return self.instances_user_has_permission_for(user, action).filter(pk=obj.pk).exists()

    def instances_user_has_permission_for(self, user: Any, action: str) -> models.QuerySet[M]:
        raise NotImplementedError

    def users_with_permission_for(self, action: str, obj: M) -> models.QuerySet[Any]:
        raise NotImplementedError

    def get_object_or_403(self, user: Any, action: str, **lookup: Any) -> M:
        """Fetch the object (404 if missing) and check the permission (403 if not allowed)."""
        obj = get_object_or_404(self.model, **lookup)
        if not self.user_has_permission_for(user, action, obj):
            raise PermissionDenied
        return obj

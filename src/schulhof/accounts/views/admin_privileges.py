"""Admin page for privileges: every registered privilege with its grants (to a role, a group,
or all groups except some), a grant form per privilege, and revoking."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from schulhof.accounts import privileges
from schulhof.accounts.actions import do_grant_privilege, do_revoke_privilege
from schulhof.accounts.admin_forms import GrantForm, grouped_group_choices
from schulhof.accounts.models import PrivilegeGrant
from schulhof.accounts.views.admin import admin_tabs, require
from schulhof.core.http import AuthenticatedHttpRequest


@dataclass
class PrivilegeRow:
    key: str
    label: str | Promise
    grants: list[PrivilegeGrant]
    form: GrantForm
    # Open the grant form: it came back with errors.
    open: bool = False


def _require_privilege_admin(request: AuthenticatedHttpRequest) -> None:
    require(privileges.has_privilege(request.user, privileges.ADMIN_PRIVILEGES))


def _render(request: AuthenticatedHttpRequest, bound: GrantForm | None = None) -> HttpResponse:
    registered = privileges.all_privileges()
    grants: dict[str, list[PrivilegeGrant]] = {}
    for grant in PrivilegeGrant.objects.select_related("group").prefetch_related("excluded_groups"):
        grants.setdefault(grant.privilege, []).append(grant)
    bound_key = bound.data.get("privilege") if bound is not None else None
    group_choices = grouped_group_choices()
    rows: list[PrivilegeRow] = []
    for index, (key, label) in enumerate(registered.items()):
        auto_id = "id_grant%d_%%s" % index
        if bound is not None and key == bound_key:
            form, is_open = bound, True
            form.auto_id = auto_id
        else:
            form = GrantForm(
                privileges=registered,
                group_choices=group_choices,
                initial={"privilege": key},
                auto_id=auto_id,
            )
            is_open = False
        rows.append(PrivilegeRow(key, label, grants.get(key, []), form, is_open))
    # Grants of privileges no installed module declares any more (revocable, not grantable).
    orphans = [grant for key, found in grants.items() if key not in registered for grant in found]
    return render(
        request,
        "accounts/admin/privileges.html",
        {
            "rows": rows,
            "orphans": orphans,
            "tabs": admin_tabs(request.user),
            "current_tab": "privileges",
        },
    )


@login_required
@require_GET
def privilege_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_privilege_admin(request)
    return _render(request)


@login_required
@require_POST
def privilege_grant(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_privilege_admin(request)
    form = GrantForm(request.POST, privileges=privileges.all_privileges())
    if not form.is_valid():
        return _render(request, bound=form)
    key = form.cleaned_data["privilege"]
    do_grant_privilege(key, acting_user=request.user, **form.grant_target())
    messages.success(
        request,
        _("Das Recht „%(privilege)s“ wurde vergeben.")
        % {"privilege": privileges.all_privileges()[key]},
    )
    return redirect("accounts:admin_privileges")


@login_required
@require_POST
def privilege_revoke(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    _require_privilege_admin(request)
    grant = get_object_or_404(PrivilegeGrant, pk=pk)
    label = privileges.all_privileges().get(grant.privilege, grant.privilege)
    do_revoke_privilege(grant, acting_user=request.user)
    messages.success(request, _("Das Recht „%(privilege)s“ wurde entzogen.") % {"privilege": label})
    return redirect("accounts:admin_privileges")


urlpatterns: list[Any] = [
    path("", privilege_list, name="admin_privileges"),
    path("vergeben/", privilege_grant, name="admin_privilege_grant"),
    path("<int:pk>/entziehen/", privilege_revoke, name="admin_privilege_revoke"),
]

"""Admin pages for leavers (``/verwaltung/abgaenge/``): who is leaving or has left, when each
account will be deleted, bringing a leaver back, deleting one at once; and the Moodle export.

Viewing, bringing back and the export need ``admin.users``; deleting at once is for admins.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from schulhof.accounts.consent import class_name_subquery, sees_all_classes
from schulhof.accounts.lifecycle_actions import do_purge_user, do_reactivate, leavers
from schulhof.accounts.models import Status, User
from schulhof.accounts.moodle import moodle_csv, moodle_users
from schulhof.core.actions import log_event
from schulhof.core.audit import AuditEvent
from schulhof.core.http import AuthenticatedHttpRequest
from schulhof.core.models import SchoolSettings


def _require_admin_users(user: User) -> None:
    if not sees_all_classes(user):
        raise PermissionDenied


def _leaver_or_404(request: AuthenticatedHttpRequest, pk: int) -> User:
    _require_admin_users(request.user)
    return get_object_or_404(leavers(), pk=pk)


@login_required
@never_cache
@require_GET
def leaver_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_admin_users(request.user)
    today = timezone.localdate()
    people = list(leavers().annotate(class_name=class_name_subquery()))
    rows = [
        {
            "person": person,
            "pending": person.status == Status.ACTIVE or person.status == Status.LOCKED,
            "overdue": person.deletion_due is not None and person.deletion_due <= today,
        }
        for person in people
    ]
    return render(
        request,
        "accounts/leavers/list.html",
        {
            "rows": rows,
            "grace_days": SchoolSettings.get().leaver_grace_days,
            "may_purge": request.user.is_admin,
        },
    )


@login_required
@require_POST
def leaver_reactivate(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    person = _leaver_or_404(request, pk)
    try:
        do_reactivate(person, acting_user=request.user)
    except ValueError:
        messages.error(request, _("Dieses Konto wird gerade gelöscht und kann nicht zurückkehren."))
    else:
        messages.success(
            request,
            _("%(name)s ist wieder aktiv; die Löschung ist aufgehoben.")
            % {"name": person.full_name},
        )
    return redirect("accounts:leavers")


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def leaver_purge(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """GET: confirm. POST: delete the account and all its data now."""
    person = _leaver_or_404(request, pk)
    if not request.user.is_admin or person.pk == request.user.pk:
        raise PermissionDenied
    if request.method == "GET":
        return render(request, "accounts/leavers/purge_confirm.html", {"person": person})
    name = person.full_name
    do_purge_user(person, acting_user=request.user)
    messages.success(
        request, _("Das Konto von %(name)s und alle Daten wurden gelöscht.") % {"name": name}
    )
    return redirect("accounts:leavers")


@login_required
@never_cache
@require_GET
def moodle_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The CSV for Moodle's "Upload users" (pupils and teachers with active accounts)."""
    _require_admin_users(request.user)
    users = list(moodle_users())
    text = moodle_csv(users)
    log_event(
        AuditEvent.MOODLE_EXPORT,
        acting_user=request.user,
        details={"people": len(users)},
    )
    response = HttpResponse(text.encode("utf-8"), content_type="text/csv; charset=utf-8")
    filename = "moodle-benutzer-%s.csv" % timezone.localdate().isoformat()
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


urlpatterns = [
    path("verwaltung/abgaenge/", leaver_list, name="leavers"),
    path("verwaltung/abgaenge/<int:pk>/zurueckholen/", leaver_reactivate, name="leaver_reactivate"),
    path("verwaltung/abgaenge/<int:pk>/loeschen/", leaver_purge, name="leaver_purge"),
    path("verwaltung/moodle-export/", moodle_export, name="moodle_export"),
]

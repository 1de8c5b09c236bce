"""Delegated first passwords: class teachers and advisors issue new first passwords to the
pupils of the groups they lead and print credential letters; admins to anyone.

Every issue goes through ``do_issue_first_password`` (audited). A first password leaves the
server only in the one response that issued it (a page or a PDF, never cached): it is never
stored in clear, put into a URL, the session or a log. GET requests never issue anything.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods

from schulhof.accounts import privileges
from schulhof.accounts.actions import do_issue_first_password
from schulhof.accounts.letters import (
    credential_letters_pdf,
    issue_letters_pdf,
    letter_for,
    portal_url,
)
from schulhof.accounts.models import Group, GroupKind, Membership, Role, Status, User
from schulhof.accounts.policies import first_password_policy
from schulhof.core.http import AuthenticatedHttpRequest, filename_part, pdf_attachment

#: Form field names (German, they show in the address bar of the confirmation step).
FIELD_PUPILS = "schueler"
FIELD_ALL = "alle"


# Selectors ------------------------------------------------------------------------------


def sees_all_classes(user: Any) -> bool:
    """Admins (and holders of ``admin.users``) look after every class."""
    return (
        isinstance(user, User)
        and user.is_active
        and (user.is_admin or privileges.has_privilege(user, privileges.ADMIN_USERS))
    )


def groups_for_first_passwords(user: Any) -> QuerySet[Group]:
    """The classes and year groups the user leads; for admins every class as well."""
    if not isinstance(user, User) or not user.is_active or user.role in (Role.SYSTEM, Role.PUPIL):
        return Group.objects.none()
    led = Group.objects.led_by(user).filter(kind__in=[GroupKind.CLASS, GroupKind.YEAR])
    if sees_all_classes(user):
        return Group.objects.filter(Q(kind=GroupKind.CLASS) | Q(pk__in=led.values("pk")))
    return led


def pupils_in_groups(groups: QuerySet[Group], user: Any) -> QuerySet[User]:
    """The pupils of ``groups`` (for a year group: also of its classes) to whom ``user`` may
    issue a first password."""
    allowed = first_password_policy.instances_user_has_permission_for(user, "issue")
    return (
        User.objects.people()
        .pupils()
        .exclude(status=Status.DELETED)
        .filter(Q(membership__group__in=groups) | Q(membership__group__parent__in=groups))
        .filter(pk__in=allowed.values("pk"))
        .distinct()
    )


def pupils_for_first_passwords(group: Group, user: Any) -> QuerySet[User]:
    """:func:`pupils_in_groups` for one group, each annotated with ``class_name`` (their
    class, first by name) and in print order."""
    class_name = (
        Membership.objects.filter(user=OuterRef("pk"), group__kind=GroupKind.CLASS)
        .order_by("group__name")
        .values("group__name")[:1]
    )
    return (
        pupils_in_groups(Group.objects.filter(pk=group.pk), user)
        .annotate(class_name=Subquery(class_name))
        .order_by("class_name", "last_name", "first_name", "username")
    )


def _natural_key(name: str) -> list[Any]:
    """Sort "5a" before "10a": digits compare as numbers."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


def _sorted_groups(groups: Iterable[Group]) -> list[Group]:
    return sorted(groups, key=lambda g: (g.kind != GroupKind.CLASS, _natural_key(g.name)))


def _group_or_403(user: User, pk: int) -> Group:
    group = get_object_or_404(Group, pk=pk)
    if not groups_for_first_passwords(user).filter(pk=group.pk).exists():
        raise PermissionDenied
    return group


def _first_password_state(pupil: User) -> dict[str, Any]:
    """Template data for the first-password column: pending (until), expired, or none."""
    expires = pupil.first_password_expires
    expired = bool(pupil.first_password_pending and expires and expires <= timezone.now())
    return {"pending": pupil.first_password_pending and not expired, "expired": expired}


def _rows(pupils: Iterable[User]) -> list[dict[str, Any]]:
    return [{"pupil": pupil, **_first_password_state(pupil)} for pupil in pupils]


def _selected_ids(values: list[str]) -> list[int] | None:
    """The selected pupils' ids, or None when a value is not an id (a forged request)."""
    try:
        return sorted({int(value) for value in values})
    except ValueError:
        return None


def _selected_pupils(group: Group, user: User, ids: list[int]) -> list[User]:
    """The selected pupils in print order; 403 for the whole request if any is not allowed."""
    pupils = list(pupils_for_first_passwords(group, user).filter(pk__in=ids))
    if len(pupils) != len(ids):
        raise PermissionDenied
    return pupils


# Views ----------------------------------------------------------------------------------


@login_required
@never_cache
@require_GET
def my_groups(request: AuthenticatedHttpRequest) -> HttpResponse:
    """ "Meine Klassen": each group the user looks after with its pupils."""
    user = request.user
    groups = _sorted_groups(groups_for_first_passwords(user))
    if not groups:
        raise PermissionDenied
    led = set(Group.objects.led_by(user).values_list("pk", flat=True))
    sections = [
        {
            "group": group,
            "led": group.pk in led,
            "show_class": group.kind != GroupKind.CLASS,
            "rows": _rows(pupils_for_first_passwords(group, user)),
        }
        for group in groups
    ]
    # Admins see every class: show the groups they lead open, the rest folded.
    sections.sort(key=lambda section: not section["led"])
    return render(
        request,
        "accounts/first_passwords/my_groups.html",
        {"sections": sections, "fold_others": len(sections) > 3},
    )


@login_required
@never_cache
@require_GET
def group_pupils(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """One group's pupils with checkboxes for a batch of new first passwords."""
    group = _group_or_403(request.user, pk)
    rows = _rows(pupils_for_first_passwords(group, request.user))
    return render(
        request,
        "accounts/first_passwords/group.html",
        {
            "group": group,
            "rows": rows,
            "show_class": group.kind != GroupKind.CLASS,
            "field_pupils": FIELD_PUPILS,
            "field_all": FIELD_ALL,
        },
    )


@sensitive_variables("first_password", "letters", "pdf")
@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def group_first_passwords(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """GET: confirm the selection (issues nothing). POST: issue a new first password to each
    selected pupil and return all letters as one PDF."""
    user = request.user
    group = _group_or_403(user, pk)
    source = request.POST if request.method == "POST" else request.GET
    if request.method == "GET" and source.get(FIELD_ALL):
        ids: list[int] | None = list(
            pupils_for_first_passwords(group, user).values_list("pk", flat=True)
        )
    else:
        ids = _selected_ids(source.getlist(FIELD_PUPILS))
    if ids is None:
        return HttpResponseBadRequest(_("Ungültige Auswahl."))
    if not ids:
        messages.error(request, _("Bitte wählen Sie mindestens eine Schülerin oder einen Schüler."))
        return redirect("accounts:group_pupils", pk=group.pk)
    pupils = _selected_pupils(group, user, ids)

    if request.method == "GET":
        return render(
            request,
            "accounts/first_passwords/confirm_group.html",
            {"group": group, "pupils": pupils, "field_pupils": FIELD_PUPILS},
        )

    pdf = issue_letters_pdf(pupils, issuer=user)
    return pdf_attachment(pdf, "Zugangsdaten-%s.pdf" % filename_part(group.name, "Gruppe"))


@sensitive_variables("first_password", "letter", "pdf")
@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def pupil_first_password(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """GET: confirm. POST ``action=show``: issue and show the password once on the page;
    ``action=pdf``: issue and return the one-page letter."""
    user = request.user
    pupil = first_password_policy.get_object_or_403(user, "issue", pk=pk)
    back_group = (
        groups_for_first_passwords(user)
        .filter(Q(membership__user=pupil) | Q(children__membership__user=pupil))
        .order_by("kind", "name")
        .first()
    )
    context: dict[str, Any] = {"pupil": pupil, "back_group": back_group}
    if request.method == "GET":
        context.update(_first_password_state(pupil))
        return render(request, "accounts/first_passwords/confirm_pupil.html", context)

    action = request.POST.get("action")
    if action not in ("show", "pdf"):
        return HttpResponseBadRequest(_("Unbekannte Aktion."))
    with transaction.atomic():
        first_password = do_issue_first_password(pupil, acting_user=user)
        if action == "pdf":
            letter = letter_for(pupil, first_password, issuer=user)
            pdf = credential_letters_pdf([letter])
    if action == "pdf":
        return pdf_attachment(pdf, "Zugangsdaten-%s.pdf" % filename_part(pupil.username, "Gruppe"))
    context.update(
        {
            "first_password": first_password,
            "expires": pupil.first_password_expires,
            "portal_url": portal_url(),
        }
    )
    return render(request, "accounts/first_passwords/shown.html", context)


urlpatterns = [
    path("klassen/", my_groups, name="my_groups"),
    path("klassen/<int:pk>/", group_pupils, name="group_pupils"),
    path("klassen/<int:pk>/erstpasswoerter/", group_first_passwords, name="group_first_passwords"),
    path(
        "klassen/schueler/<int:pk>/erstpasswort/",
        pupil_first_password,
        name="pupil_first_password",
    ),
]

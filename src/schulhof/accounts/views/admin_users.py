"""Admin pages for people: the user list with IServ's filters, creating a person (with the
first password shown once or the credential letter as PDF), and one person's page with
edit, lock/unlock and sanctions. Thin: forms validate, policies decide, one action writes."""

from __future__ import annotations

import logging
import secrets
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from schulhof.accounts import letters, privileges
from schulhof.accounts.actions import (
    do_create_sanction,
    do_create_user,
    do_lift_sanction,
    do_lock_user,
    do_unlock_user,
    do_update_user,
)
from schulhof.accounts.admin_forms import (
    LockForm,
    SanctionForm,
    UserCreateForm,
    UserEditForm,
    UserFilterForm,
)
from schulhof.accounts.models import Group, Role, Sanction, Status, User
from schulhof.accounts.policies import group_policy, user_admin_policy
from schulhof.accounts.sanctions import BLOCKABLE
from schulhof.accounts.views.admin import (
    ADMIN_PAGE_SIZE,
    admin_tabs,
    german_sort_key,
    require,
)
from schulhof.core.http import AuthenticatedHttpRequest, pdf_attachment
from schulhof.core.models import SchoolSettings

logger = logging.getLogger(__name__)

# Tokens of create forms already used in this session → the user they created.
CREATED_TOKENS_SESSION_KEY = "schulhof_admin_created_users"
CREATED_TOKENS_KEPT = 20


def _person_or_404(request: AuthenticatedHttpRequest, pk: int, action: str) -> User:
    """The person, if the acting user may administer people (403) and it exists (404)."""
    require(user_admin_policy.user_has_permission(request.user, action))
    people = user_admin_policy.instances_user_has_permission_for(request.user, action)
    return get_object_or_404(people, pk=pk)


def _require_may_change(actor: User, person: User) -> None:
    """Admin accounts are changed by admins only, so that holders of ``admin.users`` cannot
    lock or demote the people who gave them the privilege."""
    if person.role == Role.ADMIN and not actor.is_admin:
        raise PermissionDenied


@login_required
@require_GET
def user_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if not user_admin_policy.user_has_permission(user, "view"):
        # The navigation entry is shared with group admins and group leaders.
        if group_policy.user_has_permission(user, "view") or privileges.has_privilege(
            user, privileges.ADMIN_GROUPS
        ):
            return redirect("accounts:admin_groups")
        raise PermissionDenied
    form = UserFilterForm(request.GET or None)
    everyone = user_admin_policy.instances_user_has_permission_for(user, "view")
    people = (
        form.apply(everyone)
        .prefetch_related(
            Prefetch(
                "memberships_groups",
                queryset=Group.objects.classes().order_by("name"),
                to_attr="classes",
            )
        )
        .alias(sort_last=german_sort_key("last_name"), sort_first=german_sort_key("first_name"))
        .order_by("sort_last", "sort_first", "username")
    )
    page = Paginator(people, ADMIN_PAGE_SIZE).get_page(request.GET.get("page"))
    filtered = form.is_filtered()
    return render(
        request,
        "accounts/admin/users.html",
        {
            "form": form,
            "page": page,
            "total": everyone.count() if filtered else page.paginator.count,
            "filtered": filtered,
            "tabs": admin_tabs(user),
            "current_tab": "users",
        },
    )


def _remembered_user(request: AuthenticatedHttpRequest, token: str) -> User | None:
    created: dict[str, int] = request.session.get(CREATED_TOKENS_SESSION_KEY, {})
    pk = created.get(token)
    return User.objects.filter(pk=pk).first() if pk else None


def _remember_token(request: AuthenticatedHttpRequest, token: str, user: User) -> None:
    created: dict[str, int] = dict(request.session.get(CREATED_TOKENS_SESSION_KEY, {}))
    created[token] = user.pk
    request.session[CREATED_TOKENS_SESSION_KEY] = dict(list(created.items())[-CREATED_TOKENS_KEPT:])


def _letter_response(user: User, first_password: str, issuer: User) -> HttpResponse | None:
    """The credential letter as a PDF download, or None if the PDF cannot be made."""
    try:
        pdf = letters.credential_letters_pdf(
            [letters.letter_for(user, first_password, issuer=issuer)]
        )
    except RuntimeError:
        logger.exception("credential letter for user %s failed", user.pk)
        return None
    return pdf_attachment(pdf, "zugangsbrief-%s.pdf" % user.username)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def user_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    require(user_admin_policy.user_has_permission(request.user, "create"))
    form = UserCreateForm(
        request.POST or None,
        acting_user=request.user,
        initial={"token": secrets.token_urlsafe(16), "role": Role.PUPIL},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        earlier = _remembered_user(request, data["token"])
        if earlier is not None:
            # A reload or second click of the same form: never create the person twice.
            messages.info(
                request,
                _("%(name)s wurde mit diesem Formular bereits angelegt.")
                % {"name": earlier.full_name},
            )
            return redirect("accounts:admin_user", pk=earlier.pk)
        try:
            new = do_create_user(
                first_name=data["first_name"],
                last_name=data["last_name"],
                name_particle=data["name_particle"],
                birth_date=data["birth_date"],
                role=data["role"],
                kuerzel=data["kuerzel"],
                username=data["username"] or None,
                groups=list(data["groups"]),
                acting_user=request.user,
            )
        except ValueError:
            # Someone else took the name between validation and creation.
            form.add_error(
                None, _("Der Benutzername ist inzwischen vergeben. Bitte erneut absenden.")
            )
        else:
            _remember_token(request, data["token"], new.user)
            if data.get("letter_pdf") and new.first_password:
                pdf = _letter_response(new.user, new.first_password, request.user)
                if pdf is not None:
                    return pdf
                messages.error(
                    request,
                    _(
                        "Der Zugangsbrief konnte nicht erstellt werden. Notieren Sie das "
                        "Erstpasswort jetzt."
                    ),
                )
            return render(
                request,
                "accounts/admin/user_created.html",
                {
                    "person": new.user,
                    "first_password": new.first_password,
                    "mail_address": new.user.email_address(SchoolSettings.get().mail_domain),
                    "tabs": admin_tabs(request.user),
                    "current_tab": "users",
                },
            )
    return render(
        request,
        "accounts/admin/user_create.html",
        {"form": form, "tabs": admin_tabs(request.user), "current_tab": "users"},
    )


def _render_detail(
    request: AuthenticatedHttpRequest,
    person: User,
    *,
    edit_form: UserEditForm | None = None,
    lock_form: LockForm | None = None,
    sanction_form: SanctionForm | None = None,
) -> HttpResponse:
    actor = request.user
    may_change = person.role != Role.ADMIN or actor.is_admin
    may_sanction = may_change and privileges.has_privilege(actor, privileges.ADMIN_SANCTIONS)
    in_force = list(Sanction.objects.filter(user=person).in_force().select_related("created_by"))
    past = list(
        Sanction.objects.filter(user=person)
        .exclude(pk__in=[s.pk for s in in_force])
        .select_related("created_by")
    )

    def with_labels(sanctions: list[Sanction]) -> list[tuple[Sanction, list[Any]]]:
        return [(s, [BLOCKABLE.get(key, key) for key in s.blocked]) for s in sanctions]

    return render(
        request,
        "accounts/admin/user_detail.html",
        {
            "person": person,
            "mail_address": person.email_address(SchoolSettings.get().mail_domain),
            "groups": person.memberships_groups.order_by("kind", "name"),
            "led_groups": person.led_groups.order_by("kind", "name"),
            "first_password_expired": bool(
                person.first_password_pending
                and person.first_password_expires
                and person.first_password_expires <= timezone.now()
            ),
            "sanctions_in_force": with_labels(in_force),
            "sanctions_past": with_labels(past),
            "may_change": may_change,
            "may_sanction": may_sanction,
            "edit_form": edit_form
            or UserEditForm(
                acting_user=actor,
                person=person,
                initial={
                    "first_name": person.first_name,
                    "last_name": person.last_name,
                    "name_particle": person.name_particle,
                    "birth_date": person.birth_date,
                    "role": person.role,
                    "kuerzel": person.kuerzel,
                },
            ),
            "lock_form": lock_form or LockForm(),
            "sanction_form": sanction_form or SanctionForm(),
            "tabs": admin_tabs(actor),
            "current_tab": "users",
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def user_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """One person: facts, and (POST) the edit form."""
    person = _person_or_404(request, pk, "edit")
    if request.method != "POST":
        return _render_detail(request, person)
    _require_may_change(request.user, person)
    form = UserEditForm(request.POST, acting_user=request.user, person=person)
    if not form.is_valid():
        return _render_detail(request, person, edit_form=form)
    do_update_user(person, form.person_changes(), acting_user=request.user)
    messages.success(request, _("Die Änderungen wurden gespeichert."))
    return redirect("accounts:admin_user", pk=person.pk)


@login_required
@require_POST
def user_lock(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    person = _person_or_404(request, pk, "lock")
    _require_may_change(request.user, person)
    form = LockForm(request.POST)
    if person.pk == request.user.pk:
        form.add_error(None, _("Sie können Ihr eigenes Konto nicht sperren."))
    elif person.status != Status.ACTIVE:
        form.add_error(None, _("Nur aktive Konten können gesperrt werden."))
    if not form.is_valid():
        return _render_detail(request, person, lock_form=form)
    do_lock_user(
        person,
        acting_user=request.user,
        reason=form.cleaned_data["reason"],
        until=form.cleaned_data["until"],
    )
    messages.success(
        request,
        _("Das Konto von %(name)s ist gesperrt; alle Sitzungen wurden beendet.")
        % {"name": person.full_name},
    )
    return redirect("accounts:admin_user", pk=person.pk)


@login_required
@require_POST
def user_unlock(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    person = _person_or_404(request, pk, "lock")
    _require_may_change(request.user, person)
    if person.status != Status.LOCKED:
        messages.warning(request, _("Dieses Konto ist nicht gesperrt."))
        return redirect("accounts:admin_user", pk=person.pk)
    do_unlock_user(person, acting_user=request.user)
    messages.success(
        request, _("Das Konto von %(name)s ist entsperrt.") % {"name": person.full_name}
    )
    return redirect("accounts:admin_user", pk=person.pk)


@login_required
@require_POST
def sanction_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    person = _person_or_404(request, pk, "edit")
    _require_may_change(request.user, person)
    require(privileges.has_privilege(request.user, privileges.ADMIN_SANCTIONS))
    form = SanctionForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, person, sanction_form=form)
    do_create_sanction(
        person,
        blocked=form.cleaned_data["blocked"],
        reason=form.cleaned_data["reason"],
        ends_at=form.cleaned_data["ends_at"],
        acting_user=request.user,
    )
    messages.success(
        request, _("Die Sanktion für %(name)s gilt ab sofort.") % {"name": person.full_name}
    )
    return redirect("accounts:admin_user", pk=person.pk)


@login_required
@require_POST
def sanction_lift(request: AuthenticatedHttpRequest, pk: int, sanction_pk: int) -> HttpResponse:
    person = _person_or_404(request, pk, "edit")
    _require_may_change(request.user, person)
    require(privileges.has_privilege(request.user, privileges.ADMIN_SANCTIONS))
    sanction = get_object_or_404(Sanction, pk=sanction_pk, user=person)
    if not Sanction.objects.filter(pk=sanction.pk).in_force().exists():
        messages.warning(request, _("Diese Sanktion ist bereits beendet."))
        return redirect("accounts:admin_user", pk=person.pk)
    do_lift_sanction(sanction, acting_user=request.user)
    messages.success(request, _("Die Sanktion ist aufgehoben."))
    return redirect("accounts:admin_user", pk=person.pk)


urlpatterns: list[Any] = [
    path("", user_list, name="admin_users"),
    path("neu/", user_create, name="admin_user_create"),
    path("<int:pk>/", user_detail, name="admin_user"),
    path("<int:pk>/sperren/", user_lock, name="admin_user_lock"),
    path("<int:pk>/entsperren/", user_unlock, name="admin_user_unlock"),
    path("<int:pk>/sanktionen/", sanction_create, name="admin_sanction_create"),
    path(
        "<int:pk>/sanktionen/<int:sanction_pk>/aufheben/",
        sanction_lift,
        name="admin_sanction_lift",
    ),
]

"""Admin pages for groups: the list (admins see all, leaders their own), creating a group,
and one group's page with members (add with an htmx autocomplete that also works without
JavaScript), removal, and leaders (admins only)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from schulhof.accounts.actions import (
    do_add_member,
    do_create_group,
    do_remove_member,
    do_set_group_leaders,
)
from schulhof.accounts.admin_forms import (
    AddMemberForm,
    GroupCreateForm,
    GroupFilterForm,
    GroupLeadersForm,
    suggest_group_slug,
)
from schulhof.accounts.models import (
    GrantKind,
    Group,
    Membership,
    PrivilegeGrant,
    Status,
    User,
)
from schulhof.accounts.policies import group_policy
from schulhof.accounts.views.admin import (
    ADMIN_PAGE_SIZE,
    admin_tabs,
    german_sort_key,
    may_administer_groups,
    require,
)
from schulhof.core.http import AuthenticatedHttpRequest

MEMBERS_PAGE_SIZE = 100
SEARCH_MIN_LENGTH = 2
SEARCH_RESULTS = 10


def _group_for_members(request: AuthenticatedHttpRequest, pk: int) -> Group:
    """The group whose members the acting user may manage (404/403 otherwise).

    A group that holds a privilege grant passes it on to whoever joins, so only group admins
    manage its members; a leader could otherwise give themselves that privilege."""
    group = group_policy.get_object_or_403(request.user, "manage_members", pk=pk)
    if not may_administer_groups(request.user) and _carries_privileges(group):
        raise PermissionDenied
    return group


def _search_url(group: Group) -> str:
    return reverse("accounts:admin_group_people", args=[group.pk])


def _carries_privileges(group: Group) -> bool:
    return PrivilegeGrant.objects.filter(kind=GrantKind.GROUP, group=group).exists()


@login_required
@require_GET
def group_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    is_group_admin = may_administer_groups(user)
    visible = group_policy.instances_user_has_permission_for(user, "view")
    require(is_group_admin or visible.exists())
    form = GroupFilterForm(request.GET or None)
    groups = (
        form.apply(visible)
        .select_related("parent")
        .prefetch_related("leaders")
        .annotate(member_count=Count("membership", distinct=True))
        .order_by("kind", "name")
    )
    page = Paginator(groups, ADMIN_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "accounts/admin/groups.html",
        {
            "form": form,
            "page": page,
            "may_create": is_group_admin,
            "tabs": admin_tabs(user),
            "current_tab": "groups",
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def group_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    require(may_administer_groups(request.user))
    form = GroupCreateForm(
        request.POST or None, suggestion_url=reverse("accounts:admin_group_slug")
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        group = do_create_group(
            name=data["name"],
            slug=data["slug"],
            kind=data["kind"],
            parent=data["parent"],
            description=data["description"],
            has_folder=data["has_folder"],
            has_mail=data["has_mail"],
            acting_user=request.user,
        )
        messages.success(request, _("Die Gruppe „%(name)s“ wurde angelegt.") % {"name": group.name})
        return redirect("accounts:admin_group", pk=group.pk)
    return render(
        request,
        "accounts/admin/group_create.html",
        {"form": form, "tabs": admin_tabs(request.user), "current_tab": "groups"},
    )


@login_required
@require_GET
def slug_suggestion(request: AuthenticatedHttpRequest) -> HttpResponse:
    """htmx fragment under the name field: the Kurzname that an empty field will get."""
    require(may_administer_groups(request.user))
    slug = suggest_group_slug(request.GET.get("name", "")[:100])
    taken = bool(slug) and Group.objects.filter(slug=slug).exists()
    return render(request, "accounts/admin/_slug_suggestion.html", {"slug": slug, "taken": taken})


def _render_group(
    request: AuthenticatedHttpRequest,
    group: Group,
    *,
    add_form: AddMemberForm | None = None,
    leaders_form: GroupLeadersForm | None = None,
) -> HttpResponse:
    user = request.user
    may_edit = group_policy.user_has_permission_for(user, "edit", group)
    may_manage = group_policy.user_has_permission_for(user, "manage_members", group) and (
        may_edit or not _carries_privileges(group)
    )
    memberships = (
        Membership.objects.filter(group=group)
        .select_related("user")
        .alias(
            sort_last=german_sort_key("user__last_name"),
            sort_first=german_sort_key("user__first_name"),
        )
        .order_by("sort_last", "sort_first", "user__username")
    )
    page = Paginator(memberships, MEMBERS_PAGE_SIZE).get_page(request.GET.get("page"))
    leaders = list(group.leaders.order_by("last_name", "first_name"))
    return render(
        request,
        "accounts/admin/group_detail.html",
        {
            "group": group,
            "page": page,
            "leaders": leaders,
            "may_edit": may_edit,
            "may_manage": may_manage,
            "add_form": add_form or AddMemberForm(search_url=_search_url(group)),
            "leaders_form": leaders_form
            or GroupLeadersForm(initial={"leaders": [leader.pk for leader in leaders]}),
            "tabs": admin_tabs(user),
            "current_tab": "groups",
        },
    )


@login_required
@require_GET
def group_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    group = group_policy.get_object_or_403(request.user, "view", pk=pk)
    return _render_group(request, group)


@login_required
@require_POST
def member_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    group = _group_for_members(request, pk)
    form = AddMemberForm(request.POST, search_url=_search_url(group))
    if not form.is_valid():
        return _render_group(request, group, add_form=form)
    person: User = form.cleaned_data["person"]
    if do_add_member(group, person, acting_user=request.user):
        messages.success(
            request,
            _("%(name)s ist jetzt Mitglied von „%(group)s“.")
            % {"name": person.full_name, "group": group.name},
        )
    else:
        messages.info(
            request,
            _("%(name)s ist bereits Mitglied von „%(group)s“.")
            % {"name": person.full_name, "group": group.name},
        )
    return redirect("accounts:admin_group", pk=group.pk)


@login_required
@require_POST
def member_remove(request: AuthenticatedHttpRequest, pk: int, user_pk: int) -> HttpResponse:
    group = _group_for_members(request, pk)
    person = get_object_or_404(User.objects.people(), pk=user_pk)
    if do_remove_member(group, person, acting_user=request.user):
        messages.success(
            request,
            _("%(name)s ist nicht mehr Mitglied von „%(group)s“.")
            % {"name": person.full_name, "group": group.name},
        )
    else:
        messages.info(request, _("%(name)s war kein Mitglied.") % {"name": person.full_name})
    return redirect("accounts:admin_group", pk=group.pk)


@login_required
@require_POST
def leaders_set(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    group = group_policy.get_object_or_403(request.user, "edit", pk=pk)
    form = GroupLeadersForm(request.POST)
    if not form.is_valid():
        return _render_group(request, group, leaders_form=form)
    do_set_group_leaders(group, list(form.cleaned_data["leaders"]), acting_user=request.user)
    messages.success(request, _("Die Leitung der Gruppe wurde gespeichert."))
    return redirect("accounts:admin_group", pk=group.pk)


@login_required
@require_GET
def people_search(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """htmx fragment: people matching what was typed into the add-member field."""
    group = _group_for_members(request, pk)
    query = request.GET.get("username", "").strip()[:100]
    people: list[User] = []
    if len(query) >= SEARCH_MIN_LENGTH:
        matches = User.objects.people().exclude(status=Status.DELETED)
        for word in query.split():
            matches = matches.filter(
                Q(username__icontains=word)
                | Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
            )
        people = list(
            matches.annotate(
                is_member=Exists(Membership.objects.filter(group=group, user=OuterRef("pk")))
            ).order_by("last_name", "first_name", "username")[:SEARCH_RESULTS]
        )
    return render(
        request,
        "accounts/admin/_people_results.html",
        {"people": people, "query": query, "too_short": len(query) < SEARCH_MIN_LENGTH},
    )


urlpatterns: list[Any] = [
    path("", group_list, name="admin_groups"),
    path("neu/", group_create, name="admin_group_create"),
    path("kurzname/", slug_suggestion, name="admin_group_slug"),
    path("<int:pk>/", group_detail, name="admin_group"),
    path("<int:pk>/mitglieder/", member_add, name="admin_group_member_add"),
    path("<int:pk>/mitglieder/suche/", people_search, name="admin_group_people"),
    path(
        "<int:pk>/mitglieder/<int:user_pk>/entfernen/",
        member_remove,
        name="admin_group_member_remove",
    ),
    path("<int:pk>/leitung/", leaders_set, name="admin_group_leaders"),
]

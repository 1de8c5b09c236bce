"""The privileges page: grants to roles, groups and "all groups except", and revoking."""

import pytest
from django.urls import reverse

from schulhof.accounts.models import GrantKind, PrivilegeGrant, Role
from schulhof.accounts.privileges import (
    ADMIN_GROUPS,
    ADMIN_PRIVILEGES,
    ADMIN_SANCTIONS,
    ADMIN_USERS,
    all_privileges,
    has_privilege,
)
from schulhof.accounts.tests.factories import GroupFactory, make_user
from schulhof.core.audit import AuditEvent
from schulhof.core.models import AuditLogEntry

pytestmark = pytest.mark.django_db

PAGE = reverse("accounts:admin_privileges")
GRANT = reverse("accounts:admin_privilege_grant")


def revoke_url(grant):
    return reverse("accounts:admin_privilege_revoke", args=[grant.pk])


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.mark.parametrize("role", ["pupil", "teacher", "staff"])
def test_people_without_privilege_get_403(client, admin_user, role):
    grant = PrivilegeGrant.objects.create(
        privilege=ADMIN_USERS, kind=GrantKind.ROLE, role=Role.STAFF
    )
    client.force_login(make_user(**{role: True}))
    assert client.get(PAGE).status_code == 403
    data = {"privilege": ADMIN_USERS, "kind": "role", "role": "teacher"}
    assert client.post(GRANT, data).status_code == 403
    assert client.post(revoke_url(grant)).status_code == 403
    assert PrivilegeGrant.objects.filter(pk=grant.pk).exists()


def test_page_lists_every_registered_privilege_with_its_grants(admin_client):
    group = GroupFactory(name="Verwaltung", slug="verwaltung")
    PrivilegeGrant.objects.create(privilege=ADMIN_USERS, kind=GrantKind.GROUP, group=group)
    response = admin_client.get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    for key in all_privileges():
        assert key in html
    assert "Gruppe: Verwaltung" in html
    # The migration's default grant.
    assert "Rolle: Lehrkraft" in html


def test_holder_of_admin_privileges_may_open(client):
    staff = make_user(staff=True)
    PrivilegeGrant.objects.create(privilege=ADMIN_PRIVILEGES, kind=GrantKind.ROLE, role="staff")
    client.force_login(staff)
    assert client.get(PAGE).status_code == 200


def test_grant_to_role_and_revoke(admin_client, admin_user):
    teacher = make_user(teacher=True)
    assert not has_privilege(teacher, ADMIN_GROUPS)
    response = admin_client.post(
        GRANT, {"privilege": ADMIN_GROUPS, "kind": GrantKind.ROLE, "role": Role.TEACHER}
    )
    assert response.status_code == 302
    assert has_privilege(teacher, ADMIN_GROUPS)
    assert AuditLogEntry.objects.filter(
        event_type=AuditEvent.PRIVILEGE_GRANT, acting_user=admin_user
    ).exists()
    grant = PrivilegeGrant.objects.get(privilege=ADMIN_GROUPS)
    assert admin_client.post(revoke_url(grant)).status_code == 302
    assert not has_privilege(teacher, ADMIN_GROUPS)
    assert AuditLogEntry.objects.filter(event_type=AuditEvent.PRIVILEGE_REVOKE).exists()


def test_grant_to_group(admin_client):
    member = make_user(teacher=True, klasse="verwaltung")
    outsider = make_user(teacher=True)
    group = GroupFactory(name="verwaltung", slug="verwaltung")
    admin_client.post(GRANT, {"privilege": ADMIN_USERS, "kind": GrantKind.GROUP, "group": group.pk})
    assert has_privilege(member, ADMIN_USERS)
    assert not has_privilege(outsider, ADMIN_USERS)


def test_grant_to_all_groups_except(admin_client):
    in_5a = make_user(pupil=True, klasse="5a")
    in_6b = make_user(pupil=True, klasse="6b")
    in_none = make_user(pupil=True)
    six_b = GroupFactory(name="6b", slug="6b")
    response = admin_client.post(
        GRANT,
        {
            "privilege": ADMIN_SANCTIONS,
            "kind": GrantKind.ALL_GROUPS_EXCEPT,
            "excluded_groups": [six_b.pk],
        },
    )
    assert response.status_code == 302
    grant = PrivilegeGrant.objects.get(privilege=ADMIN_SANCTIONS)
    assert list(grant.excluded_groups.all()) == [six_b]
    assert has_privilege(in_5a, ADMIN_SANCTIONS)
    assert not has_privilege(in_6b, ADMIN_SANCTIONS)
    assert not has_privilege(in_none, ADMIN_SANCTIONS)
    html = admin_client.get(PAGE).content.decode()
    assert "Alle Gruppen außer: 6b" in html


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"privilege": ADMIN_USERS, "kind": GrantKind.ROLE}, "role"),
        ({"privilege": ADMIN_USERS, "kind": GrantKind.ROLE, "role": Role.ADMIN}, "role"),
        ({"privilege": ADMIN_USERS, "kind": GrantKind.GROUP}, "group"),
        ({"privilege": "no.such", "kind": GrantKind.ROLE, "role": Role.STAFF}, "privilege"),
        (
            {
                "privilege": "accounts.issue_first_password",
                "kind": GrantKind.ROLE,
                "role": Role.TEACHER,
            },
            "role",
        ),
    ],
)
def test_invalid_grant_shows_error_in_the_open_form(admin_client, data, field):
    before = PrivilegeGrant.objects.count()
    response = admin_client.post(GRANT, data)
    assert response.status_code == 200
    assert PrivilegeGrant.objects.count() == before
    if field == "privilege":
        return
    row = next(row for row in response.context["rows"] if row.key == data["privilege"])
    assert row.open
    assert row.form.errors[field]
    assert '<details class="admin-details" open>' in response.content.decode()


def test_revoke_unknown_grant_is_404(admin_client):
    assert (
        admin_client.post(reverse("accounts:admin_privilege_revoke", args=[9999])).status_code
        == 404
    )


def test_get_on_post_only_urls_is_refused(admin_client):
    assert admin_client.get(GRANT).status_code == 405

"""The admin pages for groups: list, create, members (also by a group's leader), leaders."""

import pytest
from django.urls import reverse

from schulhof.accounts.models import (
    GrantKind,
    Group,
    GroupKind,
    Membership,
    PrivilegeGrant,
    Role,
    Status,
)
from schulhof.accounts.privileges import ADMIN_USERS
from schulhof.accounts.tests.factories import GroupFactory, make_user
from schulhof.core.audit import AuditEvent
from schulhof.core.models import AuditLogEntry

pytestmark = pytest.mark.django_db

LIST = reverse("accounts:admin_groups")
CREATE = reverse("accounts:admin_group_create")


def url(name, *args):
    return reverse("accounts:%s" % name, args=args)


@pytest.fixture
def school(admin_user):
    teacher_5a = make_user(teacher=True, leads="5a", username="thomas.mueller", first_name="Thomas")
    teacher_6b = make_user(teacher=True, leads="6b", username="ayse.yilmaz")
    return {
        "admin": admin_user,
        "teacher_5a": teacher_5a,
        "teacher_6b": teacher_6b,
        "5a": Group.objects.get(slug="5a"),
        "6b": Group.objects.get(slug="6b"),
        "pupil": make_user(
            pupil=True, username="mia.schneider", first_name="Mia", last_name="Schneider"
        ),
        "pupil_5a": make_user(pupil=True, klasse="5a", username="leon.schmidt"),
    }


def login(client, user):
    client.force_login(user)
    return client


# --- permissions ------------------------------------------------------------------------


def every_group_page(group, person):
    return [
        ("get", LIST),
        ("get", CREATE),
        ("post", CREATE),
        ("get", url("admin_group_slug")),
        ("get", url("admin_group", group.pk)),
        ("post", url("admin_group_member_add", group.pk)),
        ("get", url("admin_group_people", group.pk)),
        ("post", url("admin_group_member_remove", group.pk, person.pk)),
        ("post", url("admin_group_leaders", group.pk)),
    ]


@pytest.mark.parametrize("role", ["pupil", "teacher", "staff"])
def test_people_without_privilege_or_group_get_403(client, school, role):
    login(client, make_user(**{role: True}))
    for method, target in every_group_page(school["5a"], school["pupil_5a"]):
        assert getattr(client, method)(target).status_code == 403, (method, target)


def test_admin_opens_every_page(client, school):
    login(client, school["admin"])
    for target in (LIST, CREATE, url("admin_group", school["5a"].pk)):
        assert client.get(target).status_code == 200


def test_admin_sees_group_list_even_without_groups(client, admin_user):
    assert login(client, admin_user).get(LIST).status_code == 200


def test_unknown_group_is_404(client, school):
    login(client, school["admin"])
    assert client.get(url("admin_group", 9999)).status_code == 404


def test_leader_sees_only_their_groups(client, school):
    response = login(client, school["teacher_5a"]).get(LIST)
    assert response.status_code == 200
    assert [group.slug for group in response.context["page"].object_list] == ["5a"]
    assert not response.context["may_create"]
    assert client.get(url("admin_group", school["6b"].pk)).status_code == 403
    assert client.get(CREATE).status_code == 403


def test_list_filters_by_kind_and_counts_members(client, school):
    GroupFactory(name="Jahrgang 5", slug="jahrgang-5", year=True)
    login(client, school["admin"])
    response = client.get(LIST, {"kind": GroupKind.YEAR})
    assert [group.slug for group in response.context["page"].object_list] == ["jahrgang-5"]
    response = client.get(LIST, {"kind": GroupKind.CLASS})
    counts = {group.slug: group.member_count for group in response.context["page"].object_list}
    assert counts == {"5a": 1, "6b": 0}


def test_group_list_queries_do_not_grow(client, school, django_assert_max_num_queries):
    login(client, school["admin"])
    with django_assert_max_num_queries(20) as few:
        client.get(LIST)
    for number in range(20):
        group = GroupFactory(name="AG %d" % number, slug="ag-%d" % number)
        group.leaders.add(school["teacher_5a"])
        Membership.objects.create(group=group, user=school["pupil"])
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(LIST)


# --- create -----------------------------------------------------------------------------


def test_create_group_with_suggested_slug(client, school):
    year = GroupFactory(name="Jahrgang 7", slug="jahrgang-7", year=True)
    login(client, school["admin"])
    response = client.post(
        CREATE,
        {
            "name": "Klasse 7ä",
            "slug": "",
            "kind": GroupKind.CLASS,
            "parent": year.pk,
            "has_folder": "on",
            "has_mail": "on",
        },
    )
    group = Group.objects.get(slug="klasse-7ae")
    assert response.status_code == 302
    assert response["Location"] == url("admin_group", group.pk)
    assert group.parent == year
    assert group.has_folder and group.has_mail
    assert AuditLogEntry.objects.filter(
        event_type=AuditEvent.GROUP_CREATE, modified_group=group, acting_user=school["admin"]
    ).exists()


def test_slug_suggestion_fragment(client, school):
    login(client, school["admin"])
    html = client.get(url("admin_group_slug"), {"name": "Theater-AG Süd"}).content.decode()
    assert "theater-ag-sued" in html
    taken = client.get(url("admin_group_slug"), {"name": "5a"}).content.decode()
    assert "schon vergeben" in taken


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "", "kind": GroupKind.CUSTOM}, "name"),
        ({"name": "Neu", "slug": "5a", "kind": GroupKind.CUSTOM}, "slug"),
        ({"name": "5a", "slug": "", "kind": GroupKind.CLASS}, "name"),
        ({"name": "Neu", "slug": "Mit Leerzeichen", "kind": GroupKind.CUSTOM}, "slug"),
        ({"name": "Neu", "kind": "nonsense"}, "kind"),
    ],
)
def test_invalid_group_keeps_data_and_shows_error(client, school, data, field):
    login(client, school["admin"])
    before = Group.objects.count()
    response = client.post(CREATE, data)
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert Group.objects.count() == before


def test_parent_only_for_classes(client, school):
    year = GroupFactory(name="Jahrgang 7", slug="jahrgang-7", year=True)
    login(client, school["admin"])
    response = client.post(CREATE, {"name": "Chor", "kind": GroupKind.CUSTOM, "parent": year.pk})
    assert "Nur Klassen" in response.context["form"].errors["parent"][0]


# --- members ----------------------------------------------------------------------------


def test_leader_adds_and_removes_members_of_their_group(client, school):
    group, pupil, teacher = school["5a"], school["pupil"], school["teacher_5a"]
    login(client, teacher)
    response = client.post(url("admin_group_member_add", group.pk), {"username": "Mia.Schneider"})
    assert response.status_code == 302
    assert Membership.objects.filter(group=group, user=pupil).exists()
    assert AuditLogEntry.objects.filter(
        event_type=AuditEvent.MEMBERSHIP_ADD, acting_user=teacher, modified_user=pupil
    ).exists()
    assert "ist jetzt Mitglied" in client.get(response["Location"]).content.decode()

    response = client.post(url("admin_group_member_remove", group.pk, pupil.pk))
    assert response.status_code == 302
    assert not Membership.objects.filter(group=group, user=pupil).exists()
    assert AuditLogEntry.objects.filter(
        event_type=AuditEvent.MEMBERSHIP_REMOVE, acting_user=teacher, modified_user=pupil
    ).exists()


def test_leader_cannot_touch_another_group(client, school):
    other, pupil = school["6b"], school["pupil"]
    login(client, school["teacher_5a"])
    assert (
        client.post(
            url("admin_group_member_add", other.pk), {"username": pupil.username}
        ).status_code
        == 403
    )
    Membership.objects.create(group=other, user=pupil)
    assert client.post(url("admin_group_member_remove", other.pk, pupil.pk)).status_code == 403
    assert client.get(url("admin_group_people", other.pk), {"username": "mia"}).status_code == 403
    assert Membership.objects.filter(group=other, user=pupil).exists()


def test_leader_cannot_manage_members_of_a_group_with_privileges(client, school):
    group = school["5a"]
    PrivilegeGrant.objects.create(privilege=ADMIN_USERS, kind=GrantKind.GROUP, group=group)
    login(client, school["teacher_5a"])
    response = client.post(url("admin_group_member_add", group.pk), {"username": "mia.schneider"})
    assert response.status_code == 403
    assert not Membership.objects.filter(group=group, user=school["pupil"]).exists()
    assert client.get(url("admin_group", group.pk)).status_code == 200


def test_add_unknown_username_shows_error(client, school):
    login(client, school["teacher_5a"])
    response = client.post(url("admin_group_member_add", school["5a"].pk), {"username": "nie.mand"})
    assert response.status_code == 200
    assert "Es gibt keinen Benutzer „nie.mand“" in response.content.decode()
    assert 'value="nie.mand"' in response.content.decode()


def test_add_by_picked_suggestion(client, school):
    login(client, school["teacher_5a"])
    client.post(
        url("admin_group_member_add", school["5a"].pk), {"username": "mia", "pick": "mia.schneider"}
    )
    assert Membership.objects.filter(group=school["5a"], user=school["pupil"]).exists()


def test_adding_a_member_twice_says_so(client, school):
    login(client, school["admin"])
    response = client.post(
        url("admin_group_member_add", school["5a"].pk), {"username": "leon.schmidt"}, follow=True
    )
    assert "bereits Mitglied" in response.content.decode()


def test_people_search_fragment(client, school):
    make_user(
        pupil=True, username="mia.weg", first_name="Mia", last_name="Weg", status=Status.DELETED
    )
    login(client, school["teacher_5a"])
    search = url("admin_group_people", school["5a"].pk)
    html = client.get(search, {"username": "mia"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in html
    assert 'name="pick" value="mia.schneider"' in html
    assert "mia.weg" not in html
    member = client.get(search, {"username": "leon"}).content.decode()
    assert "bereits Mitglied" in member
    assert "disabled" in member
    assert "Niemand gefunden" in client.get(search, {"username": "xyzzy"}).content.decode()
    assert client.get(search, {"username": "m"}).content.decode().strip() == ""


def test_group_page_has_htmx_autocomplete(client, school):
    html = (
        login(client, school["teacher_5a"])
        .get(url("admin_group", school["5a"].pk))
        .content.decode()
    )
    assert 'hx-get="%s"' % url("admin_group_people", school["5a"].pk) in html
    assert 'id="people-results"' in html


# --- leaders ----------------------------------------------------------------------------


def test_only_admins_set_leaders(client, school):
    group, other_teacher = school["5a"], school["teacher_6b"]
    leaders = url("admin_group_leaders", group.pk)
    login(client, school["teacher_5a"])
    assert client.post(leaders, {"leaders": [other_teacher.pk]}).status_code == 403
    assert list(group.leaders.all()) == [school["teacher_5a"]]
    assert "Leitung festlegen" not in client.get(url("admin_group", group.pk)).content.decode()

    login(client, school["admin"])
    response = client.post(leaders, {"leaders": [school["teacher_5a"].pk, other_teacher.pk]})
    assert response.status_code == 302
    assert set(group.leaders.all()) == {school["teacher_5a"], other_teacher}
    entry = AuditLogEntry.objects.get(event_type=AuditEvent.GROUP_UPDATE, modified_group=group)
    assert entry.details["leaders"]["new"] == ["ayse.yilmaz", "thomas.mueller"]


def test_pupils_cannot_be_leaders(client, school):
    login(client, school["admin"])
    response = client.post(
        url("admin_group_leaders", school["5a"].pk), {"leaders": [school["pupil"].pk]}
    )
    assert response.status_code == 200
    assert response.context["leaders_form"].errors["leaders"]


def test_group_admin_privilege_holder_may_create(client):
    staff = make_user(staff=True)
    PrivilegeGrant.objects.create(privilege="admin.groups", kind=GrantKind.ROLE, role=Role.STAFF)
    login(client, staff)
    assert client.get(CREATE).status_code == 200
    assert client.get(reverse("accounts:admin_users")).status_code == 302

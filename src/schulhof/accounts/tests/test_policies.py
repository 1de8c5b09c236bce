import pytest
from django.core.exceptions import PermissionDenied

from schulhof.accounts.models import Membership
from schulhof.accounts.policies import first_password_policy, group_policy, user_admin_policy
from schulhof.accounts.tests.factories import GroupFactory, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def school():
    """5a and 6b with class teachers; year group EF with pupils directly in it, and year
    group 6 whose class 6b belongs to it; an advisor for each year group."""
    year6 = GroupFactory(name="Jahrgang 6", slug="jahrgang-6", year=True)
    ef = GroupFactory(name="EF", slug="ef", year=True)
    people = {
        "teacher_5a": make_user(teacher=True, leads="5a"),
        "teacher_6b": make_user(teacher=True, leads="6b"),
        "pupil_5a": make_user(pupil=True, klasse="5a"),
        "pupil_6b": make_user(pupil=True, klasse="6b"),
        "pupil_ef": make_user(pupil=True),
        "advisor_ef": make_user(teacher=True),
        "advisor_6": make_user(teacher=True),
        "teacher": make_user(teacher=True),
        "admin": make_user(admin=True),
        "staff": make_user(staff=True),
    }
    six_b = GroupFactory(name="6b", slug="6b")
    six_b.parent = year6
    six_b.save()
    Membership.objects.create(user=people["pupil_ef"], group=ef)
    ef.leaders.add(people["advisor_ef"])
    year6.leaders.add(people["advisor_6"])
    return people


def allowed(school, actor):
    return set(first_password_policy.instances_user_has_permission_for(school[actor], "issue"))


def test_class_teacher_issues_only_for_own_class(school):
    assert allowed(school, "teacher_5a") == {school["pupil_5a"]}
    with pytest.raises(PermissionDenied):
        first_password_policy.get_object_or_403(
            school["teacher_5a"], "issue", pk=school["pupil_6b"].pk
        )
    assert (
        first_password_policy.get_object_or_403(
            school["teacher_5a"], "issue", pk=school["pupil_5a"].pk
        )
        == school["pupil_5a"]
    )


def test_advisors_issue_for_their_year_group_only(school):
    assert allowed(school, "advisor_ef") == {school["pupil_ef"]}
    # Year group 6 reaches its pupils through class 6b.
    assert allowed(school, "advisor_6") == {school["pupil_6b"]}


def test_admin_issues_for_anyone_others_for_nobody(school):
    assert {school["pupil_5a"], school["pupil_6b"], school["teacher"]} <= allowed(school, "admin")
    assert allowed(school, "teacher") == set()
    assert allowed(school, "staff") == set()
    assert allowed(school, "pupil_5a") == set()


def test_teacher_without_the_privilege_issues_nothing(school):
    from schulhof.accounts.models import PrivilegeGrant

    PrivilegeGrant.objects.filter(privilege="accounts.issue_first_password").delete()
    assert allowed(school, "teacher_5a") == set()


def test_who_may_issue_for_a_pupil(school):
    may = set(first_password_policy.users_with_permission_for("issue", school["pupil_6b"]))
    assert school["teacher_6b"] in may and school["advisor_6"] in may
    assert school["admin"] in may
    assert school["teacher_5a"] not in may and school["advisor_ef"] not in may


def test_user_admin_policy(school):
    assert user_admin_policy.user_has_permission(school["admin"], "view")
    assert not user_admin_policy.user_has_permission(school["teacher"], "view")


def test_group_policy_leaders_manage_members_of_their_groups(school):
    teacher = school["teacher_5a"]
    names = {
        g.slug for g in group_policy.instances_user_has_permission_for(teacher, "manage_members")
    }
    assert names == {"5a"}
    assert not group_policy.instances_user_has_permission_for(teacher, "edit").exists()
    assert group_policy.instances_user_has_permission_for(school["admin"], "edit").count() >= 4

import pytest

from schulhof.accounts import privileges
from schulhof.accounts.actions import do_grant_privilege, do_revoke_privilege
from schulhof.accounts.models import Membership, Role, Status
from schulhof.accounts.tests.factories import GroupFactory, make_user
from schulhof.core.audit import AuditEvent
from schulhof.core.models import AuditLogEntry

pytestmark = pytest.mark.django_db

P = privileges.ADMIN_GROUPS


def test_admins_have_every_privilege():
    admin = make_user(admin=True)
    assert privileges.has_privilege(admin, P)
    assert admin in privileges.users_with_privilege(P)


def test_grant_to_role(system_actor):
    staff = make_user(staff=True)
    teacher = make_user(teacher=True)
    assert not privileges.has_privilege(staff, P)
    grant = do_grant_privilege(P, role=Role.STAFF, acting_user=system_actor)
    assert privileges.has_privilege(staff, P)
    assert not privileges.has_privilege(teacher, P)
    assert set(privileges.users_with_privilege(P).filter(role=Role.STAFF)) == {staff}
    do_revoke_privilege(grant, acting_user=system_actor)
    assert not privileges.has_privilege(staff, P)
    events = list(AuditLogEntry.objects.values_list("event_type", flat=True))
    assert AuditEvent.PRIVILEGE_GRANT in events and AuditEvent.PRIVILEGE_REVOKE in events


def test_grant_to_group(system_actor):
    team = GroupFactory(name="Medienteam", slug="medienteam")
    member = make_user(teacher=True)
    outsider = make_user(teacher=True)
    Membership.objects.create(user=member, group=team)
    do_grant_privilege(P, group=team, acting_user=system_actor)
    assert privileges.has_privilege(member, P)
    assert not privileges.has_privilege(outsider, P)
    assert member in privileges.users_with_privilege(P)
    assert outsider not in privileges.users_with_privilege(P)


def test_grant_to_all_groups_except(system_actor):
    pupils = GroupFactory(name="Schüler", slug="schueler")
    teachers = GroupFactory(name="Lehrer", slug="lehrer")
    only_pupil = make_user(pupil=True)
    teacher = make_user(teacher=True)
    pupil_in_team = make_user(pupil=True)
    nobody = make_user(teacher=True)
    team = GroupFactory(name="SV", slug="sv")
    Membership.objects.create(user=only_pupil, group=pupils)
    Membership.objects.create(user=teacher, group=teachers)
    Membership.objects.create(user=pupil_in_team, group=pupils)
    Membership.objects.create(user=pupil_in_team, group=team)
    do_grant_privilege(P, all_groups_except=[pupils], acting_user=system_actor)
    assert privileges.has_privilege(teacher, P)
    assert privileges.has_privilege(pupil_in_team, P)  # through the SV group
    assert not privileges.has_privilege(only_pupil, P)
    assert not privileges.has_privilege(nobody, P)  # in no group at all
    holders = set(privileges.users_with_privilege(P))
    assert {teacher, pupil_in_team} <= holders
    assert only_pupil not in holders and nobody not in holders


def test_inactive_users_have_no_privileges(system_actor):
    admin = make_user(admin=True, status=Status.LOCKED)
    assert not privileges.has_privilege(admin, P)
    assert admin not in privileges.users_with_privilege(P)


def test_grant_needs_exactly_one_target(system_actor):
    with pytest.raises(ValueError, match="exactly one"):
        do_grant_privilege(P, acting_user=system_actor)
    with pytest.raises(ValueError, match="exactly one"):
        do_grant_privilege(P, role=Role.STAFF, group=GroupFactory(), acting_user=system_actor)
    with pytest.raises(ValueError, match="unknown privilege"):
        do_grant_privilege("no.such.thing", role=Role.STAFF, acting_user=system_actor)

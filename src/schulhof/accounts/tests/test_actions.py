import pytest
from django.contrib.auth.hashers import check_password

from schulhof.accounts.actions import (
    do_add_member,
    do_create_group,
    do_create_user,
    do_issue_first_password,
    do_remove_member,
    do_set_password,
    do_update_user,
    propose_username,
)
from schulhof.accounts.models import GroupKind, IssuedUsername, Role, Status, User
from schulhof.core.audit import AuditEvent
from schulhof.core.models import AuditLogEntry

pytestmark = pytest.mark.django_db


def test_create_user_generates_username_and_first_password(system_actor):
    created = do_create_user(
        first_name=" Jürgen ", last_name="Groß", role=Role.TEACHER, acting_user=system_actor
    )
    user = created.user
    assert user.username == "juergen.gross"
    assert created.first_password and created.first_password.isdigit()
    assert len(created.first_password) == 6
    assert user.first_password_pending and user.first_password_expires is not None
    assert check_password(created.first_password, user.password)
    assert created.first_password not in user.password
    entry = AuditLogEntry.objects.get(event_type=AuditEvent.USER_CREATE)
    assert entry.modified_user == user and entry.acting_user == system_actor
    assert created.first_password not in str(entry.details)


def test_collisions_get_a_counter(system_actor):
    names = [
        do_create_user(
            first_name="Leon", last_name="Schmidt", role=Role.PUPIL, acting_user=system_actor
        ).user.username
        for _ in range(3)
    ]
    assert names == ["leon.schmidt", "leon.schmidt2", "leon.schmidt3"]


def test_deleted_users_username_is_never_issued_again(system_actor):
    first = do_create_user(
        first_name="Mia", last_name="Schneider", role=Role.PUPIL, acting_user=system_actor
    ).user
    # Even when the row is gone entirely (after the leaver purge), the name stays issued.
    User.objects.filter(pk=first.pk).update(status=Status.DELETED)
    assert propose_username("Mia", "Schneider") == "mia.schneider2"
    AuditLogEntry.objects.filter(modified_user=first).update(modified_user=None)
    User.objects.filter(pk=first.pk).delete()
    assert IssuedUsername.objects.filter(username="mia.schneider").exists()
    again = do_create_user(
        first_name="Mia", last_name="Schneider", role=Role.PUPIL, acting_user=system_actor
    ).user
    assert again.username == "mia.schneider2"


def test_names_that_transliterate_to_nothing_are_refused(system_actor):
    with pytest.raises(ValueError):
        do_create_user(
            first_name="???", last_name="Müller", role=Role.PUPIL, acting_user=system_actor
        )
    assert not User.objects.filter(role=Role.PUPIL).exists()


def test_system_role_cannot_be_created(system_actor):
    with pytest.raises(ValueError, match="invalid role"):
        do_create_user(first_name="A", last_name="B", role=Role.SYSTEM, acting_user=system_actor)


def test_issue_first_password_replaces_the_password(pupil, system_actor):
    first = do_issue_first_password(pupil, acting_user=system_actor)
    pupil.refresh_from_db()
    assert pupil.first_password_pending
    assert pupil.check_password(first)
    assert not pupil.check_password("Richtig-Gutes-Passwort-42")


def test_set_password_ends_first_password_state(pupil, system_actor):
    do_issue_first_password(pupil, acting_user=system_actor)
    do_set_password(pupil, "Ein-neues-Passwort-77", acting_user=pupil)
    pupil.refresh_from_db()
    assert not pupil.first_password_pending and pupil.first_password_expires is None
    entry = AuditLogEntry.objects.get(event_type=AuditEvent.PASSWORD_CHANGE)
    assert entry.details["by_self"] is True


def test_update_user_audits_changes_and_refuses_other_fields(pupil, system_actor):
    do_update_user(pupil, {"last_name": "Pupilla", "kuerzel": ""}, acting_user=system_actor)
    entry = AuditLogEntry.objects.get(event_type=AuditEvent.USER_UPDATE)
    assert entry.details == {"changes": {"last_name": {"old": "Pupil", "new": "Pupilla"}}}
    with pytest.raises(ValueError, match="not editable"):
        do_update_user(pupil, {"username": "x.y"}, acting_user=system_actor)


def test_memberships_are_audited_once(pupil, system_actor):
    group = do_create_group(
        name="AG Robotik", slug="ag-robotik", kind=GroupKind.CUSTOM, acting_user=system_actor
    )
    assert do_add_member(group, pupil, acting_user=system_actor)
    assert not do_add_member(group, pupil, acting_user=system_actor)
    assert do_remove_member(group, pupil, acting_user=system_actor)
    assert not do_remove_member(group, pupil, acting_user=system_actor)
    events = list(
        AuditLogEntry.objects.filter(modified_group=group).values_list("event_type", flat=True)
    )
    assert sorted(events) == sorted(
        [AuditEvent.GROUP_CREATE, AuditEvent.MEMBERSHIP_ADD, AuditEvent.MEMBERSHIP_REMOVE]
    )

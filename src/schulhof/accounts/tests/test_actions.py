from datetime import timedelta

import pytest
from django.contrib.auth.hashers import check_password, make_password
from django.utils import timezone

from schulhof.accounts.actions import (
    UserSpec,
    do_add_member,
    do_create_group,
    do_create_user,
    do_create_users,
    do_issue_first_password,
    do_remove_member,
    do_set_password,
    do_update_user,
    propose_username,
)
from schulhof.accounts.models import (
    GroupKind,
    IssuedUsername,
    Membership,
    Role,
    Status,
    User,
)
from schulhof.core.audit import AuditEvent
from schulhof.core.models import AuditLogEntry, SchoolSettings

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


def _audit(event_type, user):
    return list(
        AuditLogEntry.objects.filter(event_type=event_type, modified_user=user).values_list(
            "acting_user", "modified_group__slug", "details"
        )
    )


def test_create_users_in_bulk_records_what_create_user_records(system_actor):
    settings = SchoolSettings.get()
    settings.first_password_valid_days = 3
    settings.save()
    klasse = do_create_group(name="5a", slug="5a", kind=GroupKind.CLASS, acting_user=system_actor)
    role = do_create_group(
        name="Schüler", slug="schueler", kind=GroupKind.ROLE, acting_user=system_actor
    )
    single = do_create_user(
        first_name="Jan",
        last_name="Müller",
        role=Role.PUPIL,
        username="jan.single",
        groups=[klasse, role],
        hashed_first_password=("123456", make_password("123456")),
        acting_user=system_actor,
    ).user
    before = timezone.now()
    created = do_create_users(
        [
            UserSpec(
                first_name=" Jan ",
                last_name="Müller",
                role=Role.PUPIL,
                username="jan.bulk",
                birth_date=timezone.localdate(),
                groups=(klasse, role, klasse),
                external_source="schild-schueler",
                external_id="17",
                hashed_first_password=("654321", make_password("654321")),
            ),
            UserSpec(first_name="Eva", last_name="Lehmann", role=Role.TEACHER, kuerzel=" lm "),
            UserSpec(first_name="Max", last_name="Admin", role=Role.ADMIN, password="geheim-123"),
        ],
        acting_user=system_actor,
    )
    jan, eva, admin = (new.user for new in created)
    assert created[0].first_password == "654321"
    assert created[1].first_password and created[1].first_password.isdigit()
    assert created[2].first_password is None
    jan.refresh_from_db()
    assert (jan.first_name, jan.username, jan.external_id) == ("Jan", "jan.bulk", "17")
    assert check_password("654321", jan.password)
    assert check_password(created[1].first_password, eva.password)
    assert check_password("geheim-123", User.objects.get(pk=admin.pk).password)
    assert (eva.username, eva.kuerzel) == ("eva.lehmann", "LM")
    # First-password expiry from the school settings, once for the whole batch.
    assert jan.first_password_pending and eva.first_password_pending
    assert not admin.first_password_pending and admin.first_password_expires is None
    assert jan.first_password_expires == eva.first_password_expires
    assert before + timedelta(days=3) <= jan.first_password_expires
    assert jan.first_password_expires <= timezone.now() + timedelta(days=3)
    assert set(IssuedUsername.objects.values_list("username", flat=True)) >= {
        "jan.bulk",
        "eva.lehmann",
        "max.admin",
    }
    assert set(jan.memberships_groups.values_list("slug", flat=True)) == {"5a", "schueler"}
    # The same audit entries as do_create_user writes, one per person and membership.
    assert _audit(AuditEvent.USER_CREATE, jan) == [
        (actor, group, dict(details, username="jan.bulk"))
        for actor, group, details in _audit(AuditEvent.USER_CREATE, single)
    ]
    assert sorted(_audit(AuditEvent.MEMBERSHIP_ADD, jan), key=str) == sorted(
        _audit(AuditEvent.MEMBERSHIP_ADD, single), key=str
    )
    assert _audit(AuditEvent.USER_CREATE, admin) == [
        (system_actor.pk, None, {"username": "max.admin", "role": "admin", "first_password": False})
    ]


def test_create_users_never_reuses_a_name(system_actor):
    do_create_user(
        first_name="Leon", last_name="Schmidt", role=Role.PUPIL, acting_user=system_actor
    )
    gone = do_create_user(
        first_name="Mia", last_name="Schneider", role=Role.PUPIL, acting_user=system_actor
    ).user
    AuditLogEntry.objects.filter(modified_user=gone).update(modified_user=None)
    User.objects.filter(pk=gone.pk).delete()
    created = do_create_users(
        [
            UserSpec(first_name="Leon", last_name="Schmidt", role=Role.PUPIL),
            UserSpec(first_name="Leon", last_name="Schmidt", role=Role.PUPIL),
            UserSpec(first_name="Mia", last_name="Schneider", role=Role.PUPIL),
            # A later spec's chosen name is reserved before any name is proposed.
            UserSpec(first_name="X", last_name="Y", role=Role.PUPIL, username="leon.schmidt2"),
        ],
        acting_user=system_actor,
    )
    assert [new.user.username for new in created] == [
        "leon.schmidt3",
        "leon.schmidt4",
        "mia.schneider2",
        "leon.schmidt2",
    ]


@pytest.mark.parametrize(
    ("specs", "message"),
    [
        (
            [UserSpec(first_name="A", last_name="B", role=Role.PUPIL, username="paul.pupil")],
            "username paul.pupil is taken",
        ),
        (
            [UserSpec(first_name="A", last_name="B", role=Role.PUPIL, username="was.issued")],
            "username was.issued is taken",
        ),
        (
            [
                UserSpec(first_name="A", last_name="B", role=Role.PUPIL, username="a.b"),
                UserSpec(first_name="A", last_name="B", role=Role.PUPIL, username="a.b"),
            ],
            "username a.b is given twice",
        ),
        (
            [
                UserSpec(first_name="A", last_name="B", role=Role.PUPIL),
                UserSpec(first_name="S", last_name="Y", role=Role.SYSTEM),
            ],
            "invalid role",
        ),
    ],
)
def test_create_users_refuses_the_whole_batch(pupil, system_actor, specs, message):
    IssuedUsername.objects.create(username="was.issued")
    people = User.objects.count()
    entries = AuditLogEntry.objects.count()
    with pytest.raises(ValueError, match=message):
        do_create_users(specs, acting_user=system_actor)
    assert User.objects.count() == people
    assert AuditLogEntry.objects.count() == entries


def test_create_users_needs_a_saved_actor(db):
    with pytest.raises(ValueError, match="acting_user"):
        do_create_users(
            [UserSpec(first_name="A", last_name="B", role=Role.PUPIL)],
            acting_user=User(username="unsaved"),
        )
    assert not User.objects.filter(username="a.b").exists()


def test_create_users_takes_a_few_queries_for_many(system_actor, django_assert_max_num_queries):
    group = do_create_group(name="5a", slug="5a", kind=GroupKind.CLASS, acting_user=system_actor)
    specs = [
        UserSpec(
            first_name="Kind",
            last_name="Nummer %d" % number,
            role=Role.PUPIL,
            username="kind.%d" % number,
            groups=(group,),
            hashed_first_password=("123456", "md5$salt$hash"),
        )
        for number in range(600)
    ]
    # Settings, name checks and batched INSERTs (SQLite allows 999 parameters per query):
    # 37 queries for 600 people and 1,200 audit entries, instead of about 15 per person.
    with django_assert_max_num_queries(40):
        created = do_create_users(specs, acting_user=system_actor)
    assert len({new.user.pk for new in created}) == 600
    assert Membership.objects.filter(group=group).count() == 600
    assert AuditLogEntry.objects.filter(event_type=AuditEvent.USER_CREATE).count() == 600
    assert AuditLogEntry.objects.filter(modified_group=group).count() == 601  # + GROUP_CREATE
    assert do_create_users([], acting_user=system_actor) == []

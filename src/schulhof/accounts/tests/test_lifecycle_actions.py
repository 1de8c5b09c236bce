from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.contrib.sessions.models import Session
from django.db import models
from django.test import Client

from schulhof.accounts import lifecycle
from schulhof.accounts.actions import (
    do_create_sanction,
    do_set_group_leaders,
    propose_username,
    username_taken,
)
from schulhof.accounts.authentication import Outcome, authenticate
from schulhof.accounts.lifecycle_actions import (
    DELETED_PERSON_USERNAME,
    do_mark_left,
    do_purge_user,
    do_reactivate,
    do_record_consent,
    leavers,
    pseudonym,
    register_leaver_notifier,
)
from schulhof.accounts.lifecycle_jobs import process_leavers
from schulhof.accounts.models import (
    ConsentRecord,
    Group,
    IssuedUsername,
    LoginAttempt,
    Membership,
    Protocol,
    Sanction,
    Status,
    User,
    UserSession,
    get_system_actor,
)
from schulhof.accounts.tests.factories import DEFAULT_PASSWORD, GroupFactory, make_user
from schulhof.core.audit import AuditEvent
from schulhof.core.models import AuditLogEntry, SchoolSettings

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
# School-year end: leaving date 2026-07-31, deletion 42 days later on 2026-09-11.
BEFORE_LEAVING = datetime(2026, 7, 20, 10, 0, tzinfo=BERLIN)
LEAVING_DAY = datetime(2026, 7, 31, 0, 20, tzinfo=BERLIN)
IN_GRACE = datetime(2026, 8, 20, 10, 0, tzinfo=BERLIN)
DELETION_DAY = datetime(2026, 9, 11, 0, 20, tzinfo=BERLIN)
LEFT_ON = date(2026, 7, 31)


class FakeModule:
    """A module with data per person and a registered deletion step."""

    def __init__(self) -> None:
        self.data: dict[str, str] = {}
        self.deleted: list[str] = []

    def step(self, user: User) -> None:
        self.deleted.append(user.username)
        self.data.pop(user.username, None)


@pytest.fixture
def fake_module():
    module = FakeModule()
    lifecycle.register_deletion_step("fake_files", module.step)
    yield module
    lifecycle._deletion_steps.pop("fake_files", None)


@pytest.fixture
def leaver(db):
    """A pupil of 5a with consent, a session, login history and a sanction."""
    with time_machine.travel(datetime(2026, 6, 1, 9, 0, tzinfo=BERLIN), tick=False):
        user = make_user(
            pupil=True,
            username="lea.abgang",
            first_name="Lea",
            last_name="Abgang",
            klasse="5a",
            birth_date=date(2015, 3, 1),
        )
        IssuedUsername.objects.create(username=user.username)
        do_record_consent(
            user,
            received_on=date(2026, 6, 1),
            guardian_signed=True,
            pupil_signed=False,
            kuerzel="MÜL",
            acting_user=get_system_actor(),
        )
        assert authenticate(user.username, DEFAULT_PASSWORD, protocol=Protocol.WEB).ok
        do_create_sanction(
            user, blocked=["mail_send"], reason="Kettenbrief", acting_user=get_system_actor()
        )
    return user


def login_client(user: User) -> Client:
    client = Client()
    response = client.post("/anmelden/", {"username": user.username, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def rows_referencing(user_pk: int) -> dict[str, int]:
    """Every row in any table whose foreign key points at the user."""
    found: dict[str, int] = {}
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.get_fields():
            if (
                isinstance(field, models.ForeignKey)
                and field.related_model is User
                and field.concrete
            ):
                count = model._default_manager.filter(**{field.name: user_pk}).count()
                if count:
                    found["%s.%s" % (model._meta.label, field.name)] = count
    return found


def test_mark_left_today_locks_at_once_and_schedules_deletion(leaver, admin_user):
    with time_machine.travel(LEAVING_DAY, tick=False):
        client = Client()
        client.force_login(leaver)
        UserSession.objects.create(user=leaver, session_key=client.session.session_key)
        do_mark_left(leaver, left_on=LEFT_ON, acting_user=admin_user)
        leaver.refresh_from_db()
        assert leaver.status == Status.LEFT
        assert leaver.left_on == LEFT_ON
        assert leaver.deletion_due == date(2026, 9, 11)
        assert not UserSession.objects.filter(user=leaver).exists()
        assert not Session.objects.filter(session_key=client.session.session_key).exists()
        result = authenticate(leaver.username, DEFAULT_PASSWORD, protocol=Protocol.IMAP)
        assert result.outcome == Outcome.LOCKED
        assert "verlassen" in result.message
    entry = AuditLogEntry.objects.get(event_type=AuditEvent.LEAVER_MARK)
    assert entry.acting_user == admin_user and entry.modified_user == leaver
    assert entry.details["deletion_due"] == "2026-09-11" and entry.details["locked"] is True


def test_grace_period_follows_the_school_setting(leaver, admin_user):
    SchoolSettings.objects.filter(pk=SchoolSettings.get().pk).update(leaver_grace_days=10)
    with time_machine.travel(LEAVING_DAY, tick=False):
        do_mark_left(leaver, left_on=LEFT_ON, acting_user=admin_user)
    leaver.refresh_from_db()
    assert leaver.deletion_due == date(2026, 8, 10)


def test_marking_again_with_the_same_date_changes_nothing(leaver, admin_user):
    with time_machine.travel(LEAVING_DAY, tick=False):
        do_mark_left(leaver, left_on=LEFT_ON, acting_user=admin_user)
        do_mark_left(leaver, left_on=LEFT_ON, acting_user=admin_user)
    assert AuditLogEntry.objects.filter(event_type=AuditEvent.LEAVER_MARK).count() == 1


CONTEXT_PROCESSOR = "schulhof.accounts.context_processors_lifecycle.leaver_notice"


@pytest.fixture
def with_leaver_notice(settings):
    """The context processor, also before settings.py lists it."""
    templates = [dict(engine) for engine in settings.TEMPLATES]
    options = dict(templates[0]["OPTIONS"])
    processors = list(options["context_processors"])
    if CONTEXT_PROCESSOR not in processors:
        processors.append(CONTEXT_PROCESSOR)
    options["context_processors"] = processors
    templates[0]["OPTIONS"] = options
    settings.TEMPLATES = templates


def test_future_leaver_keeps_using_the_account_with_a_banner_until_the_day(
    leaver, admin_user, with_leaver_notice
):
    with time_machine.travel(BEFORE_LEAVING, tick=False):
        do_mark_left(leaver, left_on=LEFT_ON, acting_user=admin_user)
        leaver.refresh_from_db()
        assert leaver.status == Status.ACTIVE
        assert leaver.deletion_due == date(2026, 9, 11)
        client = login_client(leaver)
        page = client.get("/konto/")
        assert page.status_code == 200
        process_leavers()
        leaver.refresh_from_db()
        assert leaver.status == Status.ACTIVE
    assert page.context["leaver_deletion_date"] == date(2026, 9, 11)
    html = page.content.decode()
    assert "Ihr Konto wird am 11.09.2026 gelöscht." in html
    assert "Laden Sie vorher Ihre Daten herunter." in html
    assert "/dateien/zip/user/%s/" % leaver.username in html

    with time_machine.travel(LEAVING_DAY, tick=False):
        process_leavers()
        leaver.refresh_from_db()
        assert leaver.status == Status.LEFT
        assert not UserSession.objects.filter(user=leaver).exists()
        assert client.get("/konto/").status_code == 302
        result = authenticate(leaver.username, DEFAULT_PASSWORD, protocol=Protocol.WEB)
        assert result.outcome == Outcome.LOCKED
    assert AuditLogEntry.objects.filter(
        event_type=AuditEvent.LEAVER_LOCK, modified_user=leaver
    ).exists()


def test_leaver_notice_template_renders_the_date():
    from django.template.loader import render_to_string

    html = render_to_string(
        "includes/leaver_notice.html",
        {"leaver_deletion_date": date(2026, 9, 11), "leaver_left_on": LEFT_ON},
    )
    assert "Ihr Konto wird am 11.09.2026 gelöscht. Laden Sie vorher Ihre Daten herunter." in html
    assert render_to_string("includes/leaver_notice.html", {}).strip() == ""


def test_notifiers_hear_of_the_leaver_after_commit(
    leaver, admin_user, django_capture_on_commit_callbacks
):
    heard: list[tuple[str, date | None]] = []

    def notifier(user: User) -> None:
        heard.append((user.username, user.deletion_due))

    register_leaver_notifier(notifier)
    try:
        with (
            django_capture_on_commit_callbacks(execute=True),
            time_machine.travel(BEFORE_LEAVING, tick=False),
        ):
            do_mark_left(leaver, left_on=LEFT_ON, acting_user=admin_user)
    finally:
        from schulhof.accounts import lifecycle_actions

        lifecycle_actions._leaver_notifiers.remove(notifier)
    assert heard == [("lea.abgang", date(2026, 9, 11))]


def test_grace_period_runs_out_and_the_purge_leaves_no_row(leaver, admin_user, fake_module):
    fake_module.data[leaver.username] = "Referat.odt"
    leaver_pk = leaver.pk
    # Other people's audit entries mention the leaver too (as a group leader change).
    group = Group.objects.get(slug="5a")
    do_set_group_leaders(group, [leaver], acting_user=admin_user)
    do_set_group_leaders(group, [], acting_user=admin_user)
    with time_machine.travel(LEAVING_DAY, tick=False):
        do_mark_left(leaver, left_on=LEFT_ON, acting_user=admin_user)
    with time_machine.travel(IN_GRACE, tick=False):
        process_leavers()
        assert User.objects.filter(pk=leaver_pk).exists()
        assert fake_module.deleted == []
    with time_machine.travel(DELETION_DAY, tick=False):
        process_leavers()

    assert not User.objects.filter(pk=leaver_pk).exists()
    assert rows_referencing(leaver_pk) == {}
    for model in (Membership, LoginAttempt, UserSession, Sanction, ConsentRecord):
        assert not model.objects.filter(user_id=leaver_pk).exists(), model
    assert not LoginAttempt.objects.filter(username="lea.abgang").exists()
    assert fake_module.deleted == ["lea.abgang"]
    assert "lea.abgang" not in fake_module.data

    tag = pseudonym("lea.abgang")
    assert len(tag) == 12
    entries = AuditLogEntry.objects.all()
    assert not entries.filter(modified_user_id=leaver_pk).exists()
    assert not entries.filter(acting_user_id=leaver_pk).exists()
    for entry in entries:
        assert "lea.abgang" not in str(entry.details)
    purge = entries.get(event_type=AuditEvent.USER_PURGE)
    assert purge.details["pseudonym"] == tag and "fake_files" in purge.details["steps"]
    assert entries.filter(event_type=AuditEvent.CONSENT_RECORD, details__pseudonym=tag).exists()
    # Her own logins were acted by her: now by the placeholder, with the pseudonym.
    login = entries.get(event_type=AuditEvent.LOGIN_SUCCESS, details__acting_pseudonym=tag)
    assert login.acting_user.username == DELETED_PERSON_USERNAME
    assert login.details["username"] == "pseudonym:%s" % tag

    # The username is never given again.
    assert IssuedUsername.objects.filter(username="lea.abgang").exists()
    assert username_taken("lea.abgang")
    assert propose_username("Lea", "Abgang") == "lea.abgang2"


def test_purge_keeps_sanctions_a_leaving_teacher_imposed(admin_user):
    teacher = make_user(teacher=True, username="tim.lehrer", first_name="Tim", last_name="Lehrer")
    pupil = make_user(pupil=True, username="pia.kind")
    sanction = do_create_sanction(pupil, blocked=["mail_send"], reason="Spam", acting_user=teacher)
    do_purge_user(teacher, acting_user=admin_user)
    sanction.refresh_from_db()
    assert sanction.created_by.username == DELETED_PERSON_USERNAME
    create = AuditLogEntry.objects.get(event_type=AuditEvent.SANCTION_CREATE)
    assert create.acting_user.username == DELETED_PERSON_USERNAME
    assert create.modified_user == pupil
    assert create.details["acting_pseudonym"] == pseudonym("tim.lehrer")


def test_deleted_person_placeholder_cannot_log_in(admin_user):
    pupil = make_user(pupil=True, username="pia.kind")
    do_purge_user(pupil, acting_user=admin_user)
    placeholder = User.objects.get(username=DELETED_PERSON_USERNAME)
    assert not placeholder.has_usable_password()
    assert placeholder not in User.objects.people()
    result = authenticate(DELETED_PERSON_USERNAME, "", protocol=Protocol.WEB)
    assert result.outcome == Outcome.INVALID


def test_a_failing_step_stops_that_purge_only_and_it_is_retried(admin_user, fake_module):
    broken = make_user(pupil=True, username="bert.kaputt")
    fine = make_user(pupil=True, username="fina.gut")
    failing = {"on": True}

    def flaky(user: User) -> None:
        if failing["on"] and user.username == "bert.kaputt":
            raise OSError("disk gone")

    lifecycle.register_deletion_step("flaky", flaky)
    try:
        with time_machine.travel(LEAVING_DAY, tick=False):
            do_mark_left(broken, left_on=LEFT_ON, acting_user=admin_user)
            do_mark_left(fine, left_on=LEFT_ON, acting_user=admin_user)
        with time_machine.travel(DELETION_DAY, tick=False):
            process_leavers()
        assert not User.objects.filter(username="fina.gut").exists()
        broken.refresh_from_db()
        assert broken.status == Status.LEFT  # rolled back, still waiting
        failing["on"] = False
        with time_machine.travel(DELETION_DAY + timedelta(minutes=15), tick=False):
            process_leavers()
        assert not User.objects.filter(username="bert.kaputt").exists()
    finally:
        lifecycle._deletion_steps.pop("flaky", None)


def test_returning_within_the_grace_period_gets_everything_back(leaver, admin_user, fake_module):
    fake_module.data[leaver.username] = "Referat.odt"
    groups_before = set(Membership.objects.filter(user=leaver).values_list("group_id", flat=True))
    with time_machine.travel(LEAVING_DAY, tick=False):
        do_mark_left(leaver, left_on=LEFT_ON, acting_user=admin_user)
    with time_machine.travel(IN_GRACE, tick=False):
        process_leavers()
        do_reactivate(leaver, acting_user=admin_user)
    with time_machine.travel(DELETION_DAY + timedelta(days=30), tick=False):
        process_leavers()
        leaver.refresh_from_db()
        assert leaver.status == Status.ACTIVE
        assert leaver.left_on is None and leaver.deletion_due is None
        assert authenticate(leaver.username, DEFAULT_PASSWORD, protocol=Protocol.IMAP).ok
    assert set(Membership.objects.filter(user=leaver).values_list("group_id", flat=True)) == (
        groups_before
    )
    assert ConsentRecord.objects.filter(user=leaver).exists()
    assert fake_module.data[leaver.username] == "Referat.odt"
    assert fake_module.deleted == []
    assert leaver not in leavers()
    entry = AuditLogEntry.objects.get(event_type=AuditEvent.LEAVER_REACTIVATE)
    assert entry.details["deletion_due"] == "2026-09-11"


def test_a_pending_leaver_can_be_called_back_before_the_day(leaver, admin_user):
    with time_machine.travel(BEFORE_LEAVING, tick=False):
        do_mark_left(leaver, left_on=LEFT_ON, acting_user=admin_user)
        do_reactivate(leaver, acting_user=admin_user)
    with time_machine.travel(LEAVING_DAY, tick=False):
        process_leavers()
    leaver.refresh_from_db()
    assert leaver.status == Status.ACTIVE and leaver.left_on is None


def test_reactivating_a_deleted_account_is_refused(admin_user):
    pupil = make_user(pupil=True, username="pia.kind")
    do_purge_user(pupil, acting_user=admin_user)
    with pytest.raises(ValueError, match="deleted"):
        do_reactivate(pupil, acting_user=admin_user)
    being_deleted = make_user(pupil=True, username="dora.weg", status=Status.DELETED)
    with pytest.raises(ValueError):
        do_reactivate(being_deleted, acting_user=admin_user)


def test_reactivating_someone_who_never_left_does_nothing(pupil, admin_user):
    do_reactivate(pupil, acting_user=admin_user)
    assert not AuditLogEntry.objects.filter(event_type=AuditEvent.LEAVER_REACTIVATE).exists()


def test_the_system_actor_and_oneself_cannot_be_purged(admin_user):
    with pytest.raises(ValueError):
        do_purge_user(get_system_actor(), acting_user=admin_user)
    with pytest.raises(ValueError):
        do_purge_user(admin_user, acting_user=admin_user)
    with pytest.raises(ValueError):
        do_mark_left(get_system_actor(), left_on=LEFT_ON, acting_user=admin_user)


def test_pseudonym_depends_on_the_secret(settings):
    first = pseudonym("lea.abgang")
    settings.SECRET_KEY = "another-installation"
    assert pseudonym("lea.abgang") != first
    assert len(first) == 12 and int(first, 16) >= 0


def test_username_inside_longer_names_is_not_touched(admin_user):
    lea = make_user(pupil=True, username="lea.abgang")
    other = make_user(pupil=True, username="lea.abgang2")
    GroupFactory(name="7c", slug="7c")
    do_set_group_leaders(Group.objects.get(slug="7c"), [lea, other], acting_user=admin_user)
    do_purge_user(lea, acting_user=admin_user)
    entry = AuditLogEntry.objects.get(event_type=AuditEvent.GROUP_UPDATE)
    new = entry.details["leaders"]["new"]
    assert "lea.abgang2" in new
    assert "pseudonym:%s" % pseudonym("lea.abgang") in new
    assert other.pk in User.objects.values_list("pk", flat=True)

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from schulhof.accounts.authentication import Outcome, authenticate
from schulhof.accounts.consent import (
    age_on,
    consent_gate,
    consent_policy,
    signature_rule,
)
from schulhof.accounts.lifecycle_actions import (
    ConsentError,
    do_purge_user,
    do_record_consent,
    do_record_handover,
)
from schulhof.accounts.models import ConsentRecord, HandoverRecord, LoginAttempt, Protocol
from schulhof.accounts.tests.factories import DEFAULT_PASSWORD, GroupFactory, make_user
from schulhof.core.audit import AuditEvent
from schulhof.core.models import AuditLogEntry, SchoolSettings

pytestmark = pytest.mark.django_db

GATE_MESSAGE = (
    "Für Ihr Konto liegt noch keine Einwilligung vor. Bitte geben Sie die unterschriebene "
    "Einwilligung bei Ihrer Klassenleitung ab."
)
TODAY = datetime(2026, 3, 10, 11, 0, tzinfo=ZoneInfo("Europe/Berlin"))
BORN = date(2011, 3, 10)  # 15 today


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(TODAY, tick=False):
        yield


def pupil_aged(years: int, *, days_before_birthday: int = 0, username: str = "kim.klein"):
    """A pupil who is ``years`` old on TODAY (their birthday ``days_before_birthday`` ahead)."""
    birth = date(2026 - years, 3, 10 + days_before_birthday)
    return pupil_without_consent(
        username=username, first_name="Kim", last_name="Klein", birth_date=birth
    )


def pupil_without_consent(**kwargs):
    """A pupil whose consent has not come in (factories may record one by default)."""
    user = make_user(pupil=True, **kwargs)
    ConsentRecord.objects.filter(user=user).delete()
    return user


def record(user, **overrides):
    values = {
        "received_on": date(2026, 3, 10),
        "guardian_signed": False,
        "pupil_signed": False,
        "kuerzel": "mül",
        "acting_user": overrides.pop("acting_user", None) or make_user(teacher=True),
    }
    values.update(overrides)
    return do_record_consent(user, **values)


# --- age rules ----------------------------------------------------------------------------


def test_age_counts_completed_years():
    assert age_on(date(2011, 3, 10), date(2026, 3, 9)) == 14
    assert age_on(date(2011, 3, 10), date(2026, 3, 10)) == 15
    assert age_on(date(2008, 2, 29), date(2026, 2, 28)) == 17
    assert age_on(date(2008, 2, 29), date(2026, 3, 1)) == 18


@pytest.mark.parametrize(
    ("years", "days_before_birthday", "guardian", "pupil"),
    [
        (14, 0, True, False),
        (14, 1, True, False),  # turns 15 tomorrow
        (15, 0, True, True),  # 15th birthday today
        (17, 0, True, True),
        (18, 1, True, True),  # 17, turns 18 tomorrow
        (18, 0, False, True),  # 18th birthday today
    ],
)
def test_signature_rules_by_age(years, days_before_birthday, guardian, pupil):
    user = pupil_aged(years, days_before_birthday=days_before_birthday)
    rule = signature_rule(user, date(2026, 3, 10))
    assert (rule.guardian_required, rule.pupil_required) == (guardian, pupil)
    assert (rule.show_guardian, rule.show_pupil) == (guardian, pupil)


def test_unknown_birth_date_needs_the_guardians_and_offers_both_lines():
    user = pupil_without_consent()
    rule = signature_rule(user, date(2026, 3, 10))
    assert rule.age is None and rule.guardian_required and not rule.pupil_required
    assert rule.show_guardian and rule.show_pupil


def test_fourteen_needs_only_the_guardians():
    user = pupil_aged(14)
    with pytest.raises(ConsentError) as refused:
        record(user)
    assert refused.value.messages == [
        "Kim Klein war am 10.03.2026 14 Jahre alt: Die Unterschrift der "
        "Erziehungsberechtigten ist erforderlich (unter 18 Jahren)."
    ]
    consent = record(user, guardian_signed=True)
    assert consent.kuerzel == "MÜL" and not consent.pupil_signed


def test_fifteen_needs_both():
    user = pupil_aged(15)
    with pytest.raises(ConsentError, match="eigene Unterschrift"):
        record(user, guardian_signed=True)
    with pytest.raises(ConsentError, match="Erziehungsberechtigten"):
        record(user, pupil_signed=True)
    assert not ConsentRecord.objects.exists()
    record(user, guardian_signed=True, pupil_signed=True)
    assert ConsentRecord.objects.filter(user=user).exists()


def test_seventeen_needs_both():
    user = pupil_aged(18, days_before_birthday=1)
    with pytest.raises(ConsentError, match="17 Jahre alt"):
        record(user, pupil_signed=True)
    record(user, guardian_signed=True, pupil_signed=True)


def test_eighteen_signs_alone():
    user = pupil_aged(18)
    with pytest.raises(ConsentError, match="eigene Unterschrift"):
        record(user, guardian_signed=True)
    record(user, pupil_signed=True)


def test_the_age_on_the_day_the_form_came_in_counts():
    """A form signed by the guardians alone, received the day before the 15th birthday."""
    user = pupil_aged(15)
    record(user, guardian_signed=True, received_on=date(2026, 3, 9))
    assert ConsentRecord.objects.get(user=user).received_on == date(2026, 3, 9)


def test_refusals_for_date_kuerzel_and_non_pupils():
    user = pupil_aged(12)
    with pytest.raises(ConsentError, match="Zukunft"):
        record(user, guardian_signed=True, received_on=date(2026, 3, 11))
    with pytest.raises(ConsentError, match="Kürzel"):
        record(user, guardian_signed=True, kuerzel="  ")
    with pytest.raises(ConsentError, match="höchstens 10"):
        record(user, guardian_signed=True, kuerzel="ABCDEFGHIJK")
    teacher = make_user(teacher=True, first_name="Tom", last_name="Lehrer")
    with pytest.raises(ConsentError, match="kein/e Schüler/in"):
        record(teacher, guardian_signed=True)


def test_recording_is_audited_and_a_correction_replaces_the_record():
    user = pupil_aged(12)
    teacher = make_user(teacher=True, kuerzel="MÜL")
    record(user, guardian_signed=True, received_on=date(2026, 3, 2), acting_user=teacher)
    record(user, guardian_signed=True, kuerzel="abc", acting_user=teacher)
    consent = ConsentRecord.objects.get(user=user)
    assert (consent.received_on, consent.kuerzel, consent.recorded_by) == (
        date(2026, 3, 10),
        "ABC",
        teacher,
    )
    entries = AuditLogEntry.objects.filter(event_type=AuditEvent.CONSENT_RECORD, modified_user=user)
    assert entries.count() == 2
    assert entries.first().details["previous"] == {"received_on": "2026-03-02", "kuerzel": "MÜL"}


def test_handover_is_recorded_with_date_and_kuerzel():
    user = pupil_aged(12)
    teacher = make_user(teacher=True)
    do_record_handover(user, handed_over_on=date(2026, 3, 9), kuerzel="yil", acting_user=teacher)
    handover = HandoverRecord.objects.get(user=user)
    assert (handover.handed_over_on, handover.kuerzel, handover.recorded_by) == (
        date(2026, 3, 9),
        "YIL",
        teacher,
    )
    assert AuditLogEntry.objects.filter(
        event_type=AuditEvent.HANDOVER_RECORD, modified_user=user
    ).exists()
    with pytest.raises(ConsentError, match="Zukunft"):
        do_record_handover(
            user, handed_over_on=date(2026, 3, 11), kuerzel="YIL", acting_user=teacher
        )


def test_recorded_by_survives_the_recorder_leaving():
    user = pupil_aged(12)
    teacher = make_user(teacher=True)
    record(user, guardian_signed=True, acting_user=teacher)
    do_purge_user(teacher, acting_user=make_user(admin=True))
    consent = ConsentRecord.objects.get(user=user)
    assert consent.recorded_by is None and consent.kuerzel == "MÜL"


# --- the login gate -----------------------------------------------------------------------


@pytest.mark.parametrize("protocol", [Protocol.WEB, Protocol.IMAP, Protocol.WEBDAV, Protocol.SMTP])
def test_gate_refuses_every_protocol_until_consent_is_recorded(protocol):
    user = pupil_aged(12)
    result = authenticate(user.username, DEFAULT_PASSWORD, protocol=protocol)
    assert result.outcome == Outcome.GATED
    assert result.message == GATE_MESSAGE
    assert LoginAttempt.objects.get(user=user).reason == "gated"
    record(user, guardian_signed=True)
    assert authenticate(user.username, DEFAULT_PASSWORD, protocol=protocol).ok


def test_web_login_shows_the_german_explanation_then_lets_in():
    user = pupil_aged(12)
    client = Client()
    data = {"username": user.username, "password": DEFAULT_PASSWORD}
    refused = client.post("/anmelden/", data)
    assert refused.status_code == 200
    assert GATE_MESSAGE in refused.content.decode()
    assert client.get("/konto/").status_code == 302
    record(user, guardian_signed=True)
    assert client.post("/anmelden/", data).status_code == 302
    assert client.get("/konto/").status_code == 200


def test_wrong_password_does_not_reveal_the_missing_consent():
    user = pupil_aged(12)
    result = authenticate(user.username, "falsch", protocol=Protocol.IMAP)
    assert result.outcome == Outcome.INVALID and "Einwilligung" not in result.message


@pytest.mark.parametrize("trait", ["teacher", "staff", "admin"])
def test_gate_does_not_apply_to_teachers_staff_and_admins(trait):
    user = make_user(**{trait: True})
    assert consent_gate(user, Protocol.WEB) is None
    assert authenticate(user.username, DEFAULT_PASSWORD, protocol=Protocol.IMAP).ok


def test_school_can_switch_the_gate_off():
    user = pupil_aged(12)
    SchoolSettings.objects.filter(pk=SchoolSettings.get().pk).update(consent_required=False)
    assert authenticate(user.username, DEFAULT_PASSWORD, protocol=Protocol.IMAP).ok


# --- the policy ---------------------------------------------------------------------------


def test_policy_class_teachers_their_classes_admins_all():
    five_a = GroupFactory(name="5a", slug="5a", klasse=True)
    six_b = GroupFactory(name="6b", slug="6b", klasse=True)
    year = GroupFactory(name="Jahrgang 5", slug="jahrgang-5", year=True)
    teacher = make_user(teacher=True, leads="5a")
    year.leaders.add(teacher)
    other_teacher = make_user(teacher=True)
    admin = make_user(admin=True)
    pupil = make_user(pupil=True, klasse="5a")
    five_a.leaders.add(pupil)  # nonsense data must still not give a pupil access
    assert set(consent_policy.instances_user_has_permission_for(teacher, "record")) == {five_a}
    assert not consent_policy.user_has_permission(other_teacher, "view")
    assert not consent_policy.user_has_permission(pupil, "view")
    assert set(consent_policy.instances_user_has_permission_for(admin, "record")) == {
        five_a,
        six_b,
    }
    assert not consent_policy.user_has_permission_for(admin, "delete", five_a)
    assert set(consent_policy.users_with_permission_for("record", five_a)) == {teacher, admin}

"""The school-year change end to end, with exports from the generator."""

from datetime import date, timedelta

import pytest
import time_machine
from django.utils import timezone

from schulhof.accounts.lifecycle_actions import do_purge_user, due_for_purge
from schulhof.accounts.models import Status, User, get_system_actor
from schulhof.schoolimport import testdata
from schulhof.schoolimport.actions import ImportBlocked
from schulhof.schoolimport.models import ImportRun, UsernameAlias
from schulhof.schoolimport.tests.helpers import preview, run_import

pytestmark = pytest.mark.django_db

LEAVING_DAY = date(2026, 7, 15)


def by_id(record_id):
    return User.objects.get(external_source="schild-schueler", external_id=record_id)


def classes_of(user):
    return sorted(user.memberships_groups.values_list("slug", flat=True))


@pytest.fixture
def school():
    pupils = testdata.school(180, seed=11)
    run_import(testdata.pupil_export(pupils))
    return pupils


def test_first_import_of_a_whole_school(school):
    assert User.objects.filter(external_source="schild-schueler").count() == 180
    emre = User.objects.get(first_name="Emre", last_name="Öztürk")
    assert emre.username == "emre.oeztuerk"
    assert User.objects.get(last_name="Παπαδόπουλος").username == "giorgos.papadopoulos"
    assert User.objects.get(last_name="Шевченко").username == "aleksandr.schewtschenko"
    assert User.objects.get(last_name="Meer").username == "jan.van-der-meer"
    assert User.objects.get(last_name="O'Brien").username == "siobhan.obrien"
    assert sorted(
        User.objects.filter(first_name="Leon", last_name="Schmidt").values_list(
            "username", flat=True
        )
    )[:2] == [
        "leon.schmidt",
        "leon.schmidt2",
    ]


def test_school_year_change(school):
    before = {
        u.external_id: (u.pk, u.username, u.password)
        for u in User.objects.filter(external_source="schild-schueler")
    }
    year = testdata.next_year(school, leaving_day=LEAVING_DAY)
    data = testdata.pupil_export(year.pupils)

    result = preview(data)
    counts = result.counts
    assert counts["invalid"] == 1
    assert result.errors[0]["message"] == "Der Vorname fehlt."
    assert counts["new"] == len(year.newcomers) - 1
    assert counts["left"] == len(year.graduated) + len(year.left_with_status) + len(year.missing)
    assert counts["updated"] == 1  # the surname change
    assert counts["unchanged"] == 1  # the pupil who repeats the year
    changed_class = 180 - counts["left"] - 2
    assert counts["class_changed"] == changed_class

    with pytest.raises(ImportBlocked):
        run_import(data)
    assert User.objects.filter(external_source="schild-schueler").count() == 180
    _run, _result = run_import(data, skip_invalid=True)

    # Promotions: the same account, only memberships change.
    for pupil in school:
        if pupil.year in ("5", "10") and pupil.record_id not in (
            year.switched,
            year.repeated,
            *year.missing,
            *year.left_with_status,
        ):
            user = by_id(pupil.record_id)
            assert (user.pk, user.username, user.password) == before[pupil.record_id]
            new_year = testdata.NEXT_YEAR[pupil.year]
            expected_class = (
                new_year if new_year == "EF" else new_year + pupil.class_name[len(pupil.year) :]
            )
            assert classes_of(user) == sorted(
                ["schueler", expected_class.lower(), "jahrgang-%s" % new_year.lower()]
            )
            assert user.status == Status.ACTIVE
    switched = by_id(year.switched)
    assert (
        len(
            [slug for slug in classes_of(switched) if not slug.startswith(("jahrgang", "schueler"))]
        )
        == 1
    )

    # Leavers are locked from their leaving day; the missing ones from today.
    for record_id in year.graduated + year.left_with_status:
        user = by_id(record_id)
        assert (user.status, user.left_on) == (Status.LEFT, LEAVING_DAY)
    for record_id in year.missing:
        assert by_id(record_id).left_on == timezone.localdate()

    # The surname change: a new username, the old one an alias.
    record_id, _old_name, new_name = year.renamed
    renamed = by_id(record_id)
    assert renamed.last_name == new_name
    assert renamed.pk == before[record_id][0]
    assert UsernameAlias.objects.get(user=renamed).username == before[record_id][1]

    # Importing the same file again changes nothing (the invalid row stays invalid).
    again = preview(data)
    assert again.counts["invalid"] == 1
    assert sum(again.counts.values()) - again.counts["unchanged"] - again.counts["invalid"] == 0

    # The grace period runs out: the purge leaves no trace of the leavers here.
    leaver = by_id(year.missing[0])
    with time_machine.travel(timezone.now() + timedelta(days=43)):
        due = list(due_for_purge())
        assert leaver in due
        for user in due:
            do_purge_user(user, acting_user=get_system_actor())
    assert not User.objects.filter(pk=leaver.pk).exists()
    for stored in ImportRun.objects.all():
        assert all(person.get("user_id") != leaver.pk for person in stored.preview["people"])


def test_returner_within_grace_period_gets_everything_back(school):
    pupil = next(p for p in school if p.year == "7")
    user = by_id(pupil.record_id)
    state = (user.pk, user.username, user.password, classes_of(user))
    others = [p for p in school if p.record_id != pupil.record_id]
    run_import(testdata.pupil_export(others))
    user.refresh_from_db()
    assert user.status == Status.LEFT
    _run, result = run_import(testdata.pupil_export(school))
    assert result.counts["returned"] == 1
    user.refresh_from_db()
    assert user.status == Status.ACTIVE and user.deletion_due is None
    assert (user.pk, user.username, user.password, classes_of(user)) == state


def test_windows_export_of_the_next_year(school):
    """Schools often export Windows-1252: known people with letters it lacks keep their names
    (warning); new people with lost letters would be errors."""
    year = testdata.next_year(school, leaving_day=LEAVING_DAY)
    result = preview(testdata.pupil_export(year.pupils, encoding="cp1252"))
    assert result.read.decoded.encoding == "cp1252"
    assert result.counts["invalid"] == 1  # only the newcomer without given name
    lossy = [w for w in result.warnings if "gingen beim Export verloren" in w["message"]]
    assert lossy
    nguyen = next(p for p in result.diff.people if p.last_name.startswith("Nguy"))
    assert nguyen.last_name == "Nguyễn"

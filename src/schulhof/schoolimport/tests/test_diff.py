"""The diff: every change type, usernames, lossy names, leavers, the fingerprint."""

from datetime import date

import pytest

from schulhof.accounts.actions import do_add_member
from schulhof.accounts.lifecycle_actions import do_mark_left
from schulhof.accounts.models import IssuedUsername, Role, Status, get_system_actor
from schulhof.accounts.tests.factories import GroupFactory, make_user
from schulhof.schoolimport.diff import MASS_LEAVERS_MIN
from schulhof.schoolimport.tests.helpers import HEADER, csv_bytes, preview, row, run_import

pytestmark = pytest.mark.django_db

BASE = [
    row("1", "Müller", "Jan", "5a"),
    row("2", "Kaya", "Elif", "5a"),
    row("3", "Weber", "Tom", "6b"),
]


def people_by_id(result):
    return {person.record_id: person for person in result.diff.people}


@pytest.fixture
def imported(db):
    run_import(csv_bytes(HEADER, *BASE))


def test_everything_new():
    result = preview(csv_bytes(HEADER, *BASE))
    assert result.counts == {
        "new": 3,
        "updated": 0,
        "class_changed": 0,
        "left": 0,
        "returned": 0,
        "unchanged": 0,
        "invalid": 0,
    }
    jan = people_by_id(result)["1"]
    assert jan.username == "jan.mueller"
    assert jan.groups_add == ["schueler", "5a", "jahrgang-5"]
    assert [spec.slug for spec in result.diff.groups_to_create] == [
        "schueler",
        "jahrgang-5",
        "jahrgang-6",
        "5a",
        "6b",
    ]


def test_unchanged_after_import(imported):
    result = preview(csv_bytes(HEADER, *BASE))
    assert result.counts["unchanged"] == 3
    assert not result.diff.has_changes
    assert result.diff.groups_to_create == []


def test_every_change_type(imported):
    do_mark_left(
        people_user("3"), left_on=date(2026, 7, 1), acting_user=get_system_actor()
    )  # Tom left before: in the file again, he returns
    data = csv_bytes(
        HEADER,
        row("1", "Müller-Kaya", "Jan", "5a"),  # surname changed
        row("2", "Kaya", "Elif", "6a"),  # class changed
        row("3", "Weber", "Tom", "6b"),  # returned
        row("4", "Neu", "Nora", "5b"),  # new
        row("5", "Fehler", "", "5b"),  # invalid
    )
    result = preview(data)
    people = people_by_id(result)
    assert {key: person.change for key, person in people.items()} == {
        "1": "updated",
        "2": "class_changed",
        "3": "returned",
        "4": "new",
        "5": "invalid",
    }
    jan = people["1"]
    assert jan.field_changes == {"last_name": ("Müller", "Müller-Kaya")}
    assert (jan.username, jan.new_username) == ("jan.mueller", "jan.mueller-kaya")
    elif_ = people["2"]
    assert elif_.class_from == ["5a"]
    assert elif_.groups_add == ["6a", "jahrgang-6"]
    assert elif_.groups_remove == ["5a", "jahrgang-5"]
    assert people["5"].errors == ["Der Vorname fehlt."]
    assert result.errors == [{"line": 6, "record_id": "5", "message": "Der Vorname fehlt."}]


def people_user(record_id):
    from schulhof.accounts.models import User

    return User.objects.get(external_source="schild-schueler", external_id=record_id)


def test_left_by_status_and_by_absence(imported):
    data = csv_bytes(HEADER, row("1", "Müller", "Jan", status="9", left="15.07.2026"), BASE[1])
    people = people_by_id(preview(data))
    assert people["1"].change == "left"
    assert people["1"].left_on == date(2026, 7, 15)
    assert people["3"].change == "left"
    assert people["3"].absent and people["3"].line is None
    assert people["2"].change == "unchanged"


def test_partial_import_marks_nobody_absent(imported):
    result = preview(csv_bytes(HEADER, BASE[1]), full=False)
    assert [p.record_id for p in result.diff.people] == ["2"]


def test_known_leaver_is_unchanged_and_unknown_leaver_skipped(imported):
    do_mark_left(people_user("1"), left_on=date(2026, 7, 15), acting_user=get_system_actor())
    data = csv_bytes(
        HEADER,
        row("1", "Müller", "Jan", status="9", left="15.07.2026"),
        row("9", "Nie", "Da", status="9", left="15.07.2026"),
        *BASE[1:],
    )
    result = preview(data)
    assert people_by_id(result)["1"].change == "unchanged"
    assert "9" not in people_by_id(result)
    assert result.diff.skipped == 1
    # Absent from a later full import: already a leaver, nothing to do.
    result = preview(csv_bytes(HEADER, *BASE[1:]))
    assert "1" not in people_by_id(result)


def test_invalid_row_of_a_known_person_is_not_a_leaver(imported):
    result = preview(csv_bytes(HEADER, row("1", "Müller", "", "5a"), *BASE[1:]))
    jan = people_by_id(result)["1"]
    assert jan.change == "invalid"
    assert jan.username == "jan.mueller"
    assert result.counts["left"] == 0


def test_username_collisions_in_the_file_and_with_issued_names():
    make_user(username="leon.schmidt", first_name="Leon", last_name="Schmidt", role=Role.TEACHER)
    IssuedUsername.objects.create(username="leon.schmidt2")
    data = csv_bytes(
        HEADER,
        row("1", "Schmidt", "Leon", "5a"),
        row("2", "Schmidt", "Leon", "7c"),
        row("3", "Schmidt", "Léon", "8a"),
    )
    people = people_by_id(preview(data))
    assert [people[key].username for key in "123"] == [
        "leon.schmidt3",
        "leon.schmidt4",
        "leon.schmidt5",
    ]


def test_long_username_warns():
    data = csv_bytes(HEADER, row("1", "Brzęczyszczykiewicz", "Małgorzata"))
    person = people_by_id(preview(data))["1"]
    assert person.username == "malgorzata.brzeczyszczykiewicz"
    assert person.warnings == [
        "Der Benutzername malgorzata.brzeczyszczykiewicz ist länger als 20 Zeichen; manche "
        "Programme kürzen ihn."
    ]


def test_name_without_latin_letters_is_invalid():
    data = csv_bytes(HEADER, row("1", "محمد", "علي"))
    person = people_by_id(preview(data))["1"]
    assert person.change == "invalid"
    assert "lässt sich kein Benutzername bilden" in person.errors[0]


def test_lossy_name_of_a_new_person_is_an_error():
    data = csv_bytes(HEADER, row("1", "Nguy?n", "Minh Anh"), encoding="cp1252")
    person = people_by_id(preview(data))["1"]
    assert person.change == "invalid"
    assert "„Nguy?n“ enthält „?“" in person.errors[0]


def test_lossy_name_of_a_known_person_keeps_the_stored_name():
    run_import(csv_bytes(HEADER, row("1", "Nguyễn", "Minh Anh"), row("2", "Łukasz", "Nowak")))
    data = csv_bytes(
        HEADER, row("1", "Nguy?n", "Minh Anh"), row("2", "?ukasz", "Nowak"), encoding="cp1252"
    )
    people = people_by_id(preview(data))
    assert people["1"].change == "unchanged"
    assert people["1"].last_name == "Nguyễn"
    assert "der gespeicherte Name „Nguyễn“ bleibt" in people["1"].warnings[0]
    assert people["2"].change == "unchanged"
    # A "?" where the stored name has a letter Windows-1252 knows: not a loss, a real change.
    data = csv_bytes(HEADER, row("1", "Ngu?en", "Minh Anh"), encoding="cp1252")
    assert people_by_id(preview(data, full=False))["1"].change == "invalid"


def test_record_id_of_another_role(imported):
    user = people_user("1")
    user.role = Role.TEACHER
    user.save()
    person = people_by_id(preview(csv_bytes(HEADER, *BASE)))["1"]
    assert person.change == "invalid"
    assert "anderen Rolle" in person.errors[0]


def test_account_without_import_identity_gets_a_twin_warning():
    make_user(username="jan.mueller", first_name="Jan", last_name="Müller", role=Role.PUPIL)
    person = people_by_id(preview(csv_bytes(HEADER, BASE[0])))["1"]
    assert person.username == "jan.mueller2"
    assert "schon ein Konto jan.mueller mit diesem Namen" in person.warnings[0]


def test_mass_leavers_warn():
    rows = [
        row(str(n), "Name%s" % chr(97 + n % 26), "Vorname%s" % chr(97 + n // 26))
        for n in range(MASS_LEAVERS_MIN + 2)
    ]
    run_import(csv_bytes(HEADER, *rows))
    result = preview(csv_bytes(HEADER, rows[0]))
    assert result.counts["left"] == MASS_LEAVERS_MIN + 1
    assert any("Achtung" in warning for warning in result.diff.warnings)


def test_membership_drift_is_repaired(imported):
    user = people_user("1")
    GroupFactory(name="6b", slug="6b", klasse=True)
    from schulhof.accounts.models import Group

    do_add_member(Group.objects.get(slug="6b"), user, acting_user=get_system_actor())
    person = people_by_id(preview(csv_bytes(HEADER, *BASE)))["1"]
    assert person.change == "class_changed"
    assert person.groups_remove == ["6b"]


def test_no_class_in_the_file_keeps_memberships(imported):
    person = people_by_id(preview(csv_bytes(HEADER, row("1", "Müller", "Jan", ""), *BASE[1:])))["1"]
    assert person.change == "unchanged"
    assert person.class_name == "5a"


def test_birth_date_change_and_empty_birth_date(imported):
    data = csv_bytes(
        HEADER,
        row("1", "Müller", "Jan", born="03.04.2015"),
        row("2", "Kaya", "Elif", born=""),
        BASE[2],
    )
    people = people_by_id(preview(data))
    assert people["1"].change == "updated"
    assert people["1"].updates == {"birth_date": date(2015, 4, 3)}
    assert not people["1"].new_username  # names unchanged: no rename
    assert people["2"].change == "unchanged"  # an empty cell never erases data


def test_fingerprint_is_stable_and_follows_the_database(imported):
    data = csv_bytes(HEADER, *BASE, row("4", "Neu", "Nora"))
    first = preview(data).fingerprint
    assert preview(data).fingerprint == first
    make_user(username="nora.neu", first_name="X", last_name="Y")
    assert preview(data).fingerprint != first


def test_deleted_account_is_invalid(imported):
    user = people_user("2")
    user.status = Status.DELETED
    user.save()
    assert people_by_id(preview(csv_bytes(HEADER, *BASE)))["2"].change == "invalid"

"""Teachers from the SchILD teacher export: Kürzel, names, role group."""

import pytest

from schulhof.accounts.models import Role, Status, User
from schulhof.schoolimport import testdata
from schulhof.schoolimport.profiles import SCHILD_TEACHERS
from schulhof.schoolimport.tests.helpers import HEADER, csv_bytes, preview, row, run_import

pytestmark = pytest.mark.django_db


def test_teachers_are_imported_with_kuerzel():
    teachers = testdata.teachers(5)
    _run, result = run_import(testdata.teacher_export(teachers), SCHILD_TEACHERS)
    assert result.counts["new"] == 5
    mueller = User.objects.get(external_source="schild-lehrer", external_id="MÜL")
    assert (mueller.username, mueller.role, mueller.kuerzel) == (
        "thomas.mueller",
        Role.TEACHER,
        "MÜL",
    )
    assert mueller.memberships_groups.filter(slug="lehrer").exists()
    assert not mueller.memberships_groups.exclude(slug="lehrer").exists()
    vries = User.objects.get(external_id="VRI")
    assert (vries.username, vries.name_particle) == ("jan-peter.de-vries", "de")


def test_teacher_with_id_column_keeps_identity_when_kuerzel_changes():
    header = '"Interne ID-Nummer";"Kürzel";"Nachname";"Vorname"'
    run_import(csv_bytes(header, '"17";"MÜL";"Müller";"Thomas"'), SCHILD_TEACHERS)
    _run, result = run_import(csv_bytes(header, '"17";"SCH";"Schmitz";"Thomas"'), SCHILD_TEACHERS)
    assert result.counts["updated"] == 1
    teacher = User.objects.get(external_source="schild-lehrer", external_id="17")
    assert (teacher.kuerzel, teacher.last_name, teacher.username) == (
        "SCH",
        "Schmitz",
        "thomas.schmitz",
    )


def test_teacher_import_never_touches_pupils():
    run_import(csv_bytes(HEADER, row("1", "Müller", "Jan")))
    run_import(testdata.teacher_export(testdata.teachers(2)), SCHILD_TEACHERS)
    pupil = User.objects.get(external_source="schild-schueler")
    assert pupil.status == Status.ACTIVE
    # And a full pupil import does not make teachers leavers.
    run_import(csv_bytes(HEADER, row("1", "Müller", "Jan")))
    assert User.objects.filter(role=Role.TEACHER, status=Status.ACTIVE).count() == 2


def test_teacher_warnings():
    data = csv_bytes(
        '"ID";"Kürzel";"Nachname";"Vorname";"E-Mail (Dienstlich)"', '"1";"";"Meier";"Eva";"eva@"'
    )
    person = preview(data, SCHILD_TEACHERS).diff.people[0]
    assert person.change == "new"
    assert person.warnings == ["Das Kürzel fehlt.", "Die E-Mail-Adresse „eva@“ ist ungültig."]


def test_kuerzel_too_long_is_an_error():
    data = csv_bytes('"Kürzel";"Nachname";"Vorname"', '"VIELZULANGESK";"Meier";"Eva"')
    person = preview(data, SCHILD_TEACHERS).diff.people[0]
    assert person.change == "invalid"
    assert person.errors == ["Kürzel ist länger als 10 Zeichen."]

"""Groups from the data: classes, year groups, role groups."""

import pytest

from schulhof.accounts.models import Group, GroupKind
from schulhof.accounts.tests.factories import GroupFactory
from schulhof.schoolimport.groups import class_slug, normalise_year, year_of_class
from schulhof.schoolimport.tests.helpers import HEADER, csv_bytes, preview, row, run_import

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("name", "slug", "year"),
    [
        ("5a", "5a", "5"),
        ("05a", "05a", "5"),
        ("10c", "10c", "10"),
        ("EF", "ef", "EF"),
        ("Q1", "q1", "Q1"),
        ("Q2-LK", "q2-lk", "Q2"),
        ("10 X", "10-x", "10"),
        ("Förder", "forder", ""),
    ],
)
def test_class_slug_and_year(name, slug, year):
    assert class_slug(name) == slug
    assert year_of_class(name) == year


def test_normalise_year():
    assert [normalise_year(v) for v in ["05", "5", "ef", " Q1 ", ""]] == ["5", "5", "EF", "Q1", ""]


def test_groups_created_with_parents():
    run_import(
        csv_bytes(
            HEADER,
            row("1", "A", "Anna", "5a"),
            row("2", "B", "Ben", "EF"),
            row("3", "C", "Cem", "10c", year="10"),
        )
    )
    assert Group.objects.get(slug="5a").parent.slug == "jahrgang-5"
    ef = Group.objects.get(slug="ef")
    assert (ef.name, ef.kind, ef.parent.name) == ("EF", GroupKind.CLASS, "Jahrgang EF")
    assert Group.objects.get(slug="jahrgang-10").kind == GroupKind.YEAR
    schueler = Group.objects.get(slug="schueler")
    assert schueler.members.count() == 3


def test_existing_groups_are_reused():
    year = GroupFactory(name="Jahrgang 5", slug="jahrgang-5", year=True)
    klasse = GroupFactory(name="5a", slug="5a", klasse=True, parent=year)
    run_import(csv_bytes(HEADER, row("1", "A", "Anna", "5a")))
    assert Group.objects.filter(slug="5a").count() == 1
    assert klasse.members.count() == 1
    assert year.members.count() == 1


def test_group_of_another_kind_is_used_with_a_warning():
    GroupFactory(name="5a (AG)", slug="5a")
    result = preview(csv_bytes(HEADER, row("1", "A", "Anna", "5a")))
    assert any("gibt es schon, aber nicht als Klasse" in w for w in result.diff.warnings)
    assert "5a" not in [spec.slug for spec in result.diff.groups_to_create]


def test_class_without_recognisable_year():
    result = preview(csv_bytes(HEADER, row("1", "A", "Anna", "Förder")))
    person = result.diff.people[0]
    assert person.change == "new"
    assert person.groups_add == ["schueler", "forder"]
    assert "Jahrgang der Klasse „Förder“ ist nicht erkennbar" in person.warnings[0]

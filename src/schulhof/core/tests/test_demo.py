import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from schulhof.accounts.authentication import authenticate
from schulhof.accounts.models import Group, Protocol, Role, User
from schulhof.core import demo
from schulhof.core.models import SchoolSettings

pytestmark = pytest.mark.django_db


def test_demo_school_has_what_the_quickstart_promises():
    logins = {login.label: login for login in demo.create_demo_school()}
    school = SchoolSettings.get()
    assert school.mail_domain == "schule.test" and school.is_demo
    people = User.objects.people()
    assert people.filter(role=Role.ADMIN).count() == 1
    assert people.filter(role=Role.TEACHER).count() == 3
    for name in ("5a", "6b"):
        klasse = Group.objects.get(slug=name)
        assert klasse.members.filter(role=Role.PUPIL).count() == 10
    five_a = Group.objects.get(slug="5a")
    teacher = User.objects.get(username=logins["Klassenleitung 5a"].username)
    assert list(five_a.leaders.all()) == [teacher]
    assert five_a.members.filter(pk=teacher.pk).exists()
    assert {"schueler", "lehrer", "verwaltung"} <= set(Group.objects.values_list("slug", flat=True))
    # Every printed login works (the pupils' consent is recorded).
    for login in logins.values():
        result = authenticate(login.username, login.password, protocol=Protocol.WEB)
        assert result.ok, (login.label, result.message)
    assert demo.read_logins() == list(logins.values())


def test_demo_refuses_a_database_with_people():
    demo.create_demo_school()
    with pytest.raises(CommandError, match="already has people"):
        call_command("demo")
    call_command("demo", "--if-empty")  # a second `make run` goes on quietly

import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from schulhof.accounts.models import ConsentRecord, HandoverRecord
from schulhof.accounts.tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(datetime(2026, 3, 10, 11, 0, tzinfo=ZoneInfo("Europe/Berlin"))):
        yield


def pupil(username, birth_date):
    user = make_user(pupil=True, username=username, birth_date=birth_date)
    ConsentRecord.objects.filter(user=user).delete()
    return user


def run(*args):
    out = io.StringIO()
    call_command("consent", *args, stdout=out)
    return out.getvalue()


def test_defaults_follow_the_age():
    young = pupil("mia.jung", date(2015, 5, 1))
    teen = pupil("tom.teen", date(2010, 1, 1))
    adult = pupil("ada.alt", date(2007, 1, 1))
    assert "signed by guardians" in run("mia.jung", "--kuerzel", "mül")
    assert "guardians and pupil" in run("tom.teen", "--kuerzel", "MÜL", "--date", "01.03.2026")
    run("ada.alt", "--kuerzel", "BER", "--date", "2026-03-02")
    records = {c.user: c for c in ConsentRecord.objects.all()}
    assert (records[young].guardian_signed, records[young].pupil_signed) == (True, False)
    assert (records[teen].guardian_signed, records[teen].pupil_signed) == (True, True)
    assert records[teen].received_on == date(2026, 3, 1)
    assert (records[adult].guardian_signed, records[adult].pupil_signed) == (False, True)
    assert HandoverRecord.objects.get(user=teen).kuerzel == "MÜL"
    assert HandoverRecord.objects.count() == 3


def test_explicit_flags_are_checked_against_the_age():
    pupil("tom.teen", date(2010, 1, 1))
    with pytest.raises(CommandError, match="Erziehungsberechtigten"):
        run("tom.teen", "--kuerzel", "MÜL", "--no-guardian")
    with pytest.raises(CommandError, match="eigene Unterschrift"):
        run("tom.teen", "--kuerzel", "MÜL", "--no-pupil-signed")
    assert not ConsentRecord.objects.exists() and not HandoverRecord.objects.exists()


def test_without_handover_and_errors():
    pupil("mia.jung", date(2015, 5, 1))
    run("mia.jung", "--kuerzel", "MÜL", "--no-handover")
    assert ConsentRecord.objects.count() == 1 and not HandoverRecord.objects.exists()
    with pytest.raises(CommandError, match="No user"):
        run("nie.mand", "--kuerzel", "MÜL")
    with pytest.raises(CommandError, match="Cannot read date"):
        run("mia.jung", "--kuerzel", "MÜL", "--date", "gestern")

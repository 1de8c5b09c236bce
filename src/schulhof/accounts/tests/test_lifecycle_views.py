from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from schulhof.accounts.actions import do_grant_privilege
from schulhof.accounts.lifecycle_actions import do_mark_left
from schulhof.accounts.models import Role, Status, User
from schulhof.accounts.privileges import ADMIN_USERS
from schulhof.accounts.tests.factories import make_user
from schulhof.core.audit import AuditEvent
from schulhof.core.models import AuditLogEntry

pytestmark = pytest.mark.django_db

TODAY = datetime(2026, 8, 3, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def leavers(admin_user):
    gone = make_user(pupil=True, username="lea.weg", first_name="Lea", last_name="Weg", klasse="10")
    soon = make_user(pupil=True, username="ben.bald", first_name="Ben", last_name="Bald")
    do_mark_left(gone, left_on=date(2026, 7, 31), acting_user=admin_user)
    do_mark_left(soon, left_on=date(2026, 8, 14), acting_user=admin_user)
    return {"gone": gone, "soon": soon}


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def test_list_shows_leaving_and_deletion_dates(admin_user, leavers):
    html = client_for(admin_user).get(reverse("accounts:leavers")).content.decode()
    assert "Lea Weg" in html and "31.07.2026" in html and "11.09.2026" in html
    assert "Ben Bald" in html and "14.08.2026" in html and "25.09.2026" in html
    assert "noch nutzbar" in html and "gesperrt" in html
    assert "zurückholen" in html and "jetzt löschen" in html
    assert reverse("accounts:moodle_export") in html
    assert html.index("Lea Weg") < html.index("Ben Bald")


def test_staff_with_admin_users_may_view_and_bring_back_but_not_purge(admin_user, leavers):
    staff = make_user(staff=True)
    do_grant_privilege(ADMIN_USERS, role=Role.STAFF, acting_user=admin_user)
    client = client_for(staff)
    html = client.get(reverse("accounts:leavers")).content.decode()
    assert "Lea Weg" in html and "jetzt löschen" not in html
    gone = leavers["gone"]
    assert client.get(reverse("accounts:leaver_purge", args=[gone.pk])).status_code == 403
    assert client.post(reverse("accounts:leaver_purge", args=[gone.pk])).status_code == 403
    response = client.post(reverse("accounts:leaver_reactivate", args=[gone.pk]))
    assert response.status_code == 302
    gone.refresh_from_db()
    assert gone.status == Status.ACTIVE and gone.deletion_due is None


@pytest.mark.parametrize("trait", ["teacher", "pupil"])
def test_others_are_refused(leavers, trait):
    client = client_for(make_user(**{trait: True}))
    gone = leavers["gone"]
    assert client.get(reverse("accounts:leavers")).status_code == 403
    assert client.post(reverse("accounts:leaver_reactivate", args=[gone.pk])).status_code == 403
    assert client.post(reverse("accounts:leaver_purge", args=[gone.pk])).status_code == 403
    gone.refresh_from_db()
    assert gone.status == Status.LEFT


def test_reactivate_needs_post(admin_user, leavers):
    url = reverse("accounts:leaver_reactivate", args=[leavers["gone"].pk])
    assert client_for(admin_user).get(url).status_code == 405


def test_only_leavers_can_be_handled_here(admin_user, pupil):
    client = client_for(admin_user)
    assert client.post(reverse("accounts:leaver_purge", args=[pupil.pk])).status_code == 404
    assert client.post(reverse("accounts:leaver_reactivate", args=[pupil.pk])).status_code == 404


def test_purge_now_after_confirmation(admin_user, leavers):
    gone = leavers["gone"]
    client = client_for(admin_user)
    url = reverse("accounts:leaver_purge", args=[gone.pk])
    confirm = client.get(url)
    assert confirm.status_code == 200 and "endgültig gelöscht" in confirm.content.decode()
    assert User.objects.filter(pk=gone.pk).exists()
    response = client.post(url, follow=True)
    assert not User.objects.filter(pk=gone.pk).exists()
    assert "Das Konto von Lea Weg und alle Daten wurden gelöscht." in response.content.decode()
    entry = AuditLogEntry.objects.get(event_type=AuditEvent.USER_PURGE)
    assert entry.acting_user == admin_user


def test_moodle_export_download_is_audited(admin_user, leavers):
    make_user(
        pupil=True, username="emre.oeztuerk", first_name="Emre", last_name="Öztürk", klasse="5a"
    )
    response = client_for(admin_user).get(reverse("accounts:moodle_export"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    text = response.content.decode("utf-8")
    assert text.splitlines()[0] == "username,firstname,lastname,email,cohort1"
    assert "emre.oeztuerk,Emre,Öztürk,emre.oeztuerk@schule.test,klasse-5a" in text
    assert "ben.bald" in text  # still active until the leaving date
    assert "lea.weg" not in text
    assert AuditLogEntry.objects.filter(event_type=AuditEvent.MOODLE_EXPORT).exists()

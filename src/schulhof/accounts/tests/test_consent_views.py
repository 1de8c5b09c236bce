import io
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from schulhof.accounts.actions import do_grant_privilege
from schulhof.accounts.authentication import authenticate
from schulhof.accounts.lifecycle_actions import do_record_consent, do_record_handover
from schulhof.accounts.models import ConsentRecord, HandoverRecord, Protocol, Role
from schulhof.accounts.privileges import ADMIN_USERS
from schulhof.accounts.tests.factories import DEFAULT_PASSWORD, make_user
from schulhof.core.audit import AuditEvent
from schulhof.core.models import AuditLogEntry

pytestmark = pytest.mark.django_db

TODAY = datetime(2026, 3, 10, 11, 0, tzinfo=ZoneInfo("Europe/Berlin"))


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(TODAY, tick=False):
        yield


def pupil(username, birth_date, klasse="5a", **extra):
    first, last = username.split(".")
    user = make_user(
        pupil=True,
        username=username,
        first_name=first.title(),
        last_name=last.title(),
        birth_date=birth_date,
        klasse=klasse,
        **extra,
    )
    ConsentRecord.objects.filter(user=user).delete()
    return user


@pytest.fixture
def school():
    people = {
        "teacher": make_user(teacher=True, leads="5a", kuerzel="MÜL", username="thomas.mueller"),
        "other_teacher": make_user(teacher=True, leads="6b", kuerzel="YIL"),
        "admin": make_user(admin=True, kuerzel="BER"),
        "young": pupil("mia.jung", date(2015, 5, 1)),  # 10
        "teen": pupil("tom.teen", date(2010, 1, 1)),  # 16
        "adult": pupil("ada.alt", date(2007, 1, 1)),  # 19
        "unknown": pupil("udo.unbekannt", None),
        "six_b": pupil("sam.sechs", date(2014, 1, 1), klasse="6b"),
    }
    people["class"] = people["teacher"].led_groups.get()
    return people


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def class_url(school):
    return reverse("accounts:consent_class", args=[school["class"].pk])


def pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


# --- permissions --------------------------------------------------------------------------


def test_class_teacher_sees_own_class_only(school):
    client = client_for(school["teacher"])
    overview = client.get(reverse("accounts:consent_overview"))
    assert overview.status_code == 200
    html = overview.content.decode()
    assert ">5a<" in html and ">6b<" not in html
    assert client.get(class_url(school)).status_code == 200
    six_b = school["six_b"].memberships_groups.get()
    for name in ("consent_class", "consent_forms", "consent_letters"):
        assert client.get(reverse("accounts:%s" % name, args=[six_b.pk])).status_code == 403
    assert client.post(reverse("accounts:consent_class", args=[six_b.pk])).status_code == 403


@pytest.mark.parametrize("who", ["young", "other_without_class"])
def test_pupils_and_teachers_without_class_are_refused(school, who):
    user = school["young"] if who == "young" else make_user(teacher=True)
    client = client_for(user)
    assert client.get(reverse("accounts:consent_overview")).status_code == 403
    assert client.get(class_url(school)).status_code == 403
    assert client.get(reverse("accounts:leavers")).status_code == 403
    assert client.get(reverse("accounts:moodle_export")).status_code == 403


def test_anonymous_is_sent_to_the_login(school):
    response = Client().get(class_url(school))
    assert response.status_code == 302 and "/anmelden/" in response["Location"]


def test_admin_and_staff_with_admin_users_see_every_class(school):
    staff = make_user(staff=True, username="monika.schreiber")
    do_grant_privilege(ADMIN_USERS, role=Role.STAFF, acting_user=school["admin"])
    for user in (school["admin"], staff):
        html = client_for(user).get(reverse("accounts:consent_overview")).content.decode()
        assert ">5a<" in html and ">6b<" in html
        assert reverse("accounts:moodle_export") in html


# --- ticking off a class ------------------------------------------------------------------


def test_the_page_shows_signature_boxes_only_where_the_age_requires_them(school):
    html = client_for(school["teacher"]).get(class_url(school)).content.decode()

    def boxes(name, user):
        return 'name="%s" value="%d"' % (name, user.pk) in html

    assert boxes("eltern", school["young"]) and not boxes("schueler", school["young"])
    assert boxes("eltern", school["teen"]) and boxes("schueler", school["teen"])
    assert not boxes("eltern", school["adult"]) and boxes("schueler", school["adult"])
    assert boxes("eltern", school["unknown"]) and boxes("schueler", school["unknown"])
    assert 'value="2026-03-10"' in html and 'value="MÜL"' in html
    assert "sam.sechs" not in html


def test_ticking_off_records_consents_and_handovers(school):
    client = client_for(school["teacher"])
    response = client.post(
        class_url(school),
        {
            "datum": "2026-03-09",
            "kuerzel": "mül",
            "einwilligung": [school["young"].pk, school["teen"].pk],
            "eltern": [school["young"].pk, school["teen"].pk],
            "schueler": [school["teen"].pk, school["adult"].pk],  # adult: box alone counts
            "uebergabe": [school["young"].pk],
        },
    )
    assert response.status_code == 302
    records = {c.user.username: c for c in ConsentRecord.objects.select_related("user")}
    assert set(records) == {"mia.jung", "tom.teen", "ada.alt"}
    assert records["tom.teen"].guardian_signed and records["tom.teen"].pupil_signed
    assert records["mia.jung"].received_on == date(2026, 3, 9)
    assert records["ada.alt"].kuerzel == "MÜL"
    assert records["ada.alt"].recorded_by == school["teacher"]
    handover = HandoverRecord.objects.get()
    assert handover.user == school["young"] and handover.handed_over_on == date(2026, 3, 9)
    page = client.get(class_url(school)).content.decode()
    assert "3 Einwilligung(en) und 1 Übergabe(n) erfasst." in page
    assert re.search(r"09\.03\.2026</span> <span class=\"life-done__who\">MÜL<", page)
    assert authenticate("tom.teen", DEFAULT_PASSWORD, protocol=Protocol.IMAP).ok


def test_a_missing_signature_records_nothing_and_keeps_the_ticks(school):
    client = client_for(school["teacher"])
    response = client.post(
        class_url(school),
        {
            "datum": "2026-03-10",
            "kuerzel": "MÜL",
            "einwilligung": [school["young"].pk, school["teen"].pk],
            "eltern": [school["young"].pk, school["teen"].pk],
            "uebergabe": [school["young"].pk],
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Nichts wurde gespeichert" in html
    assert "Tom Teen war am 10.03.2026 16 Jahre alt" in html
    assert not ConsentRecord.objects.exists() and not HandoverRecord.objects.exists()
    assert re.search(r'name="eltern" value="%d" checked' % school["young"].pk, html)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"datum": "gestern", "kuerzel": "MÜL"}, "gültiges Datum"),
        ({"datum": "2026-03-11", "kuerzel": "MÜL"}, "nicht in der Zukunft"),
        ({"datum": "2026-03-10", "kuerzel": ""}, "Bitte geben Sie Ihr Kürzel an."),
    ],
)
def test_batch_errors_are_shown_once(school, data, message):
    data = {**data, "einwilligung": [school["young"].pk], "eltern": [school["young"].pk]}
    response = client_for(school["teacher"]).post(class_url(school), data)
    assert response.status_code == 400
    assert response.content.decode().count(message) == 1
    assert not ConsentRecord.objects.exists()


def test_nothing_ticked_is_an_error(school):
    response = client_for(school["teacher"]).post(
        class_url(school), {"datum": "10.03.2026", "kuerzel": "MÜL"}
    )
    assert response.status_code == 400
    assert "mindestens eine Einwilligung" in response.content.decode()


def test_pupils_of_other_classes_cannot_be_smuggled_in(school):
    response = client_for(school["teacher"]).post(
        class_url(school),
        {"datum": "2026-03-10", "kuerzel": "MÜL", "eltern": [school["six_b"].pk]},
    )
    assert response.status_code == 403
    assert not ConsentRecord.objects.exists()


# --- PDFs ---------------------------------------------------------------------------------


def test_consent_forms_of_the_missing_pupils(school):
    do_record_consent(
        school["young"],
        received_on=date(2026, 3, 1),
        guardian_signed=True,
        pupil_signed=False,
        kuerzel="MÜL",
        acting_user=school["teacher"],
    )
    client = client_for(school["teacher"])
    url = reverse("accounts:consent_forms", args=[school["class"].pk])
    response = client.get(url + "?ohne_ordnung=1")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "Einwilligungen-5a.pdf" in response["Content-Disposition"]
    texts = pages_text(response.content)
    by_name = {
        name: text
        for text in texts
        for name in ("Tom Teen", "Ada Alt", "Udo Unbekannt")
        if name in text
    }
    assert set(by_name) == {"Tom Teen", "Ada Alt", "Udo Unbekannt"}
    assert all("Mia Jung" not in text for text in texts)
    assert all("5a" in text for text in texts)
    assert "Erziehungsberechtigte(r)" in by_name["Tom Teen"]
    assert "Schüler/Schülerin" in by_name["Tom Teen"]
    assert "Erziehungsberechtigte(r)" not in by_name["Ada Alt"]
    everyone = pages_text(client.get(url + "?alle=1").content)
    assert any("Mia Jung" in text for text in everyone)
    assert any("Präambel" in text for text in everyone)


def test_letters_for_pupils_without_handover_who_never_logged_in(school):
    do_record_handover(
        school["young"], handed_over_on=date(2026, 3, 1), kuerzel="MÜL", acting_user=school["admin"]
    )
    school["adult"].last_login = TODAY
    school["adult"].save(update_fields=["last_login"])
    client = client_for(school["teacher"])
    url = reverse("accounts:consent_letters", args=[school["class"].pk])
    confirm = client.get(url).content.decode()
    assert "Tom Teen" in confirm and "Udo Unbekannt" in confirm
    assert "Ada Alt" in confirm  # listed as skipped
    assert not AuditLogEntry.objects.filter(event_type=AuditEvent.FIRST_PASSWORD_ISSUE).exists()

    response = client.post(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    texts = pages_text(response.content)
    assert len(texts) == 2
    issued = {}
    for text in texts:
        username = re.search(r"(tom\.teen|udo\.unbekannt)", text).group(1)
        issued[username] = re.search(r"\b(\d{6})\b", text).group(1)
        assert "5a" in text and "MÜL" in text
    assert set(issued) == {"tom.teen", "udo.unbekannt"}
    for username, password in issued.items():
        result = authenticate(username, password, protocol=Protocol.WEB)
        assert result.outcome != "invalid"
    assert AuditLogEntry.objects.filter(event_type=AuditEvent.FIRST_PASSWORD_ISSUE).count() == 2


def test_letters_need_the_first_password_privilege(school):
    staff = make_user(staff=True)
    do_grant_privilege(ADMIN_USERS, role=Role.STAFF, acting_user=school["admin"])
    url = reverse("accounts:consent_letters", args=[school["class"].pk])
    assert client_for(staff).post(url).status_code == 200
    other = client_for(school["other_teacher"])
    assert other.post(url).status_code == 403

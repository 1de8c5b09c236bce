import io
import re

import pytest
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from schulhof.accounts.authentication import Outcome, authenticate
from schulhof.accounts.models import Membership, Protocol
from schulhof.accounts.tests.factories import DEFAULT_PASSWORD, GroupFactory, make_user
from schulhof.core.audit import AuditEvent
from schulhof.core.models import AuditLogEntry

pytestmark = pytest.mark.django_db

PASSWORD_ON_PAGE = re.compile(r'<dd class="fp-password">(\d+)</dd>')


@pytest.fixture
def school():
    """5a with its class teacher; year group EF with pupils directly in it; year group
    "Jahrgang 6" whose class 6b belongs to it; an advisor for each year group."""
    year6 = GroupFactory(name="Jahrgang 6", slug="jahrgang-6", year=True)
    ef = GroupFactory(name="EF", slug="ef", year=True)
    people = {
        "teacher_5a": make_user(teacher=True, leads="5a", kuerzel="MÜL"),
        "pupil_5a": make_user(
            pupil=True, klasse="5a", username="lukasz.kowalski", first_name="Łukasz"
        ),
        "pupil_5a_2": make_user(pupil=True, klasse="5a", username="suekrue.yilmaz"),
        "pupil_6b": make_user(pupil=True, klasse="6b", username="pia.sechs"),
        "pupil_ef": make_user(pupil=True, username="emil.ef"),
        "advisor_ef": make_user(teacher=True, kuerzel="EFB"),
        "advisor_6": make_user(teacher=True),
        "teacher": make_user(teacher=True),
        "admin": make_user(admin=True, kuerzel="ADM"),
    }
    six_b = GroupFactory(name="6b", slug="6b")
    six_b.parent = year6
    six_b.save()
    Membership.objects.create(user=people["pupil_ef"], group=ef)
    ef.leaders.add(people["advisor_ef"])
    year6.leaders.add(people["advisor_6"])
    people_groups = {"5a": GroupFactory(name="5a", slug="5a"), "6b": six_b, "ef": ef, "6": year6}
    return {**people, "groups": people_groups}


def login(client, user):
    client.force_login(user)
    return client


def single_url(user):
    return reverse("accounts:pupil_first_password", args=[user.pk])


def batch_url(group):
    return reverse("accounts:group_first_passwords", args=[group.pk])


def issued():
    return AuditLogEntry.objects.filter(event_type=AuditEvent.FIRST_PASSWORD_ISSUE)


def pdf_pages(response):
    assert response["Content-Type"] == "application/pdf"
    return [page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages]


def password_in(text):
    return re.search(r"Erstpasswort\n(\d{6})\n", text).group(1)


def test_class_teacher_issues_and_sees_the_password_once(client, school):
    teacher, pupil = school["teacher_5a"], school["pupil_5a"]
    login(client, teacher)

    response = client.post(single_url(pupil), {"action": "show"})

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    (password,) = PASSWORD_ON_PAGE.findall(response.content.decode())
    assert re.fullmatch(r"\d{6}", password)
    assert "Wird nur jetzt angezeigt" in response.content.decode()
    pupil.refresh_from_db()
    assert pupil.first_password_pending
    assert pupil.check_password(password)
    assert not pupil.check_password(DEFAULT_PASSWORD)
    entry = issued().get()
    assert entry.acting_user == teacher
    assert entry.modified_user == pupil
    assert password not in str(entry.details)
    # Never kept anywhere but in that one response.
    assert password not in str(dict(client.session.items()))
    assert password not in response.get("Location", "")


def test_class_teacher_gets_403_for_a_pupil_of_another_class(client, school):
    login(client, school["teacher_5a"])
    pupil = school["pupil_6b"]

    assert client.get(single_url(pupil)).status_code == 403
    assert client.post(single_url(pupil), {"action": "show"}).status_code == 403
    assert client.post(single_url(pupil), {"action": "pdf"}).status_code == 403
    assert (
        client.get(reverse("accounts:group_pupils", args=[school["groups"]["6b"].pk])).status_code
        == 403
    )
    pupil.refresh_from_db()
    assert pupil.check_password(DEFAULT_PASSWORD)
    assert not issued().exists()


def test_batch_with_one_foreign_pupil_is_refused_as_a_whole(client, school):
    login(client, school["teacher_5a"])
    five_a = school["groups"]["5a"]
    ids = [school["pupil_5a"].pk, school["pupil_6b"].pk]

    assert client.get(batch_url(five_a), {"schueler": ids}).status_code == 403
    assert client.post(batch_url(five_a), {"schueler": ids}).status_code == 403
    # Not through the other group's address either.
    six_b = school["groups"]["6b"]
    assert client.post(batch_url(six_b), {"schueler": [school["pupil_6b"].pk]}).status_code == 403

    assert not issued().exists()
    school["pupil_5a"].refresh_from_db()
    assert school["pupil_5a"].check_password(DEFAULT_PASSWORD)


@pytest.mark.parametrize(
    ("advisor", "allowed", "refused"),
    [
        ("advisor_ef", ["pupil_ef"], ["pupil_5a", "pupil_6b"]),
        ("advisor_6", ["pupil_6b"], ["pupil_5a", "pupil_ef"]),
    ],
)
def test_advisors_issue_for_their_year_group_only(client, school, advisor, allowed, refused):
    login(client, school[advisor])
    for name in refused:
        assert client.post(single_url(school[name]), {"action": "show"}).status_code == 403
    for name in allowed:
        response = client.post(single_url(school[name]), {"action": "show"})
        assert response.status_code == 200
        school[name].refresh_from_db()
        assert school[name].first_password_pending
    assert issued().count() == len(allowed)
    assert set(issued().values_list("acting_user", flat=True)) == {school[advisor].pk}


def test_year_group_batch_reaches_pupils_of_its_classes(client, school):
    login(client, school["advisor_6"])
    year6 = school["groups"]["6"]

    page = client.get(reverse("accounts:group_pupils", args=[year6.pk]))
    assert page.status_code == 200
    assert "pia.sechs" in page.content.decode()
    assert "emil.ef" not in page.content.decode()

    response = client.post(batch_url(year6), {"schueler": [school["pupil_6b"].pk]})
    assert response.status_code == 200
    assert 'filename="Zugangsdaten-Jahrgang-6.pdf"' in response["Content-Disposition"]
    (text,) = pdf_pages(response)
    assert "pia.sechs" in text
    assert "Klasse 6b" in text


def test_teacher_who_leads_nothing_and_pupils_get_403(client, school):
    login(client, school["teacher"])
    assert client.get(reverse("accounts:my_groups")).status_code == 403
    assert client.get(single_url(school["pupil_5a"])).status_code == 403
    assert (
        client.get(reverse("accounts:group_pupils", args=[school["groups"]["5a"].pk])).status_code
        == 403
    )

    pupil_client = login(Client(), school["pupil_5a"])
    assert pupil_client.get(reverse("accounts:my_groups")).status_code == 403
    assert (
        pupil_client.post(single_url(school["pupil_5a_2"]), {"action": "show"}).status_code == 403
    )
    assert not issued().exists()


def test_anonymous_users_are_sent_to_the_login(client, school):
    response = client.get(reverse("accounts:my_groups"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert client.post(single_url(school["pupil_5a"]), {"action": "show"}).status_code == 302
    assert not issued().exists()


def test_admin_may_issue_to_anyone(client, school):
    login(client, school["admin"])
    assert client.get(reverse("accounts:my_groups")).status_code == 200
    for name in ("pupil_5a", "pupil_6b", "pupil_ef", "teacher"):
        assert client.post(single_url(school[name]), {"action": "show"}).status_code == 200
    assert issued().count() == 4


def test_pdf_letter_has_username_and_new_password_and_old_password_is_gone(client, school):
    pupil = school["pupil_5a"]
    # The pupil is logged in somewhere: the new first password ends that session.
    pupil_client = Client()
    start = pupil_client.post(
        reverse("accounts:login"), {"username": pupil.username, "password": DEFAULT_PASSWORD}
    )
    assert start.status_code == 302
    assert pupil_client.get(reverse("web:dashboard")).status_code == 200
    login(client, school["teacher_5a"])

    response = client.post(single_url(pupil), {"action": "pdf"})

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Disposition"].startswith("attachment;")
    assert "Zugangsdaten-lukasz.kowalski.pdf" in response["Content-Disposition"]
    (text,) = pdf_pages(response)
    assert "lukasz.kowalski" in text
    assert "Łukasz" in text
    assert "von MÜL" in text
    password = password_in(text)
    pupil.refresh_from_db()
    assert pupil.check_password(password)
    assert not pupil.check_password(DEFAULT_PASSWORD)
    assert pupil_client.get(reverse("web:dashboard")).status_code == 302  # logged out
    old = authenticate(pupil.username, DEFAULT_PASSWORD, protocol=Protocol.WEB)
    assert old.outcome == Outcome.INVALID
    new = authenticate(pupil.username, password, protocol=Protocol.WEB)
    assert new.ok
    assert new.must_change_password
    assert issued().get().acting_user == school["teacher_5a"]


def test_batch_pdf_has_one_page_per_selected_pupil(client, school):
    login(client, school["teacher_5a"])
    five_a = school["groups"]["5a"]
    pupils = [school["pupil_5a"], school["pupil_5a_2"]]

    confirm = client.get(batch_url(five_a), {"alle": "1"})
    assert confirm.status_code == 200
    assert "Die bisherigen Passwörter der ausgewählten Schüler/innen werden ungültig." in (
        confirm.content.decode()
    )
    assert not issued().exists()

    response = client.post(batch_url(five_a), {"schueler": [p.pk for p in pupils]})

    assert response.status_code == 200
    assert 'filename="Zugangsdaten-5a.pdf"' in response["Content-Disposition"]
    pages = pdf_pages(response)
    assert len(pages) == 2
    by_username = {p.username: p for p in pupils}
    for text in pages:
        (username,) = [name for name in by_username if name in text]
        pupil = by_username.pop(username)
        pupil.refresh_from_db()
        assert pupil.check_password(password_in(text))
    assert not by_username
    assert issued().count() == 2


def test_empty_selection_goes_back_with_a_message(client, school):
    login(client, school["teacher_5a"])
    five_a = school["groups"]["5a"]
    response = client.post(batch_url(five_a), {}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("accounts:group_pupils", args=[five_a.pk])
    assert "Bitte wählen Sie mindestens" in response.content.decode()
    assert client.post(batch_url(five_a), {"schueler": ["x"]}).status_code == 400
    assert not issued().exists()


def test_get_never_issues(client, school):
    login(client, school["admin"])
    five_a = school["groups"]["5a"]
    pupil = school["pupil_5a"]
    for url, params in [
        (reverse("accounts:my_groups"), {}),
        (reverse("accounts:group_pupils", args=[five_a.pk]), {}),
        (batch_url(five_a), {"schueler": [pupil.pk]}),
        (batch_url(five_a), {"alle": "1"}),
        (single_url(pupil), {"action": "show"}),
        (single_url(pupil), {"action": "pdf"}),
    ]:
        response = client.get(url, params)
        assert response.status_code == 200, url
        assert response["Content-Type"].startswith("text/html")
    assert not issued().exists()
    pupil.refresh_from_db()
    assert pupil.check_password(DEFAULT_PASSWORD)
    assert not pupil.first_password_pending


def test_posts_need_a_csrf_token(school):
    client = login(Client(enforce_csrf_checks=True), school["teacher_5a"])
    assert client.post(single_url(school["pupil_5a"]), {"action": "show"}).status_code == 403
    assert not issued().exists()


def test_unknown_action_is_refused(client, school):
    login(client, school["teacher_5a"])
    assert client.post(single_url(school["pupil_5a"]), {"action": "mail"}).status_code == 400
    assert not issued().exists()


def test_my_groups_lists_led_groups_with_their_pupils(client, school):
    login(client, school["teacher_5a"])
    school["pupil_5a"].first_password_pending = True
    school["pupil_5a"].save()
    page = client.get(reverse("accounts:my_groups")).content.decode()
    assert "lukasz.kowalski" in page
    assert "suekrue.yilmaz" in page
    assert "pia.sechs" not in page
    assert "ausstehend" in page


def test_dashboard_card_and_navigation(client, school):
    school["pupil_5a"].first_password_pending = True
    school["pupil_5a"].save()
    login(client, school["teacher_5a"])
    page = client.get(reverse("web:dashboard")).content.decode()
    assert reverse("accounts:my_groups") in page
    assert "Erstpasswort ausstehend" in page

    login(client, school["teacher"])
    assert (
        reverse("accounts:my_groups") not in client.get(reverse("web:dashboard")).content.decode()
    )

import time
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import time_machine
from django.test import Client

from schulhof.accounts import totp
from schulhof.accounts.actions import do_enable_totp, do_issue_first_password, do_lock_user
from schulhof.accounts.models import LoginAttempt, User, UserSession
from schulhof.accounts.tests.factories import DEFAULT_PASSWORD, make_user
from schulhof.accounts.views.auth import PENDING_LOGIN
from schulhof.core.audit import AuditEvent
from schulhof.core.models import AuditLogEntry, SchoolSettings

pytestmark = pytest.mark.django_db


def _middle_of_current_step() -> datetime:
    # Near the real time, so that sessions saved while time is frozen are still valid after;
    # in the middle of a 30-second step, so that ±1 step is unambiguous.
    now = int(time.time())
    return datetime.fromtimestamp(now - now % 30 + 15, tz=UTC)


MOMENT = _middle_of_current_step()


def post_login(client: Client, username: str, password: str = DEFAULT_PASSWORD, next_url=""):
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post("/anmelden/", data)


def is_logged_in(client: Client) -> bool:
    return client.get("/konto/").status_code == 200


@pytest.fixture
def teacher() -> User:
    return make_user(username="tom.teacher", first_name="Tom", last_name="Teacher")


@pytest.fixture
def totp_user() -> User:
    user = make_user(username="zora.zweifaktor", first_name="Zora", last_name="Zweifaktor")
    do_enable_totp(user, totp.new_secret(), acting_user=user)
    return user


# --- password login -----------------------------------------------------------------------


def test_login_starts_a_session_and_records_the_device(client, teacher):
    client.defaults["HTTP_USER_AGENT"] = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"
    response = post_login(client, "Tom.Teacher")
    assert response.status_code == 302 and response["Location"] == "/"
    device = UserSession.objects.get(user=teacher)
    assert device.session_key == client.session.session_key
    assert "Firefox" in device.user_agent


def test_wrong_password_shows_a_german_error(client, teacher):
    response = post_login(client, "tom.teacher", "falsch")
    assert response.status_code == 200
    assert "Benutzername oder Passwort ist falsch." in response.content.decode()
    assert not is_logged_in(client)


def test_login_follows_a_local_next_url_only(client, teacher):
    assert post_login(client, "tom.teacher", next_url="/konto/")["Location"] == "/konto/"
    other = Client()
    assert post_login(other, "tom.teacher", next_url="https://evil.example/")["Location"] == "/"


def test_logout_ends_the_device(client, teacher):
    post_login(client, "tom.teacher")
    response = client.post("/abmelden/")
    assert response["Location"] == "/anmelden/"
    assert not UserSession.objects.filter(user=teacher).exists()
    assert not is_logged_in(client)


def test_first_password_is_changed_before_anything_else(client, teacher, system_actor):
    first = do_issue_first_password(teacher, acting_user=system_actor)
    response = post_login(client, "tom.teacher", first)
    assert response["Location"] == "/konto/erstes-passwort/"
    assert client.get("/konto/")["Location"] == "/konto/erstes-passwort/"
    response = client.post(
        "/konto/erstes-passwort/",
        {"new_password": "Neues-Sicheres-Pw-2026", "new_password_repeat": "Neues-Sicheres-Pw-2026"},
    )
    assert response["Location"] == "/"
    assert is_logged_in(client)


# --- the code step of two-factor login ----------------------------------------------------


def test_two_factor_login_asks_for_the_code_before_the_session_starts(client, totp_user):
    client.get("/anmelden/")
    key_before = client.session.session_key
    with time_machine.travel(MOMENT, tick=False):
        response = post_login(client, "zora.zweifaktor", next_url="/konto/geraete/")
        assert response["Location"] == "/anmelden/code/"
        # A fresh session key for the pending login; nobody is logged in yet.
        assert client.session.session_key != key_before
        assert not UserSession.objects.exists()
        assert client.get("/konto/")["Location"].startswith("/anmelden/")
        page = client.get("/anmelden/code/")
        assert page.status_code == 200
        assert "sechsstelligen Code" in page.content.decode()

        code = pyotp.TOTP(totp_user.totp_secret).at(MOMENT)
        response = client.post("/anmelden/code/", {"code": code})
    assert response["Location"] == "/konto/geraete/"
    assert UserSession.objects.filter(user=totp_user).count() == 1
    assert PENDING_LOGIN not in client.session
    assert is_logged_in(client)


def test_a_login_code_cannot_be_replayed_on_another_device(client, totp_user):
    with time_machine.travel(MOMENT, tick=False):
        code = pyotp.TOTP(totp_user.totp_secret).at(MOMENT)
        post_login(client, "zora.zweifaktor")
        assert client.post("/anmelden/code/", {"code": code})["Location"] == "/"

        onlooker = Client()
        post_login(onlooker, "zora.zweifaktor")
        response = onlooker.post("/anmelden/code/", {"code": code})
    assert response.status_code == 200
    assert "nicht richtig oder schon benutzt" in response.content.decode()
    assert not is_logged_in(onlooker)


def test_five_wrong_codes_end_the_pending_login(client, totp_user):
    with time_machine.travel(MOMENT, tick=False):
        right = pyotp.TOTP(totp_user.totp_secret).at(MOMENT)
        wrong = "000000" if right != "000000" else "111111"
        post_login(client, "zora.zweifaktor")
        for attempt in range(1, 5):
            response = client.post("/anmelden/code/", {"code": wrong})
            assert response.status_code == 200
            assert "Noch %d Versuch(e)" % (5 - attempt) in response.content.decode()
        response = client.post("/anmelden/code/", {"code": wrong})
        assert response["Location"] == "/anmelden/"
        assert "Zu viele falsche Codes" in client.get("/anmelden/").content.decode()
        # Even the right code no longer helps: the password is needed again.
        assert client.post("/anmelden/code/", {"code": right})["Location"] == "/anmelden/"
    assert not is_logged_in(client)
    failures = AuditLogEntry.objects.filter(
        event_type=AuditEvent.LOGIN_FAILURE, modified_user=totp_user
    )
    assert failures.count() == 5
    assert failures.first().details == {
        "username": "zora.zweifaktor",
        "protocol": "web",
        "outcome": "totp_invalid",
    }


def test_malformed_code_is_explained_and_not_counted(client, totp_user):
    post_login(client, "zora.zweifaktor")
    response = client.post("/anmelden/code/", {"code": "12ab"})
    assert "sechs Ziffern" in response.content.decode()
    assert client.session[PENDING_LOGIN]["failures"] == 0


def test_pending_login_expires_after_five_minutes(client, totp_user):
    with time_machine.travel(MOMENT, tick=False) as traveller:
        post_login(client, "zora.zweifaktor")
        traveller.shift(timedelta(minutes=5, seconds=1))
        code = pyotp.TOTP(totp_user.totp_secret).now()
        response = client.post("/anmelden/code/", {"code": code})
        assert response["Location"] == "/anmelden/"
        assert "Die Anmeldung ist abgelaufen" in client.get("/anmelden/").content.decode()
    assert not is_logged_in(client)
    assert not UserSession.objects.exists()


def test_pending_login_still_works_just_under_five_minutes(client, totp_user):
    with time_machine.travel(MOMENT, tick=False) as traveller:
        post_login(client, "zora.zweifaktor")
        traveller.shift(timedelta(minutes=4, seconds=50))
        code = pyotp.TOTP(totp_user.totp_secret).now()
        assert client.post("/anmelden/code/", {"code": code})["Location"] == "/"


def test_code_page_without_a_pending_login_goes_to_the_login(client):
    assert client.get("/anmelden/code/")["Location"] == "/anmelden/"


def test_account_locked_while_the_code_is_pending_cannot_finish(client, totp_user, system_actor):
    post_login(client, "zora.zweifaktor")
    do_lock_user(totp_user, acting_user=system_actor, reason="Test")
    code = pyotp.TOTP(totp_user.totp_secret).now()
    assert client.post("/anmelden/code/", {"code": code})["Location"] == "/anmelden/"
    assert not UserSession.objects.exists()


def test_wrong_codes_count_like_wrong_passwords(client, totp_user):
    """Wrong codes feed the same throttling as wrong passwords: after five, even the right
    password and code have to wait."""
    with time_machine.travel(MOMENT, tick=False):
        post_login(client, "zora.zweifaktor")
        for _attempt in range(totp.MAX_CODE_FAILURES):
            client.post("/anmelden/code/", {"code": "999999"})
        response = post_login(client, "zora.zweifaktor")
        assert response.status_code == 429
        assert "Zu viele fehlgeschlagene Anmeldeversuche" in response.content.decode()
    assert not UserSession.objects.exists()
    failures = LoginAttempt.objects.filter(reason="totp_invalid").count()
    assert failures == totp.MAX_CODE_FAILURES


def test_password_step_alone_is_not_a_successful_login(client, totp_user):
    post_login(client, "zora.zweifaktor")
    assert not LoginAttempt.objects.filter(success=True).exists()
    assert not AuditLogEntry.objects.filter(event_type=AuditEvent.LOGIN_SUCCESS).exists()
    code = pyotp.TOTP(totp_user.totp_secret).now()
    client.post("/anmelden/code/", {"code": code})
    assert LoginAttempt.objects.filter(success=True).count() == 1
    assert AuditLogEntry.objects.filter(event_type=AuditEvent.LOGIN_SUCCESS).count() == 1


def test_first_password_after_the_code_step(client, totp_user, system_actor):
    first = do_issue_first_password(totp_user, acting_user=system_actor)
    post_login(client, "zora.zweifaktor", first)
    code = pyotp.TOTP(totp_user.totp_secret).now()
    response = client.post("/anmelden/code/", {"code": code})
    assert response["Location"] == "/konto/erstes-passwort/"


# --- the school's rule: staff and admins need two-factor login ----------------------------


@pytest.fixture
def school_requires_2fa() -> None:
    SchoolSettings.objects.update_or_create(pk=1, defaults={"require_2fa_for_staff": True})


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_staff_must_set_up_two_factor_when_the_school_requires_it(
    client, school_requires_2fa, role
):
    make_user(username="sekretariat.eins", **{role: True})
    post_login(client, "sekretariat.eins")
    assert client.get("/")["Location"] == "/konto/zwei-faktor/"
    assert client.get("/konto/geraete/")["Location"] == "/konto/zwei-faktor/"
    page = client.get("/konto/zwei-faktor/")
    assert page.status_code == 200
    assert "Ihre Schule schreibt" in page.content.decode()
    # Logging out stays possible.
    assert client.post("/abmelden/")["Location"] == "/anmelden/"


def test_staff_may_work_once_two_factor_is_set_up(client, school_requires_2fa):
    user = make_user(username="sekretariat.zwei", staff=True)
    post_login(client, "sekretariat.zwei")
    with time_machine.travel(MOMENT, tick=False):
        client.get("/konto/zwei-faktor/")
        secret = client.session["schulhof_totp_setup_secret"]
        response = client.post("/konto/zwei-faktor/", {"code": pyotp.TOTP(secret).at(MOMENT)})
    assert response["Location"] == "/konto/zwei-faktor/"
    user.refresh_from_db()
    assert user.totp_enabled
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("trait", ["pupil", "teacher"])
def test_the_rule_does_not_apply_to_pupils_and_teachers(client, school_requires_2fa, trait):
    make_user(username="person.ohne", **{trait: True})
    post_login(client, "person.ohne")
    assert client.get("/konto/").status_code == 200


def test_staff_are_free_when_the_school_does_not_require_it(client):
    make_user(username="sekretariat.drei", staff=True)
    post_login(client, "sekretariat.drei")
    assert client.get("/konto/").status_code == 200

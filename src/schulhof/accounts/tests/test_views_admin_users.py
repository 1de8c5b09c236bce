"""The admin pages for people: list, search and filters, create, edit, lock, sanctions."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import make_password
from django.urls import reverse
from django.utils import timezone

from schulhof.accounts.actions import do_create_sanction, do_issue_first_password
from schulhof.accounts.authentication import Outcome, authenticate
from schulhof.accounts.models import (
    GrantKind,
    IssuedUsername,
    Membership,
    PrivilegeGrant,
    Protocol,
    Role,
    Sanction,
    Status,
    User,
)
from schulhof.accounts.privileges import ADMIN_SANCTIONS, ADMIN_USERS
from schulhof.accounts.sanctions import is_blocked
from schulhof.accounts.tests.factories import DEFAULT_PASSWORD, GroupFactory, make_user
from schulhof.core.audit import AuditEvent
from schulhof.core.models import AuditLogEntry

pytestmark = pytest.mark.django_db

LIST = reverse("accounts:admin_users")
CREATE = reverse("accounts:admin_user_create")
PASSWORD_ON_PAGE = re.compile(r'<span class="admin-secret">(\d+)</span>')


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def listed(response) -> set[str]:
    return {person.username for person in response.context["page"].object_list}


def detail_url(user: User) -> str:
    return reverse("accounts:admin_user", args=[user.pk])


def create_data(**overrides):
    data = {
        "first_name": "Max",
        "last_name": "Müller",
        "name_particle": "",
        "birth_date": "",
        "role": Role.PUPIL,
        "kuerzel": "",
        "username": "",
        "token": "token-%s" % overrides.pop("token", "1"),
    }
    data.update(overrides)
    return data


# --- permissions ------------------------------------------------------------------------


def every_user_page(person: User) -> list[tuple[str, str]]:
    sanction_url = reverse("accounts:admin_sanction_create", args=[person.pk])
    return [
        ("get", LIST),
        ("get", CREATE),
        ("post", CREATE),
        ("get", detail_url(person)),
        ("post", detail_url(person)),
        ("post", reverse("accounts:admin_user_lock", args=[person.pk])),
        ("post", reverse("accounts:admin_user_unlock", args=[person.pk])),
        ("post", sanction_url),
        ("post", reverse("accounts:admin_sanction_lift", args=[person.pk, 1])),
    ]


@pytest.mark.parametrize("role", ["pupil", "teacher", "staff"])
def test_people_without_privilege_get_403_on_every_page(client, pupil, role):
    client.force_login(make_user(**{role: True}))
    for method, url in every_user_page(pupil):
        response = getattr(client, method)(url)
        assert response.status_code == 403, (method, url)
        assert "Dafür haben Sie keine Berechtigung." in response.content.decode()


def test_anonymous_is_sent_to_login(client, pupil):
    response = client.get(LIST)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_admin_opens_every_page(admin_client, pupil):
    for url in (LIST, CREATE, detail_url(pupil)):
        assert admin_client.get(url).status_code == 200, url


def test_holder_of_admin_users_privilege_may_administer(client, pupil):
    secretary = make_user(staff=True)
    PrivilegeGrant.objects.create(privilege=ADMIN_USERS, kind=GrantKind.ROLE, role=Role.STAFF)
    client.force_login(secretary)
    assert client.get(LIST).status_code == 200
    assert client.get(detail_url(pupil)).status_code == 200


def test_unknown_person_and_system_actor_are_404(admin_client, system_actor):
    assert admin_client.get(detail_url(system_actor)).status_code == 404
    assert admin_client.get(reverse("accounts:admin_user", args=[99999])).status_code == 404


def test_posts_need_csrf_token(admin_user, pupil):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(admin_user)
    response = strict.post(reverse("accounts:admin_user_lock", args=[pupil.pk]), {"reason": "x"})
    assert response.status_code == 403
    pupil.refresh_from_db()
    assert pupil.status == Status.ACTIVE


def test_group_admin_without_user_privilege_is_sent_to_the_groups(client):
    teacher = make_user(teacher=True, leads="5a")
    client.force_login(teacher)
    response = client.get(LIST)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:admin_groups")


# --- list, search and filters -----------------------------------------------------------


@pytest.fixture
def people(admin_user):
    """A small school with one person for each filter."""
    now = timezone.now()
    result = {
        "max": make_user(
            pupil=True, username="max.mueller", first_name="Max", last_name="Müller", klasse="5a"
        ),
        "erika": make_user(
            pupil=True,
            username="erika.oeztuerk",
            first_name="Erika",
            last_name="Öztürk",
            klasse="6b",
            last_login=now,
        ),
        "teacher": make_user(
            teacher=True,
            username="thomas.lehrer",
            first_name="Thomas",
            last_name="Lehrer",
            kuerzel="LEH",
            last_login=now,
        ),
        "long": make_user(
            pupil=True,
            username="maximilian-alexander.von-hohenstein",
            first_name="Maximilian-Alexander",
            last_name="Hohenstein",
            klasse="5a",
            last_login=now,
        ),
        "locked": make_user(
            pupil=True,
            username="lena.gesperrt",
            first_name="Lena",
            last_name="Gesperrt",
            status=Status.LOCKED,
            klasse="5a",
            last_login=now,
        ),
        "left": make_user(
            pupil=True,
            username="leo.weg",
            first_name="Leo",
            last_name="Weg",
            status=Status.LEFT,
            klasse="6b",
            last_login=now,
        ),
        "first": make_user(
            pupil=True,
            username="mia.neu",
            first_name="Mia",
            last_name="Neu",
            first_password_pending=True,
            klasse="5a",
            last_login=now,
        ),
    }
    User.objects.filter(pk=admin_user.pk).update(last_login=now)
    return result


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "mueller"}, {"max.mueller"}),
        ({"q": "MAX"}, {"max.mueller", "maximilian-alexander.von-hohenstein"}),
        ({"q": "max müller"}, {"max.mueller"}),
        ({"q": "Öztürk"}, {"erika.oeztuerk"}),
        ({"q": "leh"}, {"thomas.lehrer"}),
        ({"q": "LEH"}, {"thomas.lehrer"}),
        ({"role": "teacher"}, {"thomas.lehrer"}),
        ({"role": "admin"}, {"anna.admin"}),
        ({"first_password": "on"}, {"mia.neu"}),
        ({"never_logged_in": "on"}, {"max.mueller"}),
        ({"no_group": "on"}, {"thomas.lehrer", "anna.admin"}),
        ({"long_username": "on"}, {"maximilian-alexander.von-hohenstein"}),
        ({"locked": "on"}, {"lena.gesperrt"}),
        ({"left": "on"}, {"leo.weg"}),
        ({"role": "pupil", "q": "max"}, {"max.mueller", "maximilian-alexander.von-hohenstein"}),
        ({"role": "pupil", "q": "max", "never_logged_in": "on"}, {"max.mueller"}),
    ],
)
def test_search_and_filters_find_exactly_the_right_people(admin_client, people, params, expected):
    response = admin_client.get(LIST, params)
    assert response.status_code == 200
    assert listed(response) == expected


def test_list_shows_name_role_classes_status_and_last_login(admin_client, people):
    html = admin_client.get(LIST).content.decode()
    assert "max.mueller" in html
    assert "Schüler/in" in html
    assert "<td>5a</td>" in html
    assert "gesperrt" in html
    assert "noch nie" in html
    assert "8 Benutzer" in html


def test_list_pages_by_fifty_with_counts(admin_client, admin_user):
    for number in range(60):
        make_user(pupil=True, username="kind.nummer%02d" % number, last_name="Kind%02d" % number)
    first = admin_client.get(LIST)
    assert len(first.context["page"].object_list) == 50
    assert first.context["page"].paginator.count == 61
    html = first.content.decode()
    assert "Seite 1 von 2" in html
    second = admin_client.get(LIST, {"page": 2, "role": "pupil"})
    assert second.context["page"].paginator.count == 60
    assert len(second.context["page"].object_list) == 10
    assert "60 von 61 Benutzern gefunden" in second.content.decode()
    # The pager keeps the filter.
    assert "role=pupil" in first.content.decode() or "role=pupil" in second.content.decode()


def test_list_queries_do_not_grow_with_people(admin_client, django_assert_max_num_queries):
    for _number in range(5):
        make_user(pupil=True, klasse="5a")
    with django_assert_max_num_queries(20) as few:
        admin_client.get(LIST)
    for number in range(40):
        make_user(pupil=True, klasse="6b" if number % 2 else "5a")
    with django_assert_max_num_queries(len(few.captured_queries)):
        admin_client.get(LIST)


# --- create ------------------------------------------------------------------------------


def test_create_user_shows_username_address_and_first_password_once(admin_client, admin_user):
    group = GroupFactory(name="5a", slug="5a", klasse=True)
    response = admin_client.post(CREATE, create_data(groups=[group.pk]))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    created = User.objects.get(username="max.mueller")
    assert created.role == Role.PUPIL
    assert created.first_password_pending
    assert Membership.objects.filter(user=created, group=group).exists()
    assert "max.mueller@schule.test" in html
    password = PASSWORD_ON_PAGE.search(html).group(1)
    assert re.fullmatch(r"\d{6}", password)
    assert created.check_password(password)
    entry = AuditLogEntry.objects.get(event_type=AuditEvent.USER_CREATE, modified_user=created)
    assert entry.acting_user == admin_user
    assert password not in str(entry.details)
    # Shown once: the person's page does not show it again.
    assert password not in admin_client.get(detail_url(created)).content.decode()


def test_create_user_collision_gets_a_counter(admin_client):
    make_user(pupil=True, username="max.mueller")
    admin_client.post(CREATE, create_data())
    assert User.objects.filter(username="max.mueller2").exists()


def test_create_user_never_reuses_an_issued_name(admin_client):
    IssuedUsername.objects.create(username="max.mueller")
    admin_client.post(CREATE, create_data())
    assert User.objects.filter(username="max.mueller2").exists()


def test_repeated_post_of_the_same_form_creates_nobody_twice(admin_client):
    admin_client.post(CREATE, create_data(token="same"))
    again = admin_client.post(CREATE, create_data(token="same"))
    created = User.objects.get(username="max.mueller")
    assert again.status_code == 302
    assert again["Location"] == detail_url(created)
    assert not User.objects.filter(username="max.mueller2").exists()


def test_create_teacher_with_kuerzel(admin_client):
    admin_client.post(
        CREATE,
        create_data(first_name="Ayşe", last_name="Yılmaz", role=Role.TEACHER, kuerzel="yil"),
    )
    teacher = User.objects.get(username="ayse.yilmaz")
    assert teacher.kuerzel == "YIL"
    assert teacher.role == Role.TEACHER


def test_create_with_manual_username(admin_client):
    admin_client.post(
        CREATE, create_data(first_name="عمر", last_name="خالد", username="omar.khalid")
    )
    assert User.objects.get(username="omar.khalid").first_name == "عمر"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"first_name": ""}, "first_name", "Dieses Feld ist zwingend erforderlich."),
        ({"first_name": "???"}, "first_name", "Vornamen mit Buchstaben"),
        ({"last_name": "!!!"}, "last_name", "Nachnamen mit Buchstaben"),
        ({"last_name": "خالد"}, "last_name", "keine verwertbaren Buchstaben"),
        ({"username": "Max Müller"}, "username", "Erlaubt sind Kleinbuchstaben"),
        ({"role": Role.PUPIL, "kuerzel": "MM"}, "kuerzel", "kein Kürzel"),
        ({"birth_date": "2999-01-01"}, "birth_date", "Zukunft"),
    ],
)
def test_invalid_create_keeps_data_and_shows_german_error(admin_client, data, field, message):
    response = admin_client.post(CREATE, create_data(**{"last_name": "Sonnenschein", **data}))
    assert response.status_code == 200
    form = response.context["form"]
    assert message in " ".join(form.errors[field])
    html = response.content.decode()
    assert message.split("„")[0][:20] in html
    assert 'value="Sonnenschein"' in html or data.get("last_name")
    assert not User.objects.people().exclude(role=Role.ADMIN).exists()


def test_only_admins_may_create_admins(client):
    secretary = make_user(staff=True)
    PrivilegeGrant.objects.create(privilege=ADMIN_USERS, kind=GrantKind.ROLE, role=Role.STAFF)
    client.force_login(secretary)
    response = client.post(CREATE, create_data(role=Role.ADMIN))
    assert response.status_code == 200
    assert "role" in response.context["form"].errors
    assert not User.objects.filter(username="max.mueller").exists()


def test_create_can_return_the_credential_letter_as_pdf(admin_client):
    response = admin_client.post(CREATE, create_data(letter_pdf="on"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "zugangsbrief-max.mueller.pdf" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    assert response.content.startswith(b"%PDF")


# --- edit --------------------------------------------------------------------------------


def test_edit_is_audited(admin_client, admin_user, pupil):
    response = admin_client.post(
        detail_url(pupil),
        {
            "first_name": "Paula",
            "last_name": "Pupil",
            "name_particle": "",
            "birth_date": "2014-03-01",
            "role": Role.PUPIL,
            "kuerzel": "",
        },
    )
    assert response.status_code == 302
    pupil.refresh_from_db()
    assert pupil.first_name == "Paula"
    assert pupil.username == "paul.pupil"
    entry = AuditLogEntry.objects.get(event_type=AuditEvent.USER_UPDATE, modified_user=pupil)
    assert entry.acting_user == admin_user
    assert entry.details["changes"]["first_name"] == {"old": "Paul", "new": "Paula"}
    follow = admin_client.get(response["Location"])
    assert "Die Änderungen wurden gespeichert." in follow.content.decode()


def test_invalid_edit_shows_errors_and_changes_nothing(admin_client, pupil):
    response = admin_client.post(
        detail_url(pupil), {"first_name": "", "last_name": "Pupil", "role": Role.PUPIL}
    )
    assert response.status_code == 200
    assert response.context["edit_form"].errors["first_name"]
    pupil.refresh_from_db()
    assert pupil.first_name == "Paul"


def test_non_admin_cannot_change_an_admin(client, admin_user):
    secretary = make_user(staff=True)
    PrivilegeGrant.objects.create(privilege=ADMIN_USERS, kind=GrantKind.ROLE, role=Role.STAFF)
    client.force_login(secretary)
    assert client.get(detail_url(admin_user)).status_code == 200
    lock = reverse("accounts:admin_user_lock", args=[admin_user.pk])
    assert client.post(lock, {"reason": "Versuch"}).status_code == 403
    admin_user.refresh_from_db()
    assert admin_user.status == Status.ACTIVE


# --- lock and unlock ---------------------------------------------------------------------


def test_lock_and_unlock(admin_client, admin_user, pupil):
    assert authenticate("paul.pupil", DEFAULT_PASSWORD, protocol=Protocol.WEB).ok
    response = admin_client.post(
        reverse("accounts:admin_user_lock", args=[pupil.pk]), {"reason": "Missbrauch"}
    )
    assert response.status_code == 302
    pupil.refresh_from_db()
    assert pupil.status == Status.LOCKED
    assert pupil.status_reason == "Missbrauch"
    assert "ist gesperrt" in admin_client.get(response["Location"]).content.decode()
    refused = authenticate("paul.pupil", DEFAULT_PASSWORD, protocol=Protocol.WEB)
    assert refused.outcome == Outcome.LOCKED
    assert AuditLogEntry.objects.filter(
        event_type=AuditEvent.USER_LOCK, modified_user=pupil, acting_user=admin_user
    ).exists()

    response = admin_client.post(reverse("accounts:admin_user_unlock", args=[pupil.pk]))
    assert response.status_code == 302
    pupil.refresh_from_db()
    assert pupil.status == Status.ACTIVE
    assert authenticate("paul.pupil", DEFAULT_PASSWORD, protocol=Protocol.WEB).ok
    assert AuditLogEntry.objects.filter(
        event_type=AuditEvent.USER_UNLOCK, modified_user=pupil
    ).exists()


def test_lock_until_a_date_includes_that_day(admin_client, pupil):
    day = timezone.localdate() + timedelta(days=3)
    admin_client.post(
        reverse("accounts:admin_user_lock", args=[pupil.pk]),
        {"reason": "Pause", "until": day.isoformat()},
    )
    pupil.refresh_from_db()
    assert timezone.localtime(pupil.locked_until).date() == day + timedelta(days=1)
    assert timezone.localtime(pupil.locked_until).hour == 0


def test_lock_needs_a_reason_and_a_future_date(admin_client, pupil):
    url = reverse("accounts:admin_user_lock", args=[pupil.pk])
    response = admin_client.post(url, {"reason": ""})
    assert response.status_code == 200
    assert response.context["lock_form"].errors["reason"]
    past = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = admin_client.post(url, {"reason": "x", "until": past})
    assert "Vergangenheit" in response.context["lock_form"].errors["until"][0]
    pupil.refresh_from_db()
    assert pupil.status == Status.ACTIVE


def test_admin_cannot_lock_themselves(admin_client, admin_user):
    response = admin_client.post(
        reverse("accounts:admin_user_lock", args=[admin_user.pk]), {"reason": "Test"}
    )
    assert response.status_code == 200
    admin_user.refresh_from_db()
    assert admin_user.status == Status.ACTIVE


# --- sanctions ---------------------------------------------------------------------------


def test_create_and_lift_sanction(admin_client, admin_user, pupil):
    day = timezone.localdate() + timedelta(days=7)
    response = admin_client.post(
        reverse("accounts:admin_sanction_create", args=[pupil.pk]),
        {
            "sanction-blocked": ["mail_send", "files_write"],
            "sanction-reason": "Kettenbriefe verschickt",
            "sanction-ends_on": day.isoformat(),
        },
    )
    assert response.status_code == 302
    sanction = Sanction.objects.get(user=pupil)
    assert sanction.blocked == ["files_write", "mail_send"]
    assert sanction.created_by == admin_user
    assert timezone.localtime(sanction.ends_at).date() == day + timedelta(days=1)
    assert is_blocked(pupil, "mail_send")
    html = admin_client.get(detail_url(pupil)).content.decode()
    assert "Kettenbriefe verschickt" in html
    assert "E-Mails senden" in html

    response = admin_client.post(
        reverse("accounts:admin_sanction_lift", args=[pupil.pk, sanction.pk])
    )
    assert response.status_code == 302
    sanction.refresh_from_db()
    assert sanction.lifted_at is not None
    assert not is_blocked(pupil, "mail_send")
    assert AuditLogEntry.objects.filter(
        event_type=AuditEvent.SANCTION_END, modified_user=pupil, acting_user=admin_user
    ).exists()


def test_indefinite_sanction(admin_client, pupil):
    admin_client.post(
        reverse("accounts:admin_sanction_create", args=[pupil.pk]),
        {"sanction-blocked": ["app"], "sanction-reason": "Grund", "sanction-indefinite": "on"},
    )
    assert Sanction.objects.get(user=pupil).ends_at is None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"sanction-reason": "Grund", "sanction-indefinite": "on"}, "blocked"),
        ({"sanction-blocked": ["app"], "sanction-indefinite": "on"}, "reason"),
        (
            {"sanction-blocked": ["app"], "sanction-reason": "   ", "sanction-indefinite": "on"},
            "reason",
        ),
        ({"sanction-blocked": ["app"], "sanction-reason": "Grund"}, "ends_on"),
        (
            {
                "sanction-blocked": ["nonsense"],
                "sanction-reason": "Grund",
                "sanction-indefinite": "on",
            },
            "blocked",
        ),
    ],
)
def test_invalid_sanction_shows_error(admin_client, pupil, data, field):
    response = admin_client.post(reverse("accounts:admin_sanction_create", args=[pupil.pk]), data)
    assert response.status_code == 200
    assert response.context["sanction_form"].errors[field]
    assert not Sanction.objects.exists()


def test_sanctions_need_their_own_privilege(client, pupil, admin_user):
    secretary = make_user(staff=True)
    PrivilegeGrant.objects.create(privilege=ADMIN_USERS, kind=GrantKind.ROLE, role=Role.STAFF)
    sanction = do_create_sanction(pupil, blocked=["app"], reason="x", acting_user=admin_user)
    client.force_login(secretary)
    create = reverse("accounts:admin_sanction_create", args=[pupil.pk])
    lift = reverse("accounts:admin_sanction_lift", args=[pupil.pk, sanction.pk])
    data = {"sanction-blocked": ["app"], "sanction-reason": "y", "sanction-indefinite": "on"}
    assert client.post(create, data).status_code == 403
    assert client.post(lift).status_code == 403
    assert "Sanktion verhängen" not in client.get(detail_url(pupil)).content.decode()
    PrivilegeGrant.objects.create(privilege=ADMIN_SANCTIONS, kind=GrantKind.ROLE, role=Role.STAFF)
    assert client.post(create, data).status_code == 302
    assert client.post(lift).status_code == 302


def test_sanction_of_another_person_is_404(admin_client, admin_user, pupil):
    other = make_user(pupil=True)
    sanction = do_create_sanction(other, blocked=["app"], reason="x", acting_user=admin_user)
    url = reverse("accounts:admin_sanction_lift", args=[pupil.pk, sanction.pk])
    assert admin_client.post(url).status_code == 404


def test_detail_shows_first_password_state_and_groups(admin_client, admin_user, pupil):
    do_issue_first_password(pupil, acting_user=admin_user)
    html = admin_client.get(detail_url(pupil)).content.decode()
    assert "Erstpasswort, gültig bis" in html
    assert "paul.pupil@schule.test" in html
    assert ">5a</a>" in html
    User.objects.filter(pk=pupil.pk).update(
        first_password_expires=timezone.now() - timedelta(days=1),
        password=make_password("x"),
    )
    assert "Erstpasswort abgelaufen" in admin_client.get(detail_url(pupil)).content.decode()


def test_list_sorts_names_the_german_way(admin_client):
    for last, username in (("Otto", "olga.otto"), ("Öztürk", "emre.oeztuerk"), ("Oa", "ole.oa")):
        make_user(pupil=True, last_name=last, first_name="X", username=username)
    response = admin_client.get(LIST, {"role": "pupil"})
    order = [person.username for person in response.context["page"].object_list]
    assert order == ["ole.oa", "emre.oeztuerk", "olga.otto"]


def test_portal_entry_for_user_and_group_admins(monkeypatch, admin_user, pupil):
    from schulhof.accounts.portal_admin import register_admin_modules
    from schulhof.web import modules

    # Register into a copy, so that other tests see the registry as the apps left it.
    monkeypatch.setattr(modules, "_modules", dict(modules._modules))
    register_admin_modules()
    group_admin = make_user(staff=True)
    PrivilegeGrant.objects.create(privilege="admin.groups", kind=GrantKind.ROLE, role=Role.STAFF)

    def keys(user):
        return {module.key for module in modules.modules_for(user)}

    assert "users" in keys(admin_user)
    assert "users" in keys(group_admin)
    assert "users" not in keys(pupil)
    assert "users" not in keys(make_user(teacher=True))
    entry = next(m for m in modules.modules_for(admin_user) if m.key == "users")
    assert reverse(entry.url_name) == LIST

"""Who may use the webmail, and who may send."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from schulhof.accounts.models import Sanction, Status, User, get_system_actor
from schulhof.accounts.tests.factories import make_user
from schulhof.mail.conf import mail_conf
from schulhof.mail.webmail import policies


@pytest.fixture
def pupil(db: None) -> User:
    return make_user(pupil=True, username="paul.pohl", klasse="6b")


def block(user: User, *areas: str) -> None:
    Sanction.objects.create(
        user=user,
        blocked=list(areas),
        reason="Test",
        ends_at=timezone.now() + timedelta(days=1),
        created_by=user,
    )


def test_active_person_may_read_and_send(pupil: User) -> None:
    assert policies.refusal(pupil) is None
    assert policies.may_send(pupil)
    assert policies.has_mailbox(pupil)


def test_not_logged_in_locked_or_system(pupil: User) -> None:
    assert policies.refusal(AnonymousUser()) == "Bitte melden Sie sich an."
    pupil.status = Status.LOCKED
    assert policies.refusal(pupil) == "Ihr Konto ist gesperrt."
    assert policies.refusal(get_system_actor()) == "Ihr Konto ist gesperrt."


def test_sanctions(pupil: User) -> None:
    block(pupil, "mail_send")
    assert policies.refusal(pupil) is None
    assert (
        policies.refusal(pupil, send=True) == "Das Senden von E-Mails ist für Ihr Konto gesperrt."
    )
    block(pupil, "mail")
    assert policies.refusal(pupil) == "Der Bereich E-Mail ist für Ihr Konto gesperrt."


def test_mail_switched_off(pupil: User, monkeypatch: pytest.MonkeyPatch) -> None:
    off = dataclasses.replace(mail_conf(), enabled=False)
    monkeypatch.setattr("schulhof.mail.conf.mail_conf", lambda: off)
    assert policies.refusal(pupil) == "E-Mail ist an dieser Schule nicht eingerichtet."


def test_parent_information_only_for_teachers(pupil: User) -> None:
    teacher = make_user(teacher=True, username="tom.tell")
    assert policies.may_mark_parent_info(teacher)
    assert not policies.may_mark_parent_info(pupil)

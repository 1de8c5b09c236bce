from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from schulhof.accounts.models import User
from schulhof.accounts.tests.factories import make_user
from schulhof.core.models import AuditLogEntry
from schulhof.mail.conf import MailConf, mail_conf_from, use_mail_conf
from schulhof.mail.models import MailPolicy


@pytest.fixture
def conf(tmp_path: Path) -> Iterator[MailConf]:
    from django.conf import settings

    conf = mail_conf_from(
        dataclasses.replace(settings.SCHULHOF_CONFIG, data_dir=tmp_path, mail_hostname="mx.x.de")
    )
    use_mail_conf(conf)
    yield conf
    use_mail_conf(None)


def test_admin_sees_limits_servers_and_dns(
    client: Client, admin_user: User, conf: MailConf
) -> None:
    client.force_login(admin_user)
    page = client.get(reverse("mailadmin:settings")).content.decode()
    assert "Grenzen beim Senden" in page
    assert "mx.x.de" in page
    assert "schulhof._domainkey.schule.test" in page
    assert "v=DKIM1; k=rsa; p=" in page


def test_admin_changes_limits_with_audit(client: Client, admin_user: User, conf: MailConf) -> None:
    client.force_login(admin_user)
    response = client.post(
        reverse("mailadmin:settings"),
        {
            "pupil_recipients_per_message": "5",
            "pupil_recipients_per_hour": "30",
            "staff_recipients_per_message": "2000",
            "staff_recipients_per_hour": "5000",
        },
    )
    assert response.status_code == 302
    assert MailPolicy.get().pupil_recipients_per_message == 5
    entry = AuditLogEntry.objects.get(event_type="mail:policy:update")
    assert entry.details["changes"]["pupil_recipients_per_message"] == {"old": 20, "new": 5}


def test_invalid_limit_is_refused_in_german(
    client: Client, admin_user: User, conf: MailConf
) -> None:
    client.force_login(admin_user)
    response = client.post(
        reverse("mailadmin:settings"),
        {
            "pupil_recipients_per_message": "0",
            "pupil_recipients_per_hour": "30",
            "staff_recipients_per_message": "2000",
            "staff_recipients_per_hour": "5000",
        },
    )
    assert response.status_code == 200
    assert "Dieser Wert muss größer oder gleich 1 sein." in response.content.decode()
    assert MailPolicy.get().pupil_recipients_per_message == 20


@pytest.mark.django_db
def test_teacher_may_not_open_it(client: Client) -> None:
    client.force_login(make_user(teacher=True))
    assert client.get(reverse("mailadmin:settings")).status_code == 403

"""The page for the automatic reply while away."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from schulhof.accounts.models import User
from schulhof.mail.models import AutoReply
from schulhof.mail.testing import MailStack

pytestmark = pytest.mark.mail

URL = reverse("webmail:auto_reply")


def form(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "enabled": "on",
        "start": "",
        "end": "",
        "subject": "Abwesend",
        "message": "Ich bin auf Fortbildung.",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_page_offers_a_prepared_text_and_shows_it_is_off(
    mail: MailStack, lena: User, lena_client: Client
) -> None:
    response = lena_client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Abwesenheitsnotiz" in page
    assert "Ausgeschaltet" in page
    assert "Lena Lang" in page  # the prepared text is signed with the name
    assert 'aria-current="page"' in page
    assert "nur an Absender aus der Schule" in page  # a pupil may not write outside


def test_switching_on_saves_writes_the_script_and_marks_the_side_column(
    mail: MailStack, lena: User, lena_client: Client
) -> None:
    end = timezone.localdate() + timedelta(days=5)
    response = lena_client.post(URL, form(end=end.isoformat()))
    assert response.status_code == 302
    reply = AutoReply.objects.get(user=lena)
    assert reply.enabled and reply.end == end
    script = mail.conf.mailboxes / str(lena.pk) / ".dovecot.sieve"
    assert "Fortbildung" in script.read_text()
    page = lena_client.get(URL).content.decode()
    assert "gespeichert" in page
    assert "Eingeschaltet bis einschließlich" in page
    assert 'class="wm-on"' in page
    inbox = lena_client.get(reverse("webmail:home"), follow=True).content.decode()
    assert 'class="wm-on"' in inbox

    response = lena_client.post(URL, form(enabled=None))
    assert response.status_code == 302
    assert not script.exists()
    assert "Ausgeschaltet" in lena_client.get(URL).content.decode()


def test_wrong_dates_get_a_german_error_and_keep_the_text(
    mail: MailStack, lena: User, lena_client: Client
) -> None:
    today = timezone.localdate()
    response = lena_client.post(
        URL,
        form(
            start=today.isoformat(),
            end=(today - timedelta(days=3)).isoformat(),
            message="Mein sorgfältig geschriebener Text",
        ),
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Das Ende liegt vor dem Beginn." in page
    assert "Mein sorgfältig geschriebener Text" in page
    assert not AutoReply.objects.exists()

    response = lena_client.post(URL, form(end=(today - timedelta(days=1)).isoformat()))
    assert response.status_code == 400
    assert "Das Ende liegt in der Vergangenheit" in response.content.decode()

    response = lena_client.post(URL, form(subject="", message=""))
    assert response.status_code == 400
    assert "Dieses Feld ist zwingend erforderlich." in response.content.decode()


def test_needs_login_and_a_mailbox(mail: MailStack, client: Client) -> None:
    response = client.get(URL)
    assert response.status_code == 302 and "/anmelden" in response["Location"]

"""The mailbox goes with the user; the data export has every message."""

from __future__ import annotations

import pytest

from schulhof.mail.conf import mail_conf
from schulhof.mail.lifecycle import _folder_label, delete_person_mail, export_person_mail
from schulhof.mail.testing import MailStack

pytestmark = pytest.mark.mail


def test_export_and_delete(mail: MailStack) -> None:
    user = mail.create_mail_user(username="leon.schmidt", pupil=True)
    mail.deliver("leon.schmidt@schule.test", b"Subject: Eins\r\n\r\nA\r\n")
    mail.deliver("leon.schmidt@schule.test", b"Subject: Zwei\r\n\r\nB\r\n")
    items = list(export_person_mail(user))
    assert [item.path for item in items] == [
        "E-Mail/Posteingang/00001.eml",
        "E-Mail/Posteingang/00002.eml",
    ]
    contents = sorted(b"".join(item.open()) for item in items)
    assert b"Subject: Eins" in contents[0] or b"Subject: Eins" in contents[1]
    home = mail_conf().mailbox_home(user.pk)
    assert home.is_dir()
    delete_person_mail(user)
    assert not home.exists()
    delete_person_mail(user)  # idempotent
    assert list(export_person_mail(user)) == []


def test_folder_names_in_the_export() -> None:
    assert _folder_label("") == "Posteingang"
    assert _folder_label(".Sent") == "Gesendet"
    assert _folder_label(".Schule.AG Chemie") == "Schule/AG Chemie"
    assert _folder_label(".Entw&APw-rfe 2026") == "Entwürfe 2026"


def test_export_has_the_automatic_reply_and_deletion_removes_its_script(mail: MailStack) -> None:
    from datetime import date

    from schulhof.mail.actions import do_update_auto_reply

    user = mail.create_mail_user(username="leon.schmidt", pupil=True)
    changes = {
        "enabled": True,
        "start": None,
        "end": date(2030, 5, 1),
        "subject": "Klassenfahrt",
        "message": "Bin weg.",
    }
    do_update_auto_reply(user, changes, acting_user=user)
    home = mail_conf().mailbox_home(user.pk)
    assert (home / ".dovecot.sieve").is_file()
    [item] = list(export_person_mail(user))
    assert item.path == "E-Mail/Abwesenheitsnotiz.txt"
    text = b"".join(item.open()).decode()
    assert "Eingeschaltet: ja" in text and "01.05.2030" in text and "Bin weg." in text
    assert item.size == len(text.encode())
    delete_person_mail(user)
    assert not home.exists()

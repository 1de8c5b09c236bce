"""The folder pages against the real Dovecot: the list with paging, sorting, search and
filters, the folder sidebar, bulk changes, new folders; refusals."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from schulhof.accounts.models import Sanction, User
from schulhof.mail.webmail import imap

pytestmark = pytest.mark.mail


def inbox_uids(user: User) -> list[int]:
    with imap.session_for(user.username) as mail:
        return mail.sorted_uids(mail.special_or_error("inbox"))


def test_inbox_lists_newest_first_with_paging(
    lena: User, lena_client: Client, fill: Callable[..., list[bytes]]
) -> None:
    fill(lena, 53)
    response = lena_client.get(reverse("webmail:home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Posteingang" in html and "Entwürfe" in html and "Papierkorb" in html
    assert "53 ungelesen" in html
    assert html.index("Nachricht 52") < html.index("Nachricht 51")
    assert "Nachricht 02" not in html
    assert "1–50 von 53" in html
    page2 = lena_client.get(reverse("webmail:folder", args=["INBOX"]) + "?seite=2")
    text = page2.content.decode()
    assert "51–53 von 53" in text
    assert "Nachricht 00" in text and "Nachricht 03" not in text
    assert response["Cache-Control"].startswith("max-age=0")


def test_sort_search_and_filter(
    lena: User, lena_client: Client, fill: Callable[..., list[bytes]]
) -> None:
    fill(lena, 1, subject="Bücherliste", sender="Zora Zett <z@example.org>")
    fill(lena, 1, subject="Ausflug", sender="Anton Alt <a@example.org>", body="Treffpunkt Bahnhof")
    url = reverse("webmail:home")
    by_subject = lena_client.get(url + "?sort=subject&order=asc").content.decode()
    assert by_subject.index("Ausflug") < by_subject.index("Bücherliste")
    by_sender_desc = lena_client.get(url + "?sort=sender&order=desc").content.decode()
    assert by_sender_desc.index("Zora Zett") < by_sender_desc.index("Anton Alt")
    found = lena_client.get(url + "?q=Bahnhof&in=body").content.decode()
    assert "1 Treffer für „Bahnhof“" in found
    assert "Ausflug" in found and "Bücherliste" not in found
    nothing = lena_client.get(url + "?q=Zirkus").content.decode()
    assert "Keine Nachrichten mit „Zirkus“ gefunden." in nothing
    # Nonsense parameters fall back instead of failing.
    assert lena_client.get(url + "?sort=evil&order=x&seite=-4&in=x&nur=y").status_code == 200


def test_bulk_read_flag_move_delete(
    lena: User, lena_client: Client, fill: Callable[..., list[bytes]]
) -> None:
    fill(lena, 3)
    uids = inbox_uids(lena)
    bulk = reverse("webmail:bulk", args=["INBOX"])
    response = lena_client.post(bulk, {"action": "read", "uid": uids[:2]})
    assert response.status_code == 302
    listing = lena_client.get(reverse("webmail:home") + "?nur=unseen").content.decode()
    assert "1 ungelesen" in listing
    lena_client.post(bulk, {"action": "flag", "uid": [uids[0]]})
    flagged = lena_client.get(reverse("webmail:home") + "?nur=flagged").content.decode()
    assert flagged.count('class="wm-row ') == 1

    response = lena_client.post(bulk, {"action": "move", "uid": [uids[0]], "target": "Archive"})
    assert response.status_code == 302
    assert (
        "Nachricht 02"
        in lena_client.get(reverse("webmail:folder", args=["Archive"])).content.decode()
    )
    response = lena_client.post(bulk, {"action": "delete", "uid": [uids[1]]}, follow=True)
    assert "1 Nachricht in den Papierkorb verschoben." in response.content.decode()
    assert inbox_uids(lena) == [uids[2]]
    with imap.session_for(lena.username) as mail:
        trash = mail.special_or_error("trash")
        trashed = mail.sorted_uids(trash)
    response = lena_client.post(
        reverse("webmail:bulk", args=["Trash"]), {"action": "delete", "uid": trashed}, follow=True
    )
    assert "1 Nachricht endgültig gelöscht." in response.content.decode()


def test_bulk_refuses_nonsense(lena: User, lena_client: Client) -> None:
    bulk = reverse("webmail:bulk", args=["INBOX"])
    response = lena_client.post(bulk, {"action": "read"}, follow=True)
    assert "Bitte wählen Sie mindestens eine Nachricht aus." in response.content.decode()
    response = lena_client.post(bulk, {"action": "explode", "uid": ["1"]}, follow=True)
    assert "Unbekannte Aktion." in response.content.decode()
    response = lena_client.post(bulk, {"action": "move", "uid": ["1"], "target": ""}, follow=True)
    assert "Bitte wählen Sie einen Zielordner." in response.content.decode()
    # Back to our own pages only.
    response = lena_client.post(bulk, {"action": "read", "next": "https://evil.example/"})
    assert response["Location"] == reverse("webmail:folder", args=["INBOX"])
    assert lena_client.get(bulk).status_code == 405


def test_new_folder(lena: User, lena_client: Client) -> None:
    url = reverse("webmail:create_folder")
    response = lena_client.post(url, {"name": "Schülerzeitung"}, follow=True)
    assert response.status_code == 200
    assert "Ordner „Schülerzeitung“ angelegt." in response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("webmail:folder", args=["Schülerzeitung"])
    again = lena_client.post(url, {"name": "schülerzeitung"}, follow=True)
    assert "gibt es schon" in again.content.decode()
    bad = lena_client.post(url, {"name": "a/b"}, follow=True)
    assert "kein „/“" in bad.content.decode()
    # Below a folder of one's own, offered in the form of that folder's page.
    page = lena_client.get(reverse("webmail:folder", args=["Schülerzeitung"])).content.decode()
    assert '<option value="Schülerzeitung" selected>' in page
    response = lena_client.post(url, {"name": "Artikel", "parent": "Schülerzeitung"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse(
        "webmail:folder", args=["Schülerzeitung/Artikel"]
    )


def folder_paths(user: User) -> list[str]:
    with imap.session_for(user.username) as mail:
        return [f.path for f in mail.folders()]


def test_rename_folder_with_its_subfolders(
    lena: User, lena_client: Client, fill: Callable[..., list[bytes]]
) -> None:
    with imap.session_for(lena.username) as mail:
        mail.create_folder("Schule")
        mail.create_folder("Schule/Mathe")
    page = lena_client.get(reverse("webmail:folder", args=["Schule"])).content.decode()
    assert "Ordner „Schule“ umbenennen oder löschen" in page
    url = reverse("webmail:rename_folder", args=["Schule"])
    response = lena_client.post(url, {"name": "Schulzeug"}, follow=True)
    assert "Ordner „Schule“ heißt jetzt „Schulzeug“." in response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("webmail:folder", args=["Schulzeug"])
    paths = folder_paths(lena)
    assert "Schulzeug" in paths and "Schulzeug/Mathe" in paths and "Schule" not in paths
    # A subfolder keeps its parent.
    url = reverse("webmail:rename_folder", args=["Schulzeug/Mathe"])
    lena_client.post(url, {"name": "Mathematik"})
    assert "Schulzeug/Mathematik" in folder_paths(lena)
    # Only the case changes.
    url = reverse("webmail:rename_folder", args=["Schulzeug/Mathematik"])
    lena_client.post(url, {"name": "MATHEMATIK"})
    assert "Schulzeug/MATHEMATIK" in folder_paths(lena)
    # Wrong names get a German reason; nothing changes.
    url = reverse("webmail:rename_folder", args=["Schulzeug"])
    for name, reason in (("", "Bitte geben Sie einen Namen"), ("a/b", "kein „/“")):
        text = lena_client.post(url, {"name": name}, follow=True).content.decode()
        assert reason in text
    assert "Schulzeug" in folder_paths(lena)


def test_delete_folder_moves_its_messages_to_the_trash(
    lena: User, lena_client: Client, fill: Callable[..., list[bytes]]
) -> None:
    fill(lena, 3)
    with imap.session_for(lena.username) as mail:
        mail.create_folder("Alt")
        mail.create_folder("Alt/Älter")
        inbox = mail.special_or_error("inbox")
        uids = mail.sorted_uids(inbox)
        mail.move(inbox, uids[:2], mail.folder("Alt"))
        mail.move(inbox, uids[2:], mail.folder("Alt/Älter"))
    url = reverse("webmail:delete_folder", args=["Alt"])
    response = lena_client.post(url, follow=True)
    text = response.content.decode()
    assert "Ordner „Alt“ gelöscht. 3 Nachrichten liegen jetzt im Papierkorb." in text
    paths = folder_paths(lena)
    assert "Alt" not in paths and "Alt/Älter" not in paths
    with imap.session_for(lena.username) as mail:
        assert len(mail.sorted_uids(mail.special_or_error("trash"))) == 3


def test_special_folders_stay_and_only_trash_and_spam_can_be_emptied(
    lena: User, lena_client: Client, fill: Callable[..., list[bytes]]
) -> None:
    for view in ("webmail:rename_folder", "webmail:delete_folder"):
        response = lena_client.post(reverse(view, args=["Sent"]), {"name": "Weg"})
        assert response.status_code == 400
        assert "gehört zum Postfach und bleibt" in response.content.decode()
    response = lena_client.post(reverse("webmail:empty_folder", args=["INBOX"]))
    assert response.status_code == 400
    fill(lena, 2)
    with imap.session_for(lena.username) as mail:
        inbox = mail.special_or_error("inbox")
        mail.delete(inbox, mail.sorted_uids(inbox))
    trash = lena_client.get(reverse("webmail:folder", args=["Trash"])).content.decode()
    assert "Papierkorb leeren" in trash
    response = lena_client.post(reverse("webmail:empty_folder", args=["Trash"]), follow=True)
    assert "2 Nachrichten endgültig gelöscht." in response.content.decode()
    with imap.session_for(lena.username) as mail:
        assert mail.sorted_uids(mail.special_or_error("trash")) == []
    assert (
        "Papierkorb leeren"
        not in lena_client.get(reverse("webmail:folder", args=["Trash"])).content.decode()
    )


def test_unknown_folder_is_a_german_404(lena: User, lena_client: Client) -> None:
    response = lena_client.get(reverse("webmail:folder", args=["Gibt es nicht"]))
    assert response.status_code == 404
    assert "Diesen Ordner gibt es nicht (mehr)." in response.content.decode()


def test_sanction_blocks_the_webmail(lena: User, lena_client: Client) -> None:
    Sanction.objects.create(
        user=lena,
        blocked=["mail"],
        reason="Test",
        ends_at=timezone.now() + timedelta(days=2),
        created_by=lena,
    )
    response = lena_client.get(reverse("webmail:home"))
    assert response.status_code == 403
    assert "Der Bereich E-Mail ist für Ihr Konto gesperrt." in response.content.decode()


def test_login_required(db: None) -> None:
    response = Client().get(reverse("webmail:home"))
    assert response.status_code == 302
    assert "/anmelden/" in response["Location"]

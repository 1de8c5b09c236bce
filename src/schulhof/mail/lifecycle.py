"""The mail module's part in a person's lifecycle: the mailbox goes with the user, and the
data export contains every message as an ``.eml`` file per folder."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from schulhof.accounts.lifecycle import ExportItem
from schulhof.mail import utf7
from schulhof.mail.conf import mail_conf
from schulhof.mail.quota import maildir_of

if TYPE_CHECKING:
    from schulhof.accounts.models import User

EXPORT_CHUNK = 1024 * 1024
# Dovecot's folder names in Maildir++ (".Sent") shown with their German names.
FOLDER_NAMES = {
    "": "Posteingang",
    "Sent": "Gesendet",
    "Drafts": "Entwürfe",
    "Trash": "Papierkorb",
    "Junk": "Spam",
    "Archive": "Archiv",
}


def delete_person_mail(user: User) -> None:
    """Delete the person's mailbox (idempotent)."""
    home = mail_conf().mailbox_home(user.pk)
    shutil.rmtree(home, ignore_errors=True)
    if home.exists():
        raise OSError("could not delete the mailbox %s" % home)


def _reader(path: Path) -> Callable[[], Iterable[bytes]]:
    def read() -> Iterator[bytes]:
        with path.open("rb") as handle:
            while chunk := handle.read(EXPORT_CHUNK):
                yield chunk

    return read


def _folder_label(maildir_name: str) -> str:
    # ".Schule.Projekte" → "Schule/Projekte" (Dovecot's Maildir++ layout with "." separator)
    name = maildir_name[1:] if maildir_name.startswith(".") else maildir_name
    if name in FOLDER_NAMES:
        return FOLDER_NAMES[name]
    return "/".join(utf7.decode(part) for part in name.split(".")) or "Ordner"


def auto_reply_text(user: User) -> str | None:
    """The person's automatic reply as a text file for the export, or None without one."""
    from schulhof.mail.models import AutoReply

    reply = AutoReply.objects.filter(user=user).first()
    if reply is None:
        return None
    lines = [
        "Abwesenheitsnotiz",
        "Eingeschaltet: %s" % ("ja" if reply.enabled else "nein"),
        "Ab: %s" % (reply.start.strftime("%d.%m.%Y") if reply.start else "-"),
        "Bis einschließlich: %s" % (reply.end.strftime("%d.%m.%Y") if reply.end else "-"),
        "Betreff: %s" % reply.subject,
        "",
        reply.message,
    ]
    return "\n".join(lines) + "\n"


def export_person_mail(user: User) -> Iterable[ExportItem]:
    """The automatic reply as ``E-Mail/Abwesenheitsnotiz.txt``, then every message of every
    folder as ``E-Mail/<Ordner>/<n>.eml``, read lazily."""
    text = auto_reply_text(user)
    if text is not None:
        data = text.encode("utf-8")
        yield ExportItem(
            path="E-Mail/Abwesenheitsnotiz.txt", open=lambda: iter([data]), size=len(data)
        )
    maildir = maildir_of(user.pk)
    if not maildir.is_dir():
        return
    folders = [
        ("", maildir),
        *sorted(
            (entry.name, Path(entry.path))
            for entry in os.scandir(maildir)
            if entry.is_dir() and entry.name.startswith(".")
        ),
    ]
    for name, folder in folders:
        label = _folder_label(name)
        number = 0
        for sub in ("cur", "new"):
            directory = folder / sub
            if not directory.is_dir():
                continue
            for entry in sorted(os.scandir(directory), key=lambda e: e.name):
                if not entry.is_file():
                    continue
                number += 1
                yield ExportItem(
                    path="E-Mail/%s/%05d.eml" % (label, number),
                    open=_reader(Path(entry.path)),
                    size=entry.stat().st_size,
                )

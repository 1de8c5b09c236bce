"""The IMAP layer against the real Dovecot: folders with counts, sorted and searched pages,
flags, moving, deleting, storing drafts and new folders with umlauts."""

from __future__ import annotations

import imaplib
from collections.abc import Callable, Iterator

import pytest

from schulhof.accounts.models import User
from schulhof.mail.webmail import imap
from schulhof.mail.webmail.imap import MailSession, NotFound, search_criteria, uid_set


def test_uid_set_joins_runs() -> None:
    assert uid_set([7, 1, 2, 3, 9, 10]) == "1:3,7,9:10"
    assert uid_set([5]) == "5"
    assert uid_set([]) == ""


def test_search_criteria_quote_and_use_literals_for_umlauts() -> None:
    assert search_criteria("", "all") == b"ALL"
    assert search_criteria('say "hi"', "subject") == b'SUBJECT "say" SUBJECT "\\"hi\\""'
    assert search_criteria("Grüße", "body") == b"BODY {7+}\r\nGr\xc3\xbc\xc3\x9fe"
    assert search_criteria("x", "all") == b'OR OR OR SUBJECT "x" FROM "x" TO "x" BODY "x"'


@pytest.fixture
def session(lena: User) -> Iterator[MailSession]:
    mail = imap.connect(lena.username)
    yield mail
    mail.close()


@pytest.mark.mail
def test_special_folders_have_german_titles_and_counts(
    session: MailSession, lena: User, fill: Callable[..., list[bytes]]
) -> None:
    fill(lena, 3)
    folders = session.folders()
    titles = [f.title for f in folders[:6]]
    assert titles == ["Posteingang", "Entwürfe", "Gesendet", "Archiv", "Spam", "Papierkorb"]
    inbox = session.special("inbox")
    assert inbox is not None and inbox.messages == 3 and inbox.unseen == 3


@pytest.mark.mail
def test_pages_sorting_and_search(
    session: MailSession, lena: User, fill: Callable[..., list[bytes]]
) -> None:
    fill(lena, 7)
    fill(lena, 1, subject="Klassenfahrt nach Köln", sender="Anna Zander <anna@example.org>")
    fill(
        lena,
        1,
        subject="Zeugnisse",
        sender="Berta Adler <berta@example.org>",
        body="Grüße aus Münster",
    )
    inbox = session.special_or_error("inbox")

    first = session.listing(inbox, page=1, per_page=4)
    assert first.total == 9 and first.pages == 3
    # Newest first: the last two delivered have the latest dates.
    assert [s.subject for s in first.summaries[:2]] == ["Zeugnisse", "Klassenfahrt nach Köln"]
    last = session.listing(inbox, page=3, per_page=4)
    assert [s.subject for s in last.summaries] == ["Nachricht 00"]
    # A page beyond the end shows the last page.
    assert session.listing(inbox, page=99, per_page=4).page == 3

    by_subject = session.listing(inbox, page=1, per_page=20, sort="subject", descending=False)
    subjects = [s.subject for s in by_subject.summaries]
    assert subjects == sorted(subjects, key=str.lower)
    reverse = session.listing(inbox, page=1, per_page=20, sort="subject", descending=True)
    assert [s.subject for s in reverse.summaries] == subjects[::-1]

    by_sender = session.listing(inbox, page=1, per_page=20, sort="sender", descending=False)
    assert by_sender.summaries[0].sender is not None
    assert by_sender.summaries[0].sender.name == "Anna Zander"
    assert by_sender.summaries[1].sender.name == "Berta Adler"

    hits = session.listing(inbox, page=1, per_page=20, query="köln", field="subject")
    assert [s.subject for s in hits.summaries] == ["Klassenfahrt nach Köln"]
    hits = session.listing(inbox, page=1, per_page=20, query="Adler", field="from")
    assert [s.subject for s in hits.summaries] == ["Zeugnisse"]
    hits = session.listing(inbox, page=1, per_page=20, query="Münster", field="body")
    assert [s.subject for s in hits.summaries] == ["Zeugnisse"]
    hits = session.listing(inbox, page=1, per_page=20, query="Münster Grüße", field="all")
    assert hits.total == 1
    assert session.listing(inbox, page=1, per_page=20, query="Köln", field="body").total == 0


@pytest.mark.mail
def test_summary_fields(session: MailSession, lena: User, fill: Callable[..., list[bytes]]) -> None:
    fill(
        lena,
        1,
        subject="=?utf-8?q?Elternabend_am_Donnerstag_=E2=80=93_bitte_lesen?=",
        headers={"X-Schulhof-Elterninfo": "1"},
        attachments=[("Einladung.pdf", "application/pdf", b"%PDF-1.4\n")],
    )
    inbox = session.special_or_error("inbox")
    (summary,) = session.listing(inbox, page=1, per_page=10).summaries
    assert summary.subject == "Elternabend am Donnerstag – bitte lesen"
    assert summary.sender is not None and summary.sender.name == "Jürgen Müller"
    assert summary.parent_info and summary.has_attachment and not summary.seen
    assert summary.size > 100


@pytest.mark.mail
def test_flags_move_and_delete(
    session: MailSession, lena: User, fill: Callable[..., list[bytes]]
) -> None:
    fill(lena, 4)
    inbox = session.special_or_error("inbox")
    uids = session.sorted_uids(inbox)
    session.set_flag(inbox, uids[:2], "\\Seen", True)
    session.set_flag(inbox, uids[:1], "\\Flagged", True)
    assert len(session.sorted_uids(inbox, only="unseen")) == 2
    assert session.sorted_uids(inbox, only="flagged") == uids[:1]
    session.set_flag(inbox, uids[:1], "\\Seen", False)
    assert len(session.sorted_uids(inbox, only="unseen")) == 3

    archive = session.special_or_error("archive")
    session.move(inbox, uids[:1], archive)
    assert len(session.sorted_uids(inbox)) == 3
    assert len(session.sorted_uids(archive)) == 1

    assert session.delete(inbox, uids[1:3]) is False
    trash = session.special_or_error("trash")
    trashed = session.sorted_uids(trash)
    assert len(trashed) == 2
    assert session.delete(trash, trashed) is True
    assert session.sorted_uids(trash) == []
    assert len(session.sorted_uids(inbox)) == 1


@pytest.mark.mail
def test_append_fetch_and_missing_message(session: MailSession, lena: User) -> None:
    drafts = session.special_or_error("drafts")
    uid = session.append(drafts, b"Subject: Entwurf\r\n\r\nText\r\n", "(\\Seen \\Draft)")
    assert uid is not None
    fetched = session.fetch(drafts, uid)
    assert b"Subject: Entwurf" in fetched.raw
    assert "\\Draft" in fetched.flags
    with pytest.raises(NotFound):
        session.fetch(drafts, uid + 100)


@pytest.mark.mail
def test_new_folder_with_umlauts(session: MailSession, lena: User) -> None:
    session.create_folder("Schule")
    session.create_folder("Schule/Arbeitsgemeinschaft Größe & Form")
    folder = session.folder("Schule/Arbeitsgemeinschaft Größe & Form")
    assert folder.title == "Arbeitsgemeinschaft Größe & Form"
    assert folder.depth == 1
    assert folder.name.isascii()
    with pytest.raises(NotFound):
        session.folder("Gibt es nicht")


class FlakyConnection:
    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        self.calls = 0

    def login(self, user: str, password: str) -> None:
        self.calls += 1
        if self.errors:
            raise imaplib.IMAP4.error(self.errors.pop(0))


def test_login_is_tried_again_only_while_dovecot_is_unavailable(monkeypatch) -> None:
    monkeypatch.setattr(imap, "LOGIN_RETRY_PAUSES", (0, 0))
    flaky = FlakyConnection(["[UNAVAILABLE] Temporary authentication failure."])
    imap._login(flaky, "lena", "x")  # type: ignore[arg-type]
    assert flaky.calls == 2
    refused = FlakyConnection(["[AUTHENTICATIONFAILED] Authentication failed."])
    with pytest.raises(imaplib.IMAP4.error):
        imap._login(refused, "lena", "x")  # type: ignore[arg-type]
    assert refused.calls == 1
    down = FlakyConnection(["[UNAVAILABLE] x"] * 5)
    with pytest.raises(imaplib.IMAP4.error):
        imap._login(down, "lena", "x")  # type: ignore[arg-type]
    assert down.calls == 3

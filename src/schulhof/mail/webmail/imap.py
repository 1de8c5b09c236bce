"""The webmail's IMAP client: one connection per request to our own Dovecot, logged in as the
webmail master user on behalf of the person (``<username>*schulhof-webmail``), so the webmail
never needs the person's password.

Lists stay fast on large folders: the server sorts and searches (``UID SORT``, RFC 5256, with
``CHARSET UTF-8``) and returns only UIDs; we fetch the headers of one page's messages, never
of the whole folder. Every read has a socket timeout, every loop is bounded by what the
server sent.

Errors reach the views as :class:`MailError` with a German message.
"""

from __future__ import annotations

import imaplib
import logging
import re
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from schulhof.mail import utf7
from schulhof.mail.conf import MailConf, mail_conf, master_login, master_password
from schulhof.mail.webmail import headers, protocol
from schulhof.mail.webmail.folders import SPECIAL_USE, Folder, sort_folders

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5.0
# Reading a large message or sorting a big folder the first time may take a while.
COMMAND_TIMEOUT = 60.0
# UIDs per command (STORE, MOVE, FETCH), so a command line stays short.
UID_BATCH = 500

SUMMARY_HEADERS = ("From", "To", "Cc", "Subject", "Date", "Content-Type", headers.PARENT_INFO)
SORT_KEYS = {"date": "DATE", "sender": "FROM", "subject": "SUBJECT"}
SEARCH_FIELDS = ("all", "subject", "from", "body")
_APPENDUID = re.compile(rb"\[APPENDUID (\d+) (\d+)\]")


class MailError(Exception):
    """Something the webmail tells the person in German."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Unavailable(MailError):
    """The mail server cannot be reached or refused the login."""


class NotFound(MailError):
    """The folder or the message does not exist (any more)."""


@dataclass(frozen=True)
class Summary:
    """One line of a message list."""

    uid: int
    subject: str
    sender: headers.Address | None
    recipients: list[headers.Address]
    date: datetime | None
    size: int
    flags: frozenset[str]
    has_attachment: bool
    parent_info: bool

    @property
    def seen(self) -> bool:
        return "\\Seen" in self.flags

    @property
    def flagged(self) -> bool:
        return "\\Flagged" in self.flags

    @property
    def answered(self) -> bool:
        return "\\Answered" in self.flags

    @property
    def forwarded(self) -> bool:
        return "$Forwarded" in self.flags


@dataclass(frozen=True)
class Listing:
    """One page of a folder: the page's messages and the total that matched."""

    summaries: list[Summary]
    total: int
    page: int
    pages: int


@dataclass(frozen=True)
class Fetched:
    uid: int
    raw: bytes
    flags: frozenset[str]


def uid_set(uids: Iterable[int]) -> str:
    """``[1, 2, 3, 7]`` → ``"1:3,7"``."""
    ordered = sorted(set(uids))
    parts: list[str] = []
    index = 0
    while index < len(ordered):
        start = end = ordered[index]
        while index + 1 < len(ordered) and ordered[index + 1] == end + 1:
            index += 1
            end = ordered[index]
        parts.append(str(start) if start == end else "%d:%d" % (start, end))
        index += 1
    return ",".join(parts)


def _batches(uids: Sequence[int], size: int = UID_BATCH) -> Iterator[list[int]]:
    for start in range(0, len(uids), size):
        yield list(uids[start : start + size])


def search_criteria(query: str, field: str) -> bytes:
    """SEARCH keys for a person's search text: every word must match (in the chosen field:
    subject, sender, text, or any of these)."""
    keys: list[bytes] = []
    for word in query.split()[:8]:
        arg = protocol.quote(word)
        if field == "subject":
            keys.append(b"SUBJECT " + arg)
        elif field == "from":
            keys.append(b"FROM " + arg)
        elif field == "body":
            keys.append(b"BODY " + arg)
        else:
            keys.append(b"OR OR OR SUBJECT %s FROM %s TO %s BODY %s" % (arg, arg, arg, arg))
    return b" ".join(keys) if keys else b"ALL"


class MailSession:
    """An IMAP connection for one person, for the length of one request."""

    def __init__(self, connection: imaplib.IMAP4) -> None:
        self.connection = connection
        self.selected: str | None = None
        self._folders: list[Folder] | None = None
        self._capabilities: set[str] | None = None

    # --- low level ------------------------------------------------------------------

    def _check(self, typ: str, data: Any, what: str) -> Any:
        if typ != "OK":
            detail = protocol.text(data[0]) if data else ""
            logger.info("IMAP %s refused: %s", what, detail)
            raise MailError(
                _("Der Mailserver hat die Aktion abgelehnt: %(detail)s")
                % {"detail": detail or what}
            )
        return data

    def capabilities(self) -> set[str]:
        if self._capabilities is None:
            typ, data = self.connection.capability()
            self._check(typ, data, "CAPABILITY")
            words = protocol.text(data[0]).upper().split() if data and data[0] else []
            self._capabilities = set(words)
        return self._capabilities

    def _uid(self, command: str, *args: str | bytes) -> list[Any]:
        try:
            typ, data = self.connection.uid(command, *args)  # type: ignore[arg-type]
        except imaplib.IMAP4.abort as error:
            raise Unavailable(_("Die Verbindung zum Mailserver ist abgebrochen.")) from error
        return list(self._check(typ, data, "UID " + command) or [])

    # --- folders --------------------------------------------------------------------

    def folders(self) -> list[Folder]:
        """All folders with message and unread counts (LIST-STATUS, RFC 5819), special
        folders first."""
        if self._folders is not None:
            return self._folders
        connection = self.connection
        connection.untagged_responses.pop("STATUS", None)
        typ, data = connection.list('""', '"*" RETURN (SPECIAL-USE STATUS (MESSAGES UNSEEN))')
        self._check(typ, data, "LIST")
        status_lines = connection.untagged_responses.pop("STATUS", [])
        counts: dict[str, tuple[int, int]] = {}
        for line in protocol.lines(status_lines):
            values = protocol.parse(line)
            if len(values) >= 2 and isinstance(values[1], list):
                items = values[1]
                pairs = {str(items[i]).upper(): items[i + 1] for i in range(0, len(items) - 1, 2)}
                counts[protocol.text(values[0])] = (
                    _int(pairs.get("MESSAGES")),
                    _int(pairs.get("UNSEEN")),
                )
        found: list[Folder] = []
        for line in protocol.lines(data):
            values = protocol.parse(line)
            if len(values) < 3 or not isinstance(values[0], list):
                continue
            attributes = {str(flag) for flag in values[0]}
            delimiter = protocol.text(values[1]) if values[1] is not None else ""
            name = protocol.text(values[2])
            special = ""
            if name.upper() == "INBOX":
                name, special = "INBOX", "inbox"
            else:
                for flag, key in SPECIAL_USE.items():
                    if flag.lower() in {a.lower() for a in attributes}:
                        special = key
            messages, unseen = counts.get(name, (0, 0))
            found.append(
                Folder(
                    name=name,
                    path=utf7.decode(name),
                    delimiter=delimiter,
                    special=special,
                    messages=messages,
                    unseen=unseen,
                    selectable="\\noselect" not in {a.lower() for a in attributes}
                    and "\\nonexistent" not in {a.lower() for a in attributes},
                )
            )
        self._folders = sort_folders(found)
        return self._folders

    def folder(self, path: str) -> Folder:
        """The folder with the (decoded) name ``path``; NotFound if there is none."""
        for folder in self.folders():
            if folder.path == path and folder.selectable:
                return folder
        raise NotFound(_("Diesen Ordner gibt es nicht (mehr)."))

    def special(self, key: str) -> Folder | None:
        for folder in self.folders():
            if folder.special == key:
                return folder
        return None

    def special_or_error(self, key: str) -> Folder:
        folder = self.special(key)
        if folder is None:
            raise MailError(
                _("Der Ordner „%(name)s“ fehlt in Ihrem Postfach.")
                % {"name": Folder.special_title(key)}
            )
        return folder

    def select(self, folder: Folder) -> None:
        if self.selected == folder.name:
            return
        try:
            typ, _data = self.connection.select(protocol.quote(folder.name))  # type: ignore[arg-type]
        except imaplib.IMAP4.abort as error:
            raise Unavailable(_("Die Verbindung zum Mailserver ist abgebrochen.")) from error
        if typ != "OK":
            raise NotFound(_("Diesen Ordner gibt es nicht (mehr)."))
        self.selected = folder.name

    def create_folder(self, path: str) -> None:
        typ, data = self.connection.create(protocol.quote(utf7.encode(path)))  # type: ignore[arg-type]
        self._check(typ, data, "CREATE")
        self.connection.subscribe(protocol.quote(utf7.encode(path)))  # type: ignore[arg-type]
        self._folders = None

    def subtree(self, folder: Folder) -> list[Folder]:
        """The folder and every folder below it, the deepest first."""
        prefix = folder.path + folder.delimiter if folder.delimiter else None
        found = [
            f
            for f in self.folders()
            if f.path == folder.path or (prefix is not None and f.path.startswith(prefix))
        ]
        return sorted(found, key=lambda f: f.path.count(f.delimiter or "/"), reverse=True)

    def _unselect(self) -> None:
        if self.selected is not None:
            # UNSELECT (RFC 3691) leaves without expunging, unlike CLOSE.
            self.connection.unselect()
            self.selected = None

    def _subscription(self, name: str, on: bool) -> None:
        command = self.connection.subscribe if on else self.connection.unsubscribe
        command(protocol.quote(name))  # type: ignore[arg-type]

    def rename_folder(self, folder: Folder, new_path: str) -> None:
        """Rename a folder with everything below it (subscriptions follow)."""
        below = self.subtree(folder)
        self._unselect()
        new_name = utf7.encode(new_path)
        typ, data = self.connection.rename(
            protocol.quote(folder.name),  # type: ignore[arg-type]
            protocol.quote(new_name),  # type: ignore[arg-type]
        )
        self._check(typ, data, "RENAME")
        for old in below:
            self._subscription(old.name, False)
            self._subscription(new_name + old.name[len(folder.name) :], True)
        self._folders = None

    def delete_folder(self, folder: Folder) -> int:
        """Delete a folder and the folders below it; their messages go to the trash first.
        Returns how many messages were moved."""
        trash = self.special_or_error("trash")
        moved = 0
        for item in self.subtree(folder):
            if item.selectable and item.messages:
                self.select(item)
                uids = _numbers(self._uid("SEARCH", "ALL"))
                self.move(item, uids, trash)
                moved += len(uids)
            self._unselect()
            typ, data = self.connection.delete(protocol.quote(item.name))  # type: ignore[arg-type]
            self._check(typ, data, "DELETE")
            self._subscription(item.name, False)
        self._folders = None
        return moved

    def empty_folder(self, folder: Folder) -> int:
        """Remove every message of the folder for good (the trash, the spam folder)."""
        self.select(folder)
        uids = _numbers(self._uid("SEARCH", "ALL"))
        self.expunge(folder, uids)
        return len(uids)

    # --- lists ----------------------------------------------------------------------

    def sorted_uids(
        self,
        folder: Folder,
        *,
        sort: str = "date",
        descending: bool = True,
        query: str = "",
        field: str = "all",
        only: str = "",
    ) -> list[int]:
        """The UIDs of the folder's messages (matching the search), in display order."""
        self.select(folder)
        key = SORT_KEYS.get(sort, "DATE")
        if key == "FROM":
            if folder.special in ("sent", "drafts"):
                key = "DISPLAYTO" if "SORT=DISPLAY" in self.capabilities() else "TO"
            elif "SORT=DISPLAY" in self.capabilities():
                key = "DISPLAYFROM"
        criteria = search_criteria(query, field) if query.strip() else b"ALL"
        if only == "unseen":
            criteria = b"UNSEEN " + criteria
        elif only == "flagged":
            criteria = b"FLAGGED " + criteria
        program = ("(REVERSE %s)" if descending else "(%s)") % key
        if "SORT" in self.capabilities():
            data = self._uid("SORT", program, "UTF-8", criteria)
            return _numbers(data)
        # Without SORT (not our Dovecot): the server's order, newest UIDs first.
        data = self._uid("SEARCH", "CHARSET", "UTF-8", criteria)
        uids = _numbers(data)
        return sorted(uids, reverse=descending)

    def summaries(self, folder: Folder, uids: Sequence[int]) -> list[Summary]:
        """The list lines of these messages, in the order of ``uids``."""
        if not uids:
            return []
        self.select(folder)
        fields = " ".join(name.upper() for name in SUMMARY_HEADERS)
        items = "(UID FLAGS RFC822.SIZE INTERNALDATE BODY.PEEK[HEADER.FIELDS (%s)])" % fields
        by_uid: dict[int, Summary] = {}
        for batch in _batches(list(uids)):
            data = self._uid("FETCH", uid_set(batch), items)
            for item in protocol.fetch_items(data):
                summary = _summary(item)
                if summary is not None:
                    by_uid[summary.uid] = summary
        return [by_uid[uid] for uid in uids if uid in by_uid]

    def listing(
        self,
        folder: Folder,
        *,
        page: int,
        per_page: int,
        sort: str = "date",
        descending: bool = True,
        query: str = "",
        field: str = "all",
        only: str = "",
    ) -> Listing:
        uids = self.sorted_uids(
            folder, sort=sort, descending=descending, query=query, field=field, only=only
        )
        total = len(uids)
        pages = max(1, -(-total // per_page))
        page = min(max(1, page), pages)
        window = uids[(page - 1) * per_page : page * per_page]
        return Listing(self.summaries(folder, window), total, page, pages)

    def neighbours(
        self, folder: Folder, uid: int, *, sort: str = "date", descending: bool = True
    ) -> tuple[int | None, int | None]:
        """The messages before and after ``uid`` in the list order (for "previous/next")."""
        uids = self.sorted_uids(folder, sort=sort, descending=descending)
        try:
            index = uids.index(uid)
        except ValueError:
            return None, None
        before = uids[index - 1] if index > 0 else None
        after = uids[index + 1] if index + 1 < len(uids) else None
        return before, after

    # --- one message ----------------------------------------------------------------

    def fetch(self, folder: Folder, uid: int) -> Fetched:
        """The whole message (without setting \\Seen)."""
        self.select(folder)
        data = self._uid("FETCH", str(uid), "(UID FLAGS BODY.PEEK[])")
        for item in protocol.fetch_items(data):
            if _int(item.get("UID")) == uid and isinstance(item.get("BODY[]"), bytes):
                return Fetched(uid, item["BODY[]"], frozenset(_flags(item)))
        raise NotFound(_("Diese Nachricht gibt es nicht (mehr)."))

    def exists(self, folder: Folder, uids: Sequence[int]) -> list[int]:
        """Those of ``uids`` that are in the folder."""
        if not uids:
            return []
        self.select(folder)
        data = self._uid("SEARCH", "UID", uid_set(uids))
        return _numbers(data)

    # --- changes --------------------------------------------------------------------

    def set_flag(self, folder: Folder, uids: Sequence[int], flag: str, on: bool) -> None:
        if not uids:
            return
        self.select(folder)
        for batch in _batches(list(uids)):
            self._uid(
                "STORE", uid_set(batch), "+FLAGS.SILENT" if on else "-FLAGS.SILENT", "(%s)" % flag
            )
        if flag == "\\Seen":
            # The unread counts of the folder list have changed.
            self._folders = None

    def move(self, folder: Folder, uids: Sequence[int], target: Folder) -> None:
        if not uids or folder.name == target.name:
            return
        self.select(folder)
        for batch in _batches(list(uids)):
            self._uid("MOVE", uid_set(batch), protocol.quote(target.name))
        self._folders = None

    def delete(self, folder: Folder, uids: Sequence[int]) -> bool:
        """Into the trash; in the trash (and in the spam folder), gone for good. True if the
        messages were removed for good."""
        if not uids:
            return False
        if folder.special in ("trash", "junk"):
            self.expunge(folder, uids)
            return True
        self.move(folder, uids, self.special_or_error("trash"))
        return False

    def expunge(self, folder: Folder, uids: Sequence[int]) -> None:
        self.select(folder)
        for batch in _batches(list(uids)):
            self._uid("STORE", uid_set(batch), "+FLAGS.SILENT", "(\\Deleted)")
            self._uid("EXPUNGE", uid_set(batch))
        self._folders = None

    def append(self, folder: Folder, message: bytes, flags: str) -> int | None:
        """Store a message (a draft, a sent copy); its new UID if the server says it."""
        try:
            typ, data = self.connection.append(
                protocol.quote(folder.name),  # type: ignore[arg-type]
                flags,
                None,
                message,
            )
        except imaplib.IMAP4.abort as error:
            raise Unavailable(_("Die Verbindung zum Mailserver ist abgebrochen.")) from error
        if typ != "OK":
            detail = protocol.text(data[0]) if data else ""
            logger.info("IMAP APPEND refused: %s", detail)
            if "quota" in detail.lower():
                raise MailError(
                    _("Ihr Speicherplatz ist voll: Die Nachricht konnte nicht gespeichert werden.")
                )
            raise MailError(
                _("Der Mailserver hat das Speichern abgelehnt: %(detail)s") % {"detail": detail}
            )
        self._folders = None
        for line in data or []:
            if isinstance(line, bytes):
                match = _APPENDUID.search(line)
                if match:
                    return int(match.group(2))
        return None

    def close(self) -> None:
        with suppress(imaplib.IMAP4.error, OSError):
            self.connection.logout()


def _int(value: Any) -> int:
    try:
        return int(protocol.text(value))
    except ValueError:
        return 0


def _numbers(data: Sequence[Any]) -> list[int]:
    numbers: list[int] = []
    for line in data:
        if isinstance(line, bytes):
            numbers.extend(int(word) for word in line.split() if word.isdigit())
    return numbers


def _flags(item: dict[str, Any]) -> list[str]:
    flags = item.get("FLAGS") or []
    return [str(flag) for flag in flags] if isinstance(flags, list) else []


def _summary(item: dict[str, Any]) -> Summary | None:
    uid = _int(item.get("UID"))
    if not uid:
        return None
    block = b""
    for key, value in item.items():
        if key.startswith("BODY[HEADER.FIELDS") and isinstance(value, bytes):
            block = value
    fields = headers.raw_fields(block)
    senders = headers.address_values(fields.get("from", ""))
    date = headers.date_value(fields.get("date", "")) or headers.internal_date(
        protocol.text(item.get("INTERNALDATE"))
    )
    return Summary(
        uid=uid,
        subject=headers.text_value(fields.get("subject", "")),
        sender=senders[0] if senders else None,
        recipients=headers.address_values(fields.get("to", ""))
        + headers.address_values(fields.get("cc", "")),
        date=date,
        size=_int(item.get("RFC822.SIZE")),
        flags=frozenset(_flags(item)),
        has_attachment=fields.get("content-type", "").lower().startswith("multipart/mixed"),
        parent_info=fields.get(headers.PARENT_INFO.lower(), "").strip() == "1",
    )


LOGIN_RETRY_PAUSES = (0.2, 0.6)


def _login(connection: imaplib.IMAP4, login: str, password: str) -> None:
    """LOGIN, tried again after a short pause when Dovecot answers ``[UNAVAILABLE]`` (its
    user lookup failed for a moment, e.g. the database was busy) rather than refusing."""
    for pause in (*LOGIN_RETRY_PAUSES, None):
        try:
            connection.login(login, password)
            return
        except imaplib.IMAP4.error as error:
            if pause is None or "[UNAVAILABLE]" not in str(error).upper():
                raise
            logger.warning("IMAP login temporarily unavailable, trying again: %s", error)
            time.sleep(pause)


def connect(username: str, conf: MailConf | None = None) -> MailSession:
    """Log in to Dovecot as the webmail master user on behalf of ``username``."""
    conf = conf or mail_conf()
    if not conf.enabled:
        raise Unavailable(_("E-Mail ist an dieser Schule nicht eingerichtet."))
    password = master_password()
    try:
        connection = imaplib.IMAP4(conf.client_host, conf.imap_port, timeout=CONNECT_TIMEOUT)
    except (OSError, imaplib.IMAP4.error) as error:
        logger.warning(
            "IMAP connection to %s:%s failed: %s", conf.client_host, conf.imap_port, error
        )
        raise Unavailable(
            _("Der Mailserver ist gerade nicht erreichbar. Bitte versuchen Sie es später erneut.")
        ) from error
    try:
        if connection.sock is not None:
            connection.sock.settimeout(COMMAND_TIMEOUT)
        _login(connection, master_login(username), password)
    except (OSError, imaplib.IMAP4.error) as error:
        logger.warning("IMAP login for %s failed: %s", username, error)
        with suppress(OSError):
            connection.shutdown()
        raise Unavailable(
            _("Ihr Postfach konnte nicht geöffnet werden. Bitte versuchen Sie es später erneut.")
        ) from error
    return MailSession(connection)


@contextmanager
def session_for(username: str) -> Iterator[MailSession]:
    session = connect(username)
    try:
        yield session
    except imaplib.IMAP4.abort as error:
        raise Unavailable(_("Die Verbindung zum Mailserver ist abgebrochen.")) from error
    except imaplib.IMAP4.error as error:
        logger.warning("IMAP error for %s: %s", username, error)
        raise MailError(
            _("Der Mailserver hat die Anfrage nicht verstanden. Bitte versuchen Sie es erneut.")
        ) from error
    except OSError as error:
        raise Unavailable(
            _("Der Mailserver antwortet nicht. Bitte versuchen Sie es später erneut.")
        ) from error
    finally:
        session.close()

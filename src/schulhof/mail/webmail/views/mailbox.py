"""The message list of a folder (paging, sorting, search, filters), the changes made from it
to several messages at once, and new folders."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from schulhof.core.http import AuthenticatedHttpRequest
from schulhof.mail.webmail.folders import Folder
from schulhof.mail.webmail.imap import SEARCH_FIELDS, MailError, MailSession, Summary
from schulhof.mail.webmail.views.common import (
    Refused,
    folder_url,
    format_size,
    get_folder,
    long_date,
    message_url,
    safe_next,
    short_date,
    sidebar,
    webmail_view,
)

PER_PAGE = 50
MAX_BULK = 1000
SORTS = ("date", "sender", "subject")
FILTERS = ("unseen", "flagged")


@dataclass(frozen=True)
class ListParams:
    """What the list shows, from the query string (anything unknown falls back)."""

    page: int
    sort: str
    descending: bool
    query: str
    field: str
    only: str

    @classmethod
    def from_request(cls, request: AuthenticatedHttpRequest) -> ListParams:
        try:
            page = max(1, min(100000, int(request.GET.get("seite", "1"))))
        except ValueError:
            page = 1
        sort = request.GET.get("sort", "date")
        if sort not in SORTS:
            sort = "date"
        order = request.GET.get("order", "")
        descending = order != "asc" if sort == "date" else order == "desc"
        field = request.GET.get("in", "all")
        only = request.GET.get("nur", "")
        return cls(
            page=page,
            sort=sort,
            descending=descending,
            query=" ".join(request.GET.get("q", "").split())[:200],
            field=field if field in SEARCH_FIELDS else "all",
            only=only if only in FILTERS else "",
        )

    def query_dict(self, **changes: Any) -> dict[str, Any]:
        values = {
            "q": self.query,
            "in": self.field if self.query and self.field != "all" else "",
            "nur": self.only,
            "sort": self.sort if self.sort != "date" else "",
            "order": self._order_word(),
            "seite": self.page if self.page > 1 else "",
        }
        values.update(changes)
        return {key: value for key, value in values.items() if value not in ("", None)}

    def _order_word(self) -> str:
        default_descending = self.sort == "date"
        if self.descending == default_descending:
            return ""
        return "desc" if self.descending else "asc"


@dataclass(frozen=True)
class Row:
    summary: Summary
    url: str
    who: str
    who_title: str
    date_text: str
    date_title: str
    size_text: str


def _row(folder: Folder, summary: Summary, params: ListParams) -> Row:
    if folder.special in ("sent", "drafts"):
        names = ", ".join(a.display for a in summary.recipients[:3])
        if len(summary.recipients) > 3:
            names += " …"
        who = _("An: %(names)s") % {"names": names} if names else _("(keine Empfänger)")
        title = ", ".join(str(a) for a in summary.recipients[:20])
    else:
        who = summary.sender.display if summary.sender else _("(unbekannter Absender)")
        title = str(summary.sender) if summary.sender else ""
    link_params = {"sort": params.sort if params.sort != "date" else ""}
    link_params["order"] = params.query_dict().get("order", "")
    return Row(
        summary=summary,
        url=message_url(folder, summary.uid, **link_params),
        who=who,
        who_title=title,
        date_text=short_date(summary.date),
        date_title=long_date(summary.date),
        size_text=format_size(summary.size),
    )


def _sort_links(folder: Folder, params: ListParams) -> list[dict[str, Any]]:
    titles = {
        "date": _("Datum"),
        "sender": _("Empfänger") if folder.special in ("sent", "drafts") else _("Absender"),
        "subject": _("Betreff"),
    }
    links = []
    for key in SORTS:
        current = key == params.sort
        # The current column turns round; another starts newest (date) or A first.
        descending = not params.descending if current else key == "date"
        target = ListParams(1, key, descending, params.query, params.field, params.only)
        links.append(
            {
                "key": key,
                "title": titles[key],
                "url": folder_url(folder, **target.query_dict()),
                "state": ("descending" if params.descending else "ascending") if current else "",
            }
        )
    return links


def _folder_page(
    request: AuthenticatedHttpRequest, mail: MailSession, folder: Folder
) -> HttpResponse:
    params = ListParams.from_request(request)
    listing = mail.listing(
        folder,
        page=params.page,
        per_page=PER_PAGE,
        sort=params.sort,
        descending=params.descending,
        query=params.query,
        field=params.field,
        only=params.only,
    )
    here = folder_url(folder, **params.query_dict(seite=listing.page if listing.page > 1 else ""))
    first = (listing.page - 1) * PER_PAGE + 1 if listing.total else 0
    return render(
        request,
        "mail/webmail/folder.html",
        {
            **sidebar(request, mail, folder),
            "folder": folder,
            "rows": [_row(folder, summary, params) for summary in listing.summaries],
            "listing": listing,
            "params": params,
            "first": first,
            "last": first + len(listing.summaries) - 1 if listing.total else 0,
            "previous_url": folder_url(folder, **params.query_dict(seite=listing.page - 1))
            if listing.page > 1
            else "",
            "next_url": folder_url(folder, **params.query_dict(seite=listing.page + 1))
            if listing.page < listing.pages
            else "",
            "sort_links": _sort_links(folder, params),
            "here": here,
            "folder_plain_url": folder_url(folder),
            "search_fields": [
                ("all", _("überall")),
                ("subject", _("im Betreff")),
                ("from", _("im Absender")),
                ("body", _("im Text")),
            ],
            "filter_links": [
                {
                    "key": "",
                    "title": _("Alle"),
                    "url": folder_url(folder, **params.query_dict(nur="", seite="")),
                },
                {
                    "key": "unseen",
                    "title": _("Ungelesen"),
                    "url": folder_url(folder, **params.query_dict(nur="unseen", seite="")),
                },
                {
                    "key": "flagged",
                    "title": _("Markiert"),
                    "url": folder_url(folder, **params.query_dict(nur="flagged", seite="")),
                },
            ],
            "end_search_url": folder_url(folder, **params.query_dict(q="", seite="", **{"in": ""})),
            "bulk_url": _bulk_url(folder),
        },
    )


def _bulk_url(folder: Folder) -> str:
    from django.urls import reverse

    return reverse("webmail:bulk", args=[folder.path])


@webmail_view()
def home(request: AuthenticatedHttpRequest, mail: MailSession) -> HttpResponse:
    """``/mail/``: the inbox."""
    inbox = mail.special("inbox")
    if inbox is None:
        raise Refused(_("Ihr Posteingang fehlt. Bitte wenden Sie sich an die Schulverwaltung."))
    return _folder_page(request, mail, inbox)


@webmail_view()
def folder(request: AuthenticatedHttpRequest, mail: MailSession, path: str) -> HttpResponse:
    return _folder_page(request, mail, get_folder(mail, path))


def _uids(request: AuthenticatedHttpRequest) -> list[int]:
    uids = []
    for value in request.POST.getlist("uid")[:MAX_BULK]:
        if value.isdigit() and 0 < int(value) < 2**32:
            uids.append(int(value))
    return uids


BULK_ACTIONS = ("read", "unread", "flag", "unflag", "delete", "move", "archive", "junk", "notjunk")


@require_POST
@webmail_view()
def bulk(request: AuthenticatedHttpRequest, mail: MailSession, path: str) -> HttpResponseBase:
    """One change to the ticked messages of a folder (or to one message, from its page)."""
    folder = get_folder(mail, path)
    back = safe_next(request, folder_url(folder))
    action = request.POST.get("action", "")
    uids = _uids(request)
    if action not in BULK_ACTIONS:
        messages.error(request, _("Unbekannte Aktion."))
        return redirect(back)
    if not uids:
        messages.error(request, _("Bitte wählen Sie mindestens eine Nachricht aus."))
        return redirect(back)
    try:
        text = _apply(mail, folder, action, uids, request.POST.get("target", ""))
    except MailError as error:
        messages.error(request, error.message)
        return redirect(back)
    messages.success(request, text)
    if action in ("delete", "move", "archive", "junk", "notjunk") and request.POST.get(
        "from_message"
    ):
        # The message has left this folder: back to the list, not to its empty page.
        return redirect(folder_url(folder))
    return redirect(back)


def _apply(mail: MailSession, folder: Folder, action: str, uids: list[int], target: str) -> str:
    count = len(uids)
    if action in ("read", "unread"):
        mail.set_flag(folder, uids, "\\Seen", action == "read")
        if action == "read":
            return ngettext(
                "%(count)s Nachricht als gelesen markiert.",
                "%(count)s Nachrichten als gelesen markiert.",
                count,
            ) % {"count": count}
        return ngettext(
            "%(count)s Nachricht als ungelesen markiert.",
            "%(count)s Nachrichten als ungelesen markiert.",
            count,
        ) % {"count": count}
    if action in ("flag", "unflag"):
        mail.set_flag(folder, uids, "\\Flagged", action == "flag")
        if action == "flag":
            return ngettext(
                "%(count)s Nachricht markiert.", "%(count)s Nachrichten markiert.", count
            ) % {"count": count}
        return ngettext(
            "Markierung von %(count)s Nachricht entfernt.",
            "Markierung von %(count)s Nachrichten entfernt.",
            count,
        ) % {"count": count}
    if action == "delete":
        if mail.delete(folder, uids):
            return ngettext(
                "%(count)s Nachricht endgültig gelöscht.",
                "%(count)s Nachrichten endgültig gelöscht.",
                count,
            ) % {"count": count}
        return ngettext(
            "%(count)s Nachricht in den Papierkorb verschoben.",
            "%(count)s Nachrichten in den Papierkorb verschoben.",
            count,
        ) % {"count": count}
    if action == "move":
        destination = get_folder(mail, target) if target else None
        if destination is None:
            raise MailError(_("Bitte wählen Sie einen Zielordner."))
    elif action == "archive":
        destination = mail.special_or_error("archive")
    elif action == "junk":
        destination = mail.special_or_error("junk")
    else:
        destination = mail.special_or_error("inbox")
    if destination.name == folder.name:
        raise MailError(_("Die Nachrichten sind schon in diesem Ordner."))
    mail.move(folder, uids, destination)
    return ngettext(
        "%(count)s Nachricht nach „%(target)s“ verschoben.",
        "%(count)s Nachrichten nach „%(target)s“ verschoben.",
        count,
    ) % {"count": count, "target": destination.title}


def folder_name_error(
    mail: MailSession, name: str, path: str, delimiter: str, *, renaming: str = ""
) -> str | None:
    """Why ``name`` (to become ``path``) cannot be a folder's name, in German, or None;
    ``renaming``: the path of the folder that gets the name (it may change its case)."""
    if not name:
        return _("Bitte geben Sie einen Namen für den Ordner ein.")
    if len(name) > 100 or (delimiter and delimiter in name) or any(c in name for c in "*%"):
        return _(
            "Der Ordnername darf höchstens 100 Zeichen haben und kein „%(sep)s“, „*“ "
            "oder „%%“ enthalten."
        ) % {"sep": delimiter or "/"}
    taken = [f for f in mail.folders() if f.path != renaming]
    if any(f.path.casefold() == path.casefold() for f in taken) or name.upper() == "INBOX":
        return _("Einen Ordner „%(name)s“ gibt es schon.") % {"name": name}
    return None


@require_POST
@webmail_view()
def create_folder(request: AuthenticatedHttpRequest, mail: MailSession) -> HttpResponseBase:
    """A new folder at the top level (or below ``parent``)."""
    name = " ".join(request.POST.get("name", "").split())
    inbox = mail.special("inbox")
    back = safe_next(request, folder_url(inbox) if inbox else "/")
    delimiter = inbox.delimiter if inbox else "/"
    parent = request.POST.get("parent", "")
    path = name
    if parent:
        parent_folder = get_folder(mail, parent)
        path = "%s%s%s" % (parent_folder.path, parent_folder.delimiter, name)
    error = folder_name_error(mail, name, path, delimiter)
    if error:
        messages.error(request, error)
        return redirect(back)
    mail.create_folder(path)
    messages.success(request, _("Ordner „%(name)s“ angelegt.") % {"name": name})
    created = next((f for f in mail.folders() if f.path == path), None)
    return redirect(folder_url(created) if created else back)


def own_folder(mail: MailSession, path: str) -> Folder:
    """A folder the person made (the special folders cannot be renamed or deleted)."""
    folder = get_folder(mail, path)
    if folder.special:
        raise Refused(
            _("Der Ordner „%(name)s“ gehört zum Postfach und bleibt.") % {"name": folder.title},
            400,
        )
    return folder


@require_POST
@webmail_view()
def rename_folder(
    request: AuthenticatedHttpRequest, mail: MailSession, path: str
) -> HttpResponseBase:
    """A new name for one of the person's folders (it stays where it is)."""
    folder = own_folder(mail, path)
    name = " ".join(request.POST.get("name", "").split())
    parent = folder.path[: -len(folder.title)]  # "Schule/" or ""
    new_path = parent + name
    if name == folder.title:
        return redirect(folder_url(folder))
    error = folder_name_error(mail, name, new_path, folder.delimiter, renaming=folder.path)
    if error:
        messages.error(request, error)
        return redirect(folder_url(folder))
    mail.rename_folder(folder, new_path)
    messages.success(
        request,
        _("Ordner „%(old)s“ heißt jetzt „%(new)s“.") % {"old": folder.title, "new": name},
    )
    renamed = next((f for f in mail.folders() if f.path == new_path), None)
    return redirect(folder_url(renamed) if renamed else "webmail:home")


@require_POST
@webmail_view()
def delete_folder(
    request: AuthenticatedHttpRequest, mail: MailSession, path: str
) -> HttpResponseBase:
    """Delete one of the person's folders with its subfolders; the messages go to the
    trash, so nothing is lost by a wrong click."""
    folder = own_folder(mail, path)
    moved = mail.delete_folder(folder)
    if moved:
        messages.success(
            request,
            ngettext(
                "Ordner „%(name)s“ gelöscht. %(count)s Nachricht liegt jetzt im Papierkorb.",
                "Ordner „%(name)s“ gelöscht. %(count)s Nachrichten liegen jetzt im Papierkorb.",
                moved,
            )
            % {"name": folder.title, "count": moved},
        )
    else:
        messages.success(request, _("Ordner „%(name)s“ gelöscht.") % {"name": folder.title})
    return redirect("webmail:home")


@require_POST
@webmail_view()
def empty_folder(
    request: AuthenticatedHttpRequest, mail: MailSession, path: str
) -> HttpResponseBase:
    """Empty the trash or the spam folder for good."""
    folder = get_folder(mail, path)
    if folder.special not in ("trash", "junk"):
        raise Refused(_("Leeren lassen sich nur der Papierkorb und der Spam-Ordner."), 400)
    count = mail.empty_folder(folder)
    messages.success(
        request,
        ngettext(
            "%(count)s Nachricht endgültig gelöscht.",
            "%(count)s Nachrichten endgültig gelöscht.",
            count,
        )
        % {"count": count},
    )
    return redirect(folder_url(folder))

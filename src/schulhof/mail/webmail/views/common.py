"""What the webmail's views share: the access check and the IMAP session in one decorator,
URLs of folders and messages, the folder sidebar, dates and sizes for people."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from schulhof.core.http import AuthenticatedHttpRequest
from schulhof.files.views.common import format_size
from schulhof.mail.webmail import imap, policies
from schulhof.mail.webmail.folders import Folder
from schulhof.mail.webmail.imap import MailError, MailSession, NotFound, Unavailable

__all__ = ["format_size"]


class Refused(Exception):
    """A request answered with a German message page and a status instead of the page."""

    def __init__(self, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def refused_page(request: HttpRequest, message: str, status: int) -> HttpResponse:
    return render(request, "mail/webmail/refused.html", {"message": message}, status=status)


def status_for(error: MailError) -> int:
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, Unavailable):
        return 503
    return 400


View = Callable[..., HttpResponseBase]


def webmail_view(*, send: bool = False) -> Callable[[View], View]:
    """For the webmail's pages: login required, nothing cached, the policy checked (reading,
    or sending too), and the person's IMAP session opened for the view (its second
    argument) and closed afterwards. Refusals and mail errors become a German page."""

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapper(
            request: AuthenticatedHttpRequest, *args: Any, **kwargs: Any
        ) -> HttpResponseBase:
            reason = policies.refusal(request.user, send=send)
            if reason is not None:
                return refused_page(request, reason, 403)
            try:
                with imap.session_for(request.user.username) as mail:
                    return view(request, mail, *args, **kwargs)
            except Refused as refusal:
                return refused_page(request, refusal.message, refusal.status)
            except MailError as error:
                return refused_page(request, error.message, status_for(error))

        return login_required(never_cache(wrapper))

    return decorate


# --- URLs ---------------------------------------------------------------------------------


def folder_url(folder: Folder, **params: Any) -> str:
    url = reverse("webmail:folder", args=[folder.path])
    query = {key: value for key, value in params.items() if value not in (None, "")}
    return url + ("?" + urlencode(query) if query else "")


def message_url(folder: Folder, uid: int, **params: Any) -> str:
    if folder.special == "drafts":
        return reverse("webmail:draft", args=[uid])
    url = reverse("webmail:message", args=[folder.path, uid])
    query = {key: value for key, value in params.items() if value not in (None, "")}
    return url + ("?" + urlencode(query) if query else "")


def compose_url(**params: str) -> str:
    url = reverse("webmail:compose")
    return url + ("?" + urlencode(params) if params else "")


def mailto_url(mailto: str) -> str:
    """Where a ``mailto:`` link in a message leads: our compose page."""
    return compose_url(mailto=mailto[:2000])


def safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def get_folder(mail: MailSession, path: str) -> Folder:
    try:
        return mail.folder(path)
    except NotFound:
        raise Refused(_("Diesen Ordner gibt es nicht (mehr)."), 404) from None


# --- page parts ---------------------------------------------------------------------------


def sidebar(
    request: AuthenticatedHttpRequest, mail: MailSession, current: Folder | None
) -> dict[str, Any]:
    """The context every webmail page has: the folders with their unread counts."""
    folders = mail.folders()
    return {
        "folders": [
            {
                "folder": folder,
                "url": folder_url(folder) if folder.selectable else "",
                "current": current is not None and folder.name == current.name,
                "depth": min(folder.depth, 4),
            }
            for folder in folders
        ],
        "current_folder": current,
        "icons": static("mail/icons.svg"),
        "compose_url": compose_url(),
        "may_send": policies.may_send(request.user),
        "movable_folders": [f for f in folders if f.selectable],
        "parent_folders": [f for f in folders if f.selectable and not f.special],
        "auto_reply_on": auto_reply_on(request.user),
    }


def auto_reply_on(user: Any) -> bool:
    """Whether the person's automatic reply answers today (marked in the side column)."""
    from schulhof.mail.models import AutoReply

    reply = AutoReply.objects.filter(user=user, enabled=True).first()
    return reply is not None and reply.is_active_on(timezone.localdate())


def short_date(moment: datetime | None) -> str:
    """Today: the time; this year: day and month; else the full date."""
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    today = timezone.localdate()
    if local.date() == today:
        return local.strftime("%H:%M")
    if local.year == today.year:
        return local.strftime("%d.%m.")
    return local.strftime("%d.%m.%Y")


def long_date(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return timezone.localtime(moment).strftime("%d.%m.%Y %H:%M")

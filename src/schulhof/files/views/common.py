"""What the file manager's views share: finding a space with the access check in one call,
URLs of spaces and paths, sizes in German, breadcrumbs, and the quota bar.

Paths in URLs are the storage's canonical paths (names joined by "/"). The web server hands
Django a percent-decoded PATH_INFO, so ``%2e%2e`` and ``%2f`` arrive as ``..`` and ``/``; every
path goes through ``storage.canonical_path`` (which refuses ``..``, backslashes, NUL …), and a
URL whose path is not already canonical is answered with 404 rather than guessed at.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from schulhof.core.http import AuthenticatedHttpRequest
from schulhof.core.models import SchoolSettings
from schulhof.files import storage
from schulhof.files.storage import (
    AlreadyExists,
    Conflict,
    Forbidden,
    InvalidName,
    NotFound,
    QuotaExceeded,
    Space,
    StorageError,
    TooLarge,
    Usage,
)

MIB = 1024**2

# Served inline (preview) only these types: browsers show them without running our-origin
# script. Everything else, above all HTML and SVG, is always an attachment.
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"})
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})

SORT_KEYS = ("name", "size", "date")


class Refused(Exception):
    """A request the file manager answers with a German message and an HTTP status instead
    of its normal page (403 no access, 404 missing)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def format_size(nbytes: int) -> str:
    """Bytes for people, in German: ``0 B``, ``980 B``, ``1,2 KB``, ``2 GB`` (base 1024, as
    the quota is set: "2 GB" are 2 GiB)."""
    value = float(max(0, nbytes))
    if value < 1024:
        return "%d B" % value
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1024
        if value < 1024 or unit == "TB":
            break
    rounded = round(value, 1)
    decimals = 0 if rounded == int(rounded) else 1
    return "%s %s" % (number_format(rounded, decimal_pos=decimals), unit)


def max_upload_bytes() -> int | None:
    """The school's maximum size of one uploaded file in bytes (``max_upload_mib``), or None
    for no limit (0)."""
    limit = int(SchoolSettings.get().max_upload_mib or 0)
    return limit * MIB if limit > 0 else None


def too_large_message(limit: int) -> str:
    return _("Die Datei ist zu groß: höchstens %(limit)s pro Datei.") % {
        "limit": format_size(limit)
    }


def clean_path_or_404(raw: str) -> str:
    """The canonical path for a path taken from a URL; 404 for anything that is not
    canonical already (``..``, ``.``, doubled or trailing slashes, forbidden names)."""
    try:
        path = storage.canonical_path(raw)
    except InvalidName:
        raise Http404 from None
    # macOS may send decomposed umlauts; only NFC is the same name, anything else is a trick.
    if path != unicodedata.normalize("NFC", raw):
        raise Http404
    return path


def get_space(request: AuthenticatedHttpRequest, kind: str, key: str, *, write: bool) -> Space:
    """The space named by the URL, after checking that the user may read it (or write it).

    An unknown space and a space of someone else get the same answer (403, "no access"), so
    the file manager cannot be used to find out which usernames or groups exist."""
    try:
        space = storage.space_for_key(kind, key)
    except NotFound:
        raise Refused(Forbidden().message, 403) from None
    try:
        storage.check_access(request.user, space, write=write)
    except Forbidden as error:
        raise Refused(error.message, 403) from None
    return space


def may_write(user: Any, space: Space) -> bool:
    try:
        storage.check_access(user, space, write=True)
    except Forbidden:
        return False
    return True


def space_args(space: Space, path: str = "") -> list[str]:
    return [space.kind, space.key, path] if path else [space.kind, space.key]


def url_for(name: str, space: Space, path: str = "") -> str:
    """The URL of a file manager page (``"files:browse"``, ``"files:download"`` …) for a
    path in a space. Names with spaces, umlauts, ``#`` or ``?`` are percent-encoded."""
    return reverse(name, args=space_args(space, path))


def browse_url(space: Space, path: str = "") -> str:
    return url_for("files:browse", space, path)


@dataclass(frozen=True)
class Crumb:
    title: str
    url: str


def breadcrumb(space: Space, path: str) -> list[Crumb]:
    """The space, then every folder down to ``path`` (the last one is the current page)."""
    crumbs = [Crumb(space.title, browse_url(space))]
    parts = path.split("/") if path else []
    for index, name in enumerate(parts):
        crumbs.append(Crumb(name, browse_url(space, "/".join(parts[: index + 1]))))
    return crumbs


@dataclass(frozen=True)
class QuotaBar:
    """The quota bar's numbers: shares in whole percent for the SVG (attributes, not inline
    styles: the CSP forbids those) and the sentence that says it in words."""

    usage: Usage
    files_percent: float
    mail_percent: float
    text: str
    full: bool

    @property
    def percent(self) -> int:
        return self.usage.percent


def _share(part: int, whole: int) -> float:
    """Percent with one decimal; anything used shows at least as a sliver."""
    if part <= 0:
        return 0.0
    return max(0.8, round(100 * part / whole, 1))


def quota_bar(usage: Usage, *, personal: bool = True) -> QuotaBar:
    """``personal``: a user's quota, which mail shares; a group folder's has no mail."""
    limit = max(1, usage.limit)
    files_percent = min(100.0, _share(usage.files, limit))
    mail_percent = min(100.0 - files_percent, _share(usage.mail, limit))
    numbers = {
        "used": format_size(usage.used),
        "limit": format_size(usage.limit),
        "mail": format_size(usage.mail),
    }
    if personal:
        text = _("%(used)s von %(limit)s belegt (davon E-Mail %(mail)s)") % numbers
    else:
        text = _("%(used)s von %(limit)s belegt") % numbers
    return QuotaBar(
        usage=usage,
        files_percent=files_percent,
        mail_percent=mail_percent,
        text=text,
        full=usage.used >= usage.limit * 0.9,
    )


def webdav_url() -> str:
    """The address of this school's network drive, ``https://portal.schule.de/webdav/``."""
    portal = SchoolSettings.get().portal_url.strip() or settings.SCHULHOF_BASE_URL
    return portal.rstrip("/") + "/webdav/"


# --- Answering refusals and storage errors ------------------------------------------------

STORAGE_STATUS: dict[type[StorageError], int] = {
    NotFound: 404,
    Forbidden: 403,
    QuotaExceeded: 507,
    TooLarge: 413,
    AlreadyExists: 409,
    Conflict: 409,
    InvalidName: 400,
}


def status_for(error: StorageError) -> int:
    for cls in type(error).__mro__:
        if cls in STORAGE_STATUS:
            return STORAGE_STATUS[cls]
    return 400


def refused_page(request: HttpRequest, message: str, status: int) -> HttpResponse:
    return render(request, "files/refused.html", {"message": message}, status=status)


def files_page(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """For the file manager's pages: login required, no caching of personal listings, and a
    refusal (no access, missing folder) shown as a German page with its status."""

    @functools.wraps(view)
    def wrapper(request: AuthenticatedHttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except Refused as refusal:
            return refused_page(request, refusal.message, refusal.status)
        except (NotFound, Forbidden) as error:
            return refused_page(request, error.message, status_for(error))

    return login_required(never_cache(wrapper))


def files_api(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """For the endpoints the file manager's script calls: errors as JSON ``{"error": …}``
    with a fitting status (507 for a full quota, 413 for too large, 409 for a name taken)."""

    @functools.wraps(view)
    def wrapper(request: AuthenticatedHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return JsonResponse({"error": _("Bitte melden Sie sich an.")}, status=401)
        try:
            return view(request, *args, **kwargs)
        except Refused as refusal:
            return JsonResponse(
                {"error": refusal.message, "code": "Refused"}, status=refusal.status
            )
        except StorageError as error:
            # The code (the exception's name) lets the script tell "name taken" (ask whether
            # to replace) from "quota full" (stop the queue).
            return JsonResponse(
                {"error": error.message, "code": type(error).__name__}, status=status_for(error)
            )

    return never_cache(wrapper)


def wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")

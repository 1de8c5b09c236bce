"""Guides: connecting the school's files as a network drive (WebDAV) on Windows, macOS,
Linux, iPhone/iPad and Android, with this school's real address and the user's own name and
group folders filled in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from schulhof.core.http import AuthenticatedHttpRequest
from schulhof.files import storage
from schulhof.files.dav import FILES, GROUPS
from schulhof.files.views.common import webdav_url

# WebDAV's top folders, as IServ names them; group folders are named by the group's slug.
OWN_FOLDER = FILES
GROUPS_FOLDER = GROUPS


@dataclass(frozen=True)
class Guide:
    slug: str
    title: str | Promise
    summary: str | Promise


GUIDES = [
    Guide("windows", _("Windows"), _("Im Explorer als Netzlaufwerk verbinden")),
    Guide("macos", _("macOS"), _("Im Finder mit dem Server verbinden")),
    Guide("linux", _("Linux"), _("GNOME Dateien, KDE Dolphin oder davfs2")),
    Guide("ios", _("iPhone und iPad"), _("Mit einer WebDAV-App in der Dateien-App")),
    Guide("android", _("Android"), _("Mit einem Dateimanager, der WebDAV kann")),
]
BY_SLUG = {guide.slug: guide for guide in GUIDES}


@dataclass(frozen=True)
class Connection:
    """The addresses a client needs, in every spelling the systems want."""

    url: str
    https: bool
    host: str
    port: int | None
    path: str
    username: str
    # (folder in the network drive, the group's name if it differs from the folder's)
    group_folders: list[tuple[str, str]]

    @property
    def dav_url(self) -> str:
        """``davs://host/webdav/`` for GNOME Files."""
        return "%s://%s%s" % ("davs" if self.https else "dav", self._netloc, self.path)

    @property
    def webdavs_url(self) -> str:
        """``webdavs://host/webdav/`` for KDE Dolphin."""
        return "%s://%s%s" % ("webdavs" if self.https else "webdav", self._netloc, self.path)

    @property
    def unc_path(self) -> str:
        r"""``\\host@SSL\webdav`` for Windows' "Netzlaufwerk verbinden" and ``net use``."""
        server = self.host
        if self.https:
            server += "@SSL"
        if self.port:
            server += "@%d" % self.port
        return "\\\\" + server + self.path.rstrip("/").replace("/", "\\")

    @property
    def _netloc(self) -> str:
        return self.host + (":%d" % self.port if self.port else "")


def connection_for(user: Any) -> Connection:
    url = webdav_url()
    parts = urlsplit(url)
    https = parts.scheme == "https"
    port = parts.port
    if port == (443 if https else 80):
        port = None
    groups = [space for space in storage.spaces_for(user) if space.kind == "group"]
    return Connection(
        url=url,
        https=https,
        host=parts.hostname or "",
        port=port,
        path=parts.path or "/webdav/",
        username=user.username,
        group_folders=[
            ("%s/%s/" % (GROUPS_FOLDER, space.key), "" if space.title == space.key else space.title)
            for space in groups
        ],
    )


def _context(request: AuthenticatedHttpRequest) -> dict[str, Any]:
    return {
        "guides": GUIDES,
        "dav": connection_for(request.user),
        "own_folder": OWN_FOLDER + "/",
        "groups_folder": GROUPS_FOLDER + "/",
    }


@login_required
def index(request: AuthenticatedHttpRequest) -> HttpResponse:
    """All systems, with the address, the username and the folders."""
    return render(request, "files/guides/index.html", _context(request))


@login_required
def guide(request: AuthenticatedHttpRequest, system: str) -> HttpResponse:
    """The step-by-step guide for one system."""
    current = BY_SLUG.get(system)
    if current is None:
        raise Http404
    context = _context(request)
    context["guide"] = current
    return render(request, "files/guides/%s.html" % current.slug, context)

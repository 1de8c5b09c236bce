"""Pages that show files: a folder (with sorting and search), the preview of an image or a
PDF, and the trash. They only read; every change goes through ``views.manage`` and
``views.transfer``."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from schulhof.core.http import AuthenticatedHttpRequest
from schulhof.files import storage
from schulhof.files.storage import Conflict, Node, Space
from schulhof.files.views.common import (
    IMAGE_TYPES,
    INLINE_TYPES,
    SORT_KEYS,
    breadcrumb,
    browse_url,
    clean_path_or_404,
    files_page,
    format_size,
    get_space,
    max_upload_bytes,
    may_write,
    quota_bar,
    url_for,
)

SEARCH_LIMIT = 200


@dataclass(frozen=True)
class Row:
    """One line of the listing, with the URLs of what can be done with it."""

    node: Node
    url: str
    icon: str
    size_text: str
    location: str
    location_url: str

    @property
    def previewable(self) -> bool:
        return not self.node.is_dir and self.node.content_type in INLINE_TYPES

    @property
    def download_url(self) -> str:
        if self.node.is_dir:
            return url_for("files:zip", self.node.space, self.node.path)
        return url_for("files:download", self.node.space, self.node.path)

    @property
    def rename_url(self) -> str:
        return url_for("files:rename", self.node.space, self.node.path)

    @property
    def move_url(self) -> str:
        return url_for("files:move", self.node.space, self.node.path)

    @property
    def copy_url(self) -> str:
        return url_for("files:copy", self.node.space, self.node.path)

    @property
    def delete_url(self) -> str:
        return url_for("files:delete", self.node.space, self.node.path)


def icon_for(node: Node) -> str:
    if node.is_dir:
        return "folder"
    if node.content_type in IMAGE_TYPES or node.content_type.startswith("image/"):
        return "image"
    if node.content_type == "application/pdf":
        return "pdf"
    return "file"


def open_url(node: Node) -> str:
    """Where a click on the name leads: into a folder, to the preview, or the download."""
    if node.is_dir:
        return browse_url(node.space, node.path)
    if node.content_type in INLINE_TYPES:
        return url_for("files:preview", node.space, node.path)
    return url_for("files:download", node.space, node.path)


def row_for(node: Node) -> Row:
    parent = node.parent_path
    return Row(
        node=node,
        url=open_url(node),
        icon=icon_for(node),
        size_text="" if node.is_dir else format_size(node.size),
        location="/".join([node.space.title, *(parent.split("/") if parent else [])]),
        location_url=browse_url(node.space, parent),
    )


def sort_nodes(nodes: list[Node], key: str, descending: bool) -> list[Node]:
    """Folders first (always), then by name, size or date in the chosen direction."""

    def by_name(node: Node) -> tuple[str, str]:
        return (node.name.casefold(), node.name)

    if key == "size":
        ordered = sorted(nodes, key=lambda n: (n.size, by_name(n)), reverse=descending)
    elif key == "date":
        ordered = sorted(nodes, key=lambda n: (n.modified, by_name(n)), reverse=descending)
    else:
        ordered = sorted(nodes, key=by_name, reverse=descending)
    return [n for n in ordered if n.is_dir] + [n for n in ordered if not n.is_dir]


@dataclass(frozen=True)
class SortLink:
    key: str
    title: str
    url: str
    # "ascending" / "descending" for aria-sort on the current column, else "".
    state: str


def sort_links(base_url: str, query: str, current: str, descending: bool) -> list[SortLink]:
    titles = {"name": _("Name"), "size": _("Größe"), "date": _("Geändert")}
    links = []
    for key in SORT_KEYS:
        if key == current:
            next_order = "asc" if descending else "desc"
            state = "descending" if descending else "ascending"
        else:
            # Newest and largest first is what people look for.
            next_order = "asc" if key == "name" else "desc"
            state = ""
        params = {"sort": key, "order": next_order}
        if query:
            params["q"] = query
        links.append(SortLink(key, titles[key], base_url + "?" + urlencode(params), state))
    return links


def js_strings() -> dict[str, str]:
    """The upload script's German texts (``%(name)s`` placeholders filled in by the script)."""
    return {
        "too_large": _("„%(name)s“ ist zu groß: höchstens %(limit)s pro Datei."),
        "no_space": _(
            "Nicht genug Speicherplatz: Die Auswahl braucht %(needed)s, frei sind %(free)s. "
            "Löschen Sie Dateien oder leeren Sie den Papierkorb."
        ),
        "reading": _("Ordner werden gelesen …"),
        "folders": _("Ordner werden angelegt …"),
        "uploading": _("Datei %(current)s von %(total)s: %(name)s"),
        "progress": _("%(done)s von %(size)s übertragen"),
        "done": _("Fertig: %(count)s Datei(en) hochgeladen."),
        "failed": _("%(count)s Datei(en) konnten nicht hochgeladen werden."),
        "cancelled": _("Hochladen abgebrochen."),
        "network": _("Die Verbindung wurde unterbrochen. Bitte versuchen Sie es erneut."),
        "nothing": _("Keine Dateien ausgewählt."),
        "drop": _("Loslassen zum Hochladen"),
        "ok": _("fertig"),
        "waiting": _("wartet"),
        "skipped": _("übersprungen"),
        "exists": _("gibt es schon"),
    }


def _folder_page(request: AuthenticatedHttpRequest, space: Space, path: str) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    sort = request.GET.get("sort", "name")
    if sort not in SORT_KEYS:
        sort = "name"
    descending = request.GET.get("order") == "desc"
    if query:
        nodes = storage.search(space, query, limit=SEARCH_LIMIT)
    else:
        try:
            nodes = storage.list_dir(space, path)
        except Conflict:
            # A file's address typed into the folder URL: show or download the file.
            return redirect(url_for("files:preview", space, path))
    if not query or request.GET.get("sort"):
        nodes = sort_nodes(nodes, sort, descending)
    here = browse_url(space, path)
    user = request.user
    own = storage.user_space(user)
    usage = storage.usage_for_user(user) if space == own else storage.usage_for_space(space)
    writable = may_write(user, space)
    limit = max_upload_bytes()
    folder_name = path.rsplit("/", 1)[-1] if path else space.title
    return render(
        request,
        "files/browse.html",
        {
            "space": space,
            "path": path,
            "folder_name": folder_name,
            "crumbs": breadcrumb(space, path),
            "rows": [row_for(node) for node in nodes],
            "query": query,
            "search_capped": bool(query) and len(nodes) >= SEARCH_LIMIT,
            "sort": sort,
            "sort_links": sort_links(here, query, sort, descending),
            "here": here,
            "parent_url": browse_url(space, path.rpartition("/")[0]) if path else "",
            "spaces": storage.spaces_for(user),
            "own_space": own,
            "quota": quota_bar(usage, personal=space == own),
            "personal_quota": space == own,
            "js_strings": js_strings(),
            "writable": writable,
            "upload_url": url_for("files:upload", space, path),
            "mkdir_url": url_for("files:mkdir", space, path),
            "zip_url": url_for("files:zip", space, path),
            "trash_url": url_for("files:trash", space),
            "max_upload": limit or 0,
            "max_upload_text": format_size(limit) if limit else "",
            "quota_free": usage.free,
        },
    )


@files_page
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """``/dateien/``: the user's own files."""
    own = storage.user_space(request.user)
    space = get_space(request, own.kind, own.key, write=False)
    return _folder_page(request, space, "")


@files_page
def browse(request: AuthenticatedHttpRequest, kind: str, key: str, path: str = "") -> HttpResponse:
    """A folder of a space the user may read."""
    space = get_space(request, kind, key, write=False)
    return _folder_page(request, space, clean_path_or_404(path))


@files_page
def preview(request: AuthenticatedHttpRequest, kind: str, key: str, path: str) -> HttpResponse:
    """An image or a PDF shown in the page; other files are downloaded instead."""
    space = get_space(request, kind, key, write=False)
    path = clean_path_or_404(path)
    node = storage.stat(space, path)
    if node.is_dir:
        return redirect(browse_url(space, path))
    if node.content_type not in INLINE_TYPES:
        return redirect(url_for("files:download", space, path))
    return render(
        request,
        "files/preview.html",
        {
            "space": space,
            "node": node,
            "crumbs": breadcrumb(space, path),
            "is_image": node.content_type in IMAGE_TYPES,
            "inline_url": url_for("files:inline", space, path),
            "download_url": url_for("files:download", space, path),
            "folder_url": browse_url(space, node.parent_path),
            "size_text": format_size(node.size),
        },
    )


@files_page
def trash(request: AuthenticatedHttpRequest, kind: str, key: str) -> HttpResponse:
    """The space's trash: restore single entries, or empty it."""
    space = get_space(request, kind, key, write=False)
    entries = storage.trash_list(space)
    return render(
        request,
        "files/trash.html",
        {
            "space": space,
            "entries": [
                {
                    "entry": entry,
                    "size_text": format_size(entry.size),
                    "location": "/".join([space.title, *entry.original_path.split("/")[:-1]]),
                    "restore_url": reverse("files:restore", args=[space.kind, space.key, entry.id]),
                }
                for entry in entries
            ],
            "total_text": format_size(sum(entry.size for entry in entries)),
            "writable": may_write(request.user, space),
            "folder_url": browse_url(space),
            "empty_url": reverse("files:empty_trash", args=[space.kind, space.key]),
        },
    )

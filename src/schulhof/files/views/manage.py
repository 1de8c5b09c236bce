"""Changing files and folders: new folder, rename, move, copy, delete into the trash, restore
and empty the trash. Each view checks write access to every space it touches, then calls one
action of ``files.actions``; the storage's German message is shown when it refuses."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from schulhof.core.http import AuthenticatedHttpRequest
from schulhof.files import names, storage
from schulhof.files.actions import (
    do_copy,
    do_delete,
    do_empty_trash,
    do_ensure_dirs,
    do_make_dir,
    do_move,
    do_restore,
)
from schulhof.files.forms import EnsureFolderForm, NameForm, TargetForm
from schulhof.files.storage import Node, Space, StorageError
from schulhof.files.views.common import (
    Refused,
    breadcrumb,
    browse_url,
    clean_path_or_404,
    files_api,
    files_page,
    get_space,
    may_write,
    url_for,
    wants_json,
)


def _back(request: AuthenticatedHttpRequest, fallback: str) -> str:
    """Where to go after a change: the page the form came from (``next``), if it is ours."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _item(request: AuthenticatedHttpRequest, kind: str, key: str, path: str) -> tuple[Space, Node]:
    """The file or folder an action is about, in a space the user may write."""
    space = get_space(request, kind, key, write=True)
    path = clean_path_or_404(path)
    if not path:
        raise Refused(_("Der Hauptordner kann nicht verändert werden."), 400)
    return space, storage.stat(space, path)


# --- New folder --------------------------------------------------------------------------


def make_dir(
    request: AuthenticatedHttpRequest, kind: str, key: str, path: str = ""
) -> HttpResponseBase:
    """A new folder in ``path``: the form (a name), or the script's folder upload (JSON, a
    relative path whose missing folders are all created)."""
    if wants_json(request):
        return _ensure_dirs(request, kind, key, path)
    return _make_dir_form(request, kind, key, path)


@require_POST
@files_page
def _make_dir_form(
    request: AuthenticatedHttpRequest, kind: str, key: str, path: str
) -> HttpResponse:
    space = get_space(request, kind, key, write=True)
    folder = clean_path_or_404(path)
    form = NameForm(request.POST)
    if form.is_valid():
        name = form.cleaned_data["name"]
        try:
            do_make_dir(space, names.join(folder, name), acting_user=request.user)
        except StorageError as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(request, _("Der Ordner „%(name)s“ wurde angelegt.") % {"name": name})
    else:
        for problem in form.errors.get("name", []):
            messages.error(request, str(problem))
    return redirect(browse_url(space, folder))


@require_POST
@files_api
def _ensure_dirs(request: AuthenticatedHttpRequest, kind: str, key: str, path: str) -> HttpResponse:
    space = get_space(request, kind, key, write=True)
    folder = clean_path_or_404(path)
    form = EnsureFolderForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"error": _("Der Ordnername fehlt.")}, status=400)
    node = do_ensure_dirs(
        space, names.join(folder, form.cleaned_data["path"].strip("/")), acting_user=request.user
    )
    return JsonResponse({"path": node.path}, status=201)


# --- Rename, move, copy ------------------------------------------------------------------


@files_page
def rename(request: AuthenticatedHttpRequest, kind: str, key: str, path: str) -> HttpResponse:
    space, node = _item(request, kind, key, path)
    folder_url = browse_url(space, node.parent_path)
    form = NameForm(request.POST or None, initial={"name": node.name})
    if request.method == "POST" and form.is_valid():
        new_name = form.cleaned_data["name"]
        try:
            do_move(
                space,
                node.path,
                space,
                names.join(node.parent_path, new_name),
                acting_user=request.user,
            )
        except StorageError as error:
            form.add_error("name", error.message)
        else:
            messages.success(
                request,
                _("„%(old)s“ heißt jetzt „%(new)s“.") % {"old": node.name, "new": new_name},
            )
            return redirect(folder_url)
    return render(
        request,
        "files/rename.html",
        {
            "space": space,
            "node": node,
            "form": form,
            "crumbs": breadcrumb(space, node.parent_path),
            "folder_url": folder_url,
        },
    )


@files_page
def move(request: AuthenticatedHttpRequest, kind: str, key: str, path: str) -> HttpResponse:
    return _transfer(request, kind, key, path, copy=False)


@files_page
def copy(request: AuthenticatedHttpRequest, kind: str, key: str, path: str) -> HttpResponse:
    return _transfer(request, kind, key, path, copy=True)


def _transfer(
    request: AuthenticatedHttpRequest, kind: str, key: str, path: str, *, copy: bool
) -> HttpResponse:
    """Move or copy: a folder picker (GET, navigable without JavaScript), then the action."""
    if copy:
        # Copying only reads the source.
        space = get_space(request, kind, key, write=False)
        node = storage.stat(space, clean_path_or_404(path))
        if not node.path:
            raise Refused(_("Der Hauptordner kann nicht verändert werden."), 400)
    else:
        space, node = _item(request, kind, key, path)
    source_folder_url = browse_url(space, node.parent_path)
    data = request.POST if request.method == "POST" else request.GET
    picked = TargetForm(data) if "target_kind" in data else None
    if picked is not None and picked.is_valid():
        target_kind = picked.cleaned_data["target_kind"]
        target_key = picked.cleaned_data["target_key"]
        target_folder = clean_path_or_404(picked.cleaned_data["target_path"])
    else:
        target_kind, target_key, target_folder = space.kind, space.key, node.parent_path
    target = get_space(request, target_kind, target_key, write=False)
    error = ""
    if request.method == "POST":
        target = get_space(request, target_kind, target_key, write=True)
        destination = names.join(target_folder, _free_name(target, target_folder, node, copy))
        action = do_copy if copy else do_move
        try:
            action(space, node.path, target, destination, acting_user=request.user)
        except StorageError as refusal:
            error = refusal.message
        else:
            where = " / ".join(crumb.title for crumb in breadcrumb(target, target_folder))
            text = (
                _("„%(name)s“ wurde nach „%(target)s“ kopiert.")
                if copy
                else _("„%(name)s“ wurde nach „%(target)s“ verschoben.")
            )
            messages.success(request, text % {"name": node.name, "target": where})
            return redirect(source_folder_url)
    try:
        folders = [n for n in storage.list_dir(target, target_folder) if n.is_dir]
    except StorageError:
        target, target_folder = space, node.parent_path
        folders = [n for n in storage.list_dir(target, target_folder) if n.is_dir]
    if node.is_dir and target == space:
        # A folder cannot go into itself; don't offer the way in.
        folders = [f for f in folders if f.path != node.path]
    action_url = url_for("files:copy" if copy else "files:move", space, node.path)

    def pick_url(pick_space: Space, pick_path: str) -> str:
        query = {"target_kind": pick_space.kind, "target_key": pick_space.key}
        if pick_path:
            query["target_path"] = pick_path
        return action_url + "?" + urlencode(query)

    return render(
        request,
        "files/transfer.html",
        {
            "copy": copy,
            "space": space,
            "node": node,
            "error": error,
            "action_url": action_url,
            "source_folder_url": source_folder_url,
            "target": target,
            "target_path": target_folder,
            "target_writable": may_write(request.user, target),
            "target_crumbs": [
                (crumb.title, pick_url(target, "/".join(target_folder.split("/")[:i])))
                for i, crumb in enumerate(breadcrumb(target, target_folder))
            ],
            "target_spaces": [
                (s, pick_url(s, ""))
                for s in storage.spaces_for(request.user)
                if may_write(request.user, s)
            ],
            "folders": [(f, pick_url(target, f.path)) for f in folders],
        },
    )


def _free_name(target: Space, folder: str, node: Node, copy: bool) -> str:
    """A copy into its own folder gets a free name ("Bericht (2).pdf"); otherwise the name
    stays and the storage refuses a name that is taken."""
    if not (copy and target == node.space and folder == node.parent_path):
        return node.name
    taken = {n.name for n in storage.list_dir(target, folder, include_hidden=True)}
    return names.free_name(node.name, taken)


# --- Delete, trash -----------------------------------------------------------------------


@require_POST
@files_page
def delete(request: AuthenticatedHttpRequest, kind: str, key: str, path: str) -> HttpResponse:
    """Into the trash (nothing is lost, so no confirmation)."""
    space, node = _item(request, kind, key, path)
    back = _back(request, browse_url(space, node.parent_path))
    try:
        do_delete(space, node.path, acting_user=request.user)
    except StorageError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("„%(name)s“ wurde in den Papierkorb gelegt.") % {"name": node.name}
        )
    return redirect(back)


@require_POST
@files_page
def restore(request: AuthenticatedHttpRequest, kind: str, key: str, trash_id: int) -> HttpResponse:
    space = get_space(request, kind, key, write=True)
    try:
        node = do_restore(space, trash_id, acting_user=request.user)
    except StorageError as error:
        messages.error(request, error.message)
    else:
        where = " / ".join(crumb.title for crumb in breadcrumb(space, node.parent_path))
        messages.success(
            request,
            _("„%(name)s“ ist wieder da, in „%(folder)s“.") % {"name": node.name, "folder": where},
        )
    return redirect(reverse("files:trash", args=[space.kind, space.key]))


@files_page
def empty_trash(request: AuthenticatedHttpRequest, kind: str, key: str) -> HttpResponse:
    """Ask first (GET), then delete everything in the trash for good (POST)."""
    space = get_space(request, kind, key, write=True)
    trash_url = reverse("files:trash", args=[space.kind, space.key])
    if request.method == "POST":
        try:
            do_empty_trash(space, acting_user=request.user)
        except StorageError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Der Papierkorb wurde geleert."))
        return redirect(trash_url)
    entries = storage.trash_list(space)
    return render(
        request,
        "files/empty_trash.html",
        {"space": space, "count": len(entries), "trash_url": trash_url},
    )

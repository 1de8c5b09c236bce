"""WebDAV at ``/webdav/``: a WsgiDAV provider, lock storage and property store over our storage.

Layout (as in IServ): ``/webdav/Files/`` is the user's own space, ``/webdav/Groups/<slug>/``
the folder of each group with a folder the user is a member of. Every operation goes through
``files.storage`` (reads) and ``files.actions`` (writes), so WebDAV has the same permissions,
quota and trash as the web file manager. Authentication is HTTP Basic through the one
authentication service (``files.dav_auth``).

Internally each resource is keyed by a *reference URL* that names the space, not the request
path: ``/u/<username>/<path>`` or ``/g/<slug>/<path>``. WsgiDAV keys locks and dead properties
by it, so the ``/Files/x`` of two users never share a lock.

Client quirks handled here (see ``docs/dev/files.md``):

- Windows mini-redirector: ``Win32LastModifiedTime`` and friends are accepted (PROPPATCH sets
  the modification time instead of failing the copy); RFC 4331 quota properties give Explorer
  the free space; ``MS-Author-Via: DAV``; ``OPTIONS`` without credentials.
- macOS Finder: ``._*`` and ``.DS_Store`` are stored (Finder aborts a copy otherwise) but
  hidden in the web and deleted for good; chunked PUTs with ``X-Expected-Entity-Length`` are
  checked against the quota up front.
- davfs2, GNOME (gvfs), Office: class 2 locks, also on unmapped URLs (creating an empty file).
- rclone: MKCOL on an existing folder answers 405; sizes and times from the index.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, unquote

from django.utils.translation import gettext as _
from wsgidav import util as dav_util
from wsgidav.dav_error import (
    HTTP_BAD_REQUEST,
    HTTP_CONFLICT,
    HTTP_FORBIDDEN,
    HTTP_INSUFFICIENT_STORAGE,
    HTTP_INTERNAL_ERROR,
    HTTP_METHOD_NOT_ALLOWED,
    HTTP_NOT_FOUND,
    HTTP_PRECONDITION_FAILED,
    HTTP_REQUEST_ENTITY_TOO_LARGE,
    DAVError,
)
from wsgidav.dav_provider import DAVCollection, DAVNonCollection, DAVProvider
from wsgidav.lock_man.lock_manager import normalize_lock_root

from schulhof.files import actions, names, storage
from schulhof.files.dav_store import (
    copy_properties,
    delete_by_prefix,
    move_properties,
)
from schulhof.files.errors import (
    AlreadyExists,
    Conflict,
    Forbidden,
    InvalidName,
    NotFound,
    QuotaExceeded,
    StorageError,
    TooLarge,
)
from schulhof.files.models import DavLock, DavProperty
from schulhof.files.storage import Node, Space
from schulhof.files.tree import guess_content_type
from schulhof.files.writing import PendingWrite

logger = logging.getLogger(__name__)

FILES = "Files"
GROUPS = "Groups"


# --- Errors ------------------------------------------------------------------------------


class SchulhofDAVError(DAVError):
    """A DAVError whose body is our German message as plain text."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(status, message)
        self.message = message

    def get_response_page(self) -> tuple[str, bytes]:
        return _plain_response_page(self)


def _status_text(status: int) -> str:
    """A short German text for statuses WsgiDAV raises itself (not through our errors)."""
    texts = {
        200: _("OK"),
        201: _("Angelegt."),
        400: _("Ungültige Anfrage."),
        403: _("Das ist hier nicht erlaubt."),
        404: _("Nicht gefunden."),
        405: _("Diese Aktion ist für dieses Objekt nicht möglich."),
        409: _("Der übergeordnete Ordner existiert nicht."),
        412: _("Eine Vorbedingung der Anfrage ist nicht erfüllt."),
        415: _("Dieser Inhaltstyp wird nicht unterstützt."),
        423: _("Die Datei ist gesperrt (sie wird gerade bearbeitet)."),
        500: _("Interner Fehler. Bitte später erneut versuchen."),
    }
    return texts.get(status, _("Die Anfrage konnte nicht ausgeführt werden."))


def _plain_response_page(self: DAVError) -> tuple[str, bytes]:
    """Replaces WsgiDAV's English HTML error page (with version and time) by one German
    line; RFC 4918 condition bodies (XML) stay as they are."""
    if self.err_condition:
        return ("application/xml; charset=utf-8", dav_util.to_bytes(self.err_condition.as_string()))
    message = getattr(self, "message", None) or _status_text(int(self.value))
    return ("text/plain; charset=utf-8", (message + "\n").encode("utf-8"))


def install_plain_error_pages() -> None:
    """Make every DAVError render as :func:`_plain_response_page` (called once by
    ``dav_app.make_dav_app``; WsgiDAV has no hook for its error pages)."""
    DAVError.get_response_page = _plain_response_page


_STATUS = [
    (NotFound, HTTP_NOT_FOUND),
    (AlreadyExists, HTTP_PRECONDITION_FAILED),
    (InvalidName, HTTP_BAD_REQUEST),
    (QuotaExceeded, HTTP_INSUFFICIENT_STORAGE),
    (TooLarge, HTTP_REQUEST_ENTITY_TOO_LARGE),
    (Forbidden, HTTP_FORBIDDEN),
    (Conflict, HTTP_CONFLICT),
]


def dav_error(error: StorageError) -> SchulhofDAVError:
    """The HTTP status for a storage error, with its German message as body."""
    for kind, status in _STATUS:
        if isinstance(error, kind):
            return SchulhofDAVError(status, error.message)
    return SchulhofDAVError(HTTP_BAD_REQUEST, error.message)


def _user(environ: dict[str, Any]) -> Any:
    return environ["schulhof.user"]


def _check(environ: dict[str, Any], space: Space, *, write: bool) -> None:
    try:
        storage.check_access(_user(environ), space, write=write)
    except Forbidden as error:
        raise dav_error(error) from None


# --- Reference URLs ----------------------------------------------------------------------


def ref_prefix(space: Space) -> str:
    """The reference-URL prefix of a space (locks and dead properties are keyed by it)."""
    return "/%s/%s/" % ("u" if space.kind == "user" else "g", quote(space.key, safe=""))


def ref_url(space: Space, path: str, *, is_dir: bool) -> str:
    """The reference URL of ``path`` in ``space`` (folders end with ``/``)."""
    url = ref_prefix(space) + quote(path, safe="/")
    if path and is_dir:
        url += "/"
    return url


def _ref_to_public(ref: str) -> str:
    """Invert :func:`ref_url` into the public path below /webdav (for lock roots)."""
    parts = ref.lstrip("/").split("/", 2)
    if len(parts) >= 2 and parts[0] in ("u", "g"):
        rest = unquote(parts[2]) if len(parts) > 2 else ""
        if parts[0] == "u":
            return "/%s/%s" % (FILES, rest)
        return "/%s/%s/%s" % (GROUPS, unquote(parts[1]), rest)
    return "/" + unquote(ref).lstrip("/")


# --- Resources ---------------------------------------------------------------------------


class _SpaceMixin:
    """What files and folders of a space share: their space, path, node and reference URL."""

    space: Space
    rel: str
    node: Node | None
    environ: dict[str, Any]
    provider: SchulhofProvider

    def get_ref_url(self) -> str:
        return ref_url(self.space, self.rel, is_dir=bool(getattr(self, "is_collection", False)))

    def get_creation_date(self) -> float | None:
        return self.node.modified.timestamp() if self.node else None

    def get_last_modified(self) -> float | None:
        return self.node.modified.timestamp() if self.node else None

    def set_last_modified(self, dest_path: str, time_stamp: Any, *, dry_run: bool) -> bool:
        """Windows (``Win32LastModifiedTime``) and ``getlastmodified`` PROPPATCH."""
        when = _parse_time(time_stamp)
        if when is None or not self.rel:
            return True
        _check(self.environ, self.space, write=True)
        if not dry_run:
            try:
                actions.do_set_modified(self.space, self.rel, when, acting_user=_user(self.environ))
            except StorageError as error:
                raise dav_error(error) from None
        return True

    def _write_check(self) -> None:
        _check(self.environ, self.space, write=True)

    def _remove_dead_state(self, *, ref: str) -> None:
        """Locks and dead properties of a deleted or moved-away subtree."""
        delete_by_prefix(DavLock, "root", normalize_lock_root(ref))
        delete_by_prefix(DavProperty, "ref_url", ref)

    def _quota_props(self) -> Any:
        cache = self.environ.setdefault("schulhof.dav.usage", {})
        if self.space not in cache:
            cache[self.space] = storage.usage_for_space(self.space)
        return cache[self.space]

    # Native recursive operations, so that the trash and quota rules of the actions apply.

    def handle_delete(self) -> bool:
        if not self.rel:
            raise SchulhofDAVError(HTTP_FORBIDDEN, _("Der Hauptordner kann nicht gelöscht werden."))
        self._write_check()
        lock_manager = self.provider.lock_manager
        if lock_manager is not None:
            lock_manager.check_write_permission(
                url=self.get_ref_url(),
                depth="infinity",
                token_list=self.environ.get("wsgidav.ifLockTokenList", []),
                principal=self.environ["wsgidav.user_name"],
            )
        try:
            actions.do_delete(self.space, self.rel, acting_user=_user(self.environ))
        except StorageError as error:
            raise dav_error(error) from None
        self._remove_dead_state(ref=self.get_ref_url())
        return True

    def _target(self, dest_path: str) -> tuple[Space, str]:
        located = self.provider.locate(dest_path, self.environ)
        if located is None:
            raise SchulhofDAVError(HTTP_FORBIDDEN, _("Hier können keine Dateien abgelegt werden."))
        space, rel = located
        if not rel:
            raise SchulhofDAVError(HTTP_FORBIDDEN, _("Der Hauptordner kann nicht ersetzt werden."))
        _check(self.environ, space, write=True)
        return space, rel

    def handle_move(self, dest_path: str) -> bool:
        if not self.rel:
            raise SchulhofDAVError(
                HTTP_FORBIDDEN, _("Der Hauptordner kann nicht verschoben werden.")
            )
        self._write_check()
        space, rel = self._target(dest_path)
        overwrite = self.environ.get("HTTP_OVERWRITE", "T") == "T"
        is_dir = bool(getattr(self, "is_collection", False))
        src_ref = self.get_ref_url()
        try:
            target = storage.stat(space, rel)
        except StorageError:
            target = None
        self.environ["schulhof.dav.created"] = target is None
        try:
            actions.do_move(
                self.space,
                self.rel,
                space,
                rel,
                acting_user=_user(self.environ),
                overwrite=overwrite,
            )
        except StorageError as error:
            raise dav_error(error) from None
        dst_ref = ref_url(space, rel, is_dir=is_dir)
        if target is not None:
            self._remove_dead_state(ref=ref_url(space, rel, is_dir=target.is_dir))
        delete_by_prefix(DavLock, "root", normalize_lock_root(src_ref))
        move_properties(src_ref, dst_ref)
        return True

    def handle_copy(self, dest_path: str, *, depth_infinity: bool) -> bool:
        space, rel = self._target(dest_path)
        overwrite = self.environ.get("HTTP_OVERWRITE", "T") == "T"
        is_dir = bool(getattr(self, "is_collection", False))
        try:
            target = storage.stat(space, rel)
        except StorageError:
            target = None
        self.environ["schulhof.dav.created"] = target is None
        try:
            actions.do_copy(
                self.space,
                self.rel,
                space,
                rel,
                acting_user=_user(self.environ),
                overwrite=overwrite,
                recursive=depth_infinity,
            )
        except StorageError as error:
            raise dav_error(error) from None
        if target is not None:
            self._remove_dead_state(ref=ref_url(space, rel, is_dir=target.is_dir))
        copy_properties(
            self.get_ref_url(), ref_url(space, rel, is_dir=is_dir), recursive=depth_infinity
        )
        return True


class SpaceFile(_SpaceMixin, DAVNonCollection):
    """A file in a space. Also stands for a file that a PUT is about to create (``node`` is
    None until the upload is committed)."""

    def __init__(
        self, path: str, environ: dict[str, Any], space: Space, rel: str, node: Node | None
    ) -> None:
        super().__init__(path, environ)
        self.space = space
        self.rel = rel
        self.node = node
        self._pending: PendingWrite | None = None

    def get_content_length(self) -> int:
        return self.node.size if self.node else 0

    def get_content_type(self) -> str:
        if self.node and self.node.content_type:
            return self.node.content_type
        return guess_content_type(self.name)

    def get_etag(self) -> str | None:
        return self.node.etag if self.node else None

    def support_etag(self) -> bool:
        return True

    def support_ranges(self) -> bool:
        return True

    def get_content(self) -> Any:
        try:
            return storage.open_read(self.space, self.rel)
        except StorageError as error:
            raise dav_error(error) from None

    def begin_write(self, *, content_type: str | None = None) -> _Writer:
        self._write_check()
        environ = self.environ
        expected = _expected_size(environ)
        hint = environ.get("HTTP_X_EXPECTED_ENTITY_LENGTH", "")
        try:
            if expected is None and hint.isdigit():
                # macOS Finder streams chunked; refuse at once what cannot fit.
                usage = storage.usage_for_space(self.space)
                if int(hint) > usage.free + (self.node.size if self.node else 0):
                    raise QuotaExceeded()
            self._pending = PendingWrite(
                self.space,
                self.rel,
                acting_user=_user(environ),
                overwrite=True,
                expected_size=expected,
            )
        except StorageError as error:
            raise dav_error(error) from None
        return _Writer(self)

    def end_write(self, *, with_errors: bool) -> None:
        if with_errors and self._pending is not None:
            self._pending.abort()
        self._pending = None


class _Writer:
    """The file object WsgiDAV writes a PUT body into; ``close()`` commits."""

    def __init__(self, resource: SpaceFile) -> None:
        self.resource = resource

    def write(self, data: bytes) -> None:
        pending = self.resource._pending
        if pending is None:
            raise SchulhofDAVError(HTTP_INTERNAL_ERROR, _("Das Hochladen wurde abgebrochen."))
        try:
            pending.write(data)
        except StorageError as error:
            raise dav_error(error) from None

    def writelines(self, chunks: Iterable[bytes]) -> None:
        for chunk in chunks:
            self.write(chunk)

    def close(self) -> None:
        pending = self.resource._pending
        if pending is None:
            raise SchulhofDAVError(HTTP_INTERNAL_ERROR, _("Das Hochladen wurde abgebrochen."))
        try:
            self.resource.node = pending.commit()
        except StorageError as error:
            raise dav_error(error) from None


class SpaceFolder(_SpaceMixin, DAVCollection):
    """A folder of a space (``rel == ""``: the space's root, ``/Files`` or ``/Groups/x``)."""

    def __init__(
        self, path: str, environ: dict[str, Any], space: Space, rel: str, node: Node
    ) -> None:
        super().__init__(path, environ)
        self.space = space
        self.rel = rel
        self.node = node

    def get_display_name(self) -> str:
        if not self.rel and self.space.kind == "group":
            return self.space.title  # the group's name, e.g. "Klasse 5a"
        return self.name or (self.node.name if self.node else "")

    def get_used_bytes(self) -> int | None:
        return self._quota_props().used

    def get_available_bytes(self) -> int | None:
        return self._quota_props().free

    def get_member_names(self) -> list[str]:
        return [node.name for node in self._children()]

    def _children(self) -> list[Node]:
        try:
            return storage.list_dir(self.space, self.rel, include_hidden=True)
        except StorageError as error:
            raise dav_error(error) from None

    def get_member_list(self) -> list[Any]:
        return [self._member(node) for node in self._children()]

    def get_member(self, name: str) -> Any:
        return self.provider.get_resource_inst(dav_util.join_uri(self.path, name), self.environ)

    def _member(self, node: Node) -> Any:
        path = dav_util.join_uri(self.path, node.name)
        if node.is_dir:
            return SpaceFolder(path, self.environ, self.space, node.path, node)
        return SpaceFile(path, self.environ, self.space, node.path, node)

    def support_recursive_delete(self) -> bool:
        return True

    def _child_rel(self, name: str) -> str:
        try:
            return storage.canonical_path(names.join(self.rel, names.check_name(name)))
        except names.BadName as error:
            raise dav_error(InvalidName(error.message)) from None
        except StorageError as error:
            raise dav_error(error) from None

    def create_empty_resource(self, name: str) -> SpaceFile:
        self._write_check()
        rel = self._child_rel(name)
        path = dav_util.join_uri(self.path, name)
        if self.environ.get("REQUEST_METHOD") == "PUT":
            # The upload itself creates the file, atomically: nothing exists before it is
            # complete (WsgiDAV would otherwise leave an empty file after a failed PUT).
            return SpaceFile(path, self.environ, self.space, rel, None)
        try:
            # LOCK on an unmapped URL creates an empty file (RFC 4918 7.3).
            node = actions.do_write_file(
                self.space, rel, [b""], acting_user=_user(self.environ), overwrite=False
            )
        except StorageError as error:
            raise dav_error(error) from None
        return SpaceFile(path, self.environ, self.space, rel, node)

    def create_collection(self, name: str) -> None:
        self._write_check()
        rel = self._child_rel(name)
        try:
            actions.do_make_dir(self.space, rel, acting_user=_user(self.environ))
        except AlreadyExists:
            raise SchulhofDAVError(
                HTTP_METHOD_NOT_ALLOWED, _("Diesen Ordner gibt es schon.")
            ) from None
        except StorageError as error:
            raise dav_error(error) from None

    def delete(self) -> None:  # pragma: no cover - handle_delete does the work
        self.handle_delete()

    def copy_move_single(self, dest_path: str, *, is_move: bool) -> None:  # pragma: no cover
        raise SchulhofDAVError(HTTP_FORBIDDEN, _("Nicht unterstützt."))


class VirtualFolder(DAVCollection):
    """``/`` (with ``Files`` and ``Groups``) and ``/Groups`` (with the user's group folders):
    read-only listings."""

    def __init__(self, path: str, environ: dict[str, Any], members: list[str]) -> None:
        super().__init__(path, environ)
        self._members = members

    def get_member_names(self) -> list[str]:
        return list(self._members)

    def get_member(self, name: str) -> Any:
        return self.provider.get_resource_inst(dav_util.join_uri(self.path, name), self.environ)

    def get_last_modified(self) -> float | None:
        return None

    def get_display_name(self) -> str:
        return self.name or "WebDAV"

    def prevent_locking(self) -> bool:
        return True

    def handle_delete(self) -> bool:
        raise SchulhofDAVError(HTTP_FORBIDDEN, _("Dieser Ordner kann nicht gelöscht werden."))

    def handle_move(self, dest_path: str) -> bool:
        raise SchulhofDAVError(HTTP_FORBIDDEN, _("Dieser Ordner kann nicht verschoben werden."))

    def handle_copy(self, dest_path: str, *, depth_infinity: bool) -> bool:
        raise SchulhofDAVError(HTTP_FORBIDDEN, _("Dieser Ordner kann nicht kopiert werden."))

    def create_empty_resource(self, name: str) -> Any:
        raise SchulhofDAVError(
            HTTP_FORBIDDEN,
            _("Hier können keine Dateien abgelegt werden. Bitte den Ordner „Files“ benutzen."),
        )

    def create_collection(self, name: str) -> None:
        raise SchulhofDAVError(
            HTTP_FORBIDDEN,
            _("Hier können keine Ordner angelegt werden. Bitte den Ordner „Files“ benutzen."),
        )


# --- Provider ----------------------------------------------------------------------------


class SchulhofProvider(DAVProvider):
    """Maps ``/Files/…`` and ``/Groups/<slug>/…`` onto the storage, for the authenticated
    user in ``environ["schulhof.user"]``."""

    def __repr__(self) -> str:
        return "SchulhofProvider"

    def ref_url_to_path(self, ref_url: str) -> str:
        return _ref_to_public(ref_url)

    def custom_request_handler(
        self, environ: dict[str, Any], start_response: Any, default_handler: Any
    ) -> Any:
        """COPY and MOVE are done natively (``handle_copy``/``handle_move``), for which
        WsgiDAV always answers 204; RFC 4918 wants 201 when the destination is new."""
        if environ.get("REQUEST_METHOD") not in ("COPY", "MOVE"):
            return default_handler(environ, start_response)

        def start(status: str, headers: list[Any], exc_info: Any = None) -> Any:
            if status.startswith("204") and environ.get("schulhof.dav.created"):
                status = "201 Created"
            return start_response(status, headers, exc_info)

        return default_handler(environ, start)

    def locate(self, path: str, environ: dict[str, Any]) -> tuple[Space, str] | None:
        """The (space, canonical path) for a request path, None for the virtual folders.
        Raises SchulhofDAVError 404 for group folders the user may not see and 400 for
        names that are not allowed."""
        parts = [part for part in path.split("/") if part]
        if not parts:
            return None
        top = parts[0]
        user = _user(environ)
        if top.lower() == FILES.lower():
            space = storage.user_space(user)
            rest = parts[1:]
        elif top.lower() == GROUPS.lower():
            if len(parts) == 1:
                return None
            space = self._group_space(environ, parts[1])
            rest = parts[2:]
        else:
            raise SchulhofDAVError(HTTP_NOT_FOUND, _("Diesen Ordner gibt es nicht."))
        try:
            return space, storage.canonical_path("/".join(rest))
        except StorageError as error:
            raise dav_error(error) from None

    def _group_space(self, environ: dict[str, Any], slug: str) -> Space:
        for space in self._group_spaces(environ):
            if space.key == slug:
                return space
        # Not a member (or no such folder): not found, so nothing about it is revealed.
        raise SchulhofDAVError(HTTP_NOT_FOUND, _("Diesen Gruppenordner gibt es nicht."))

    def _group_spaces(self, environ: dict[str, Any]) -> list[Space]:
        cached = environ.get("schulhof.dav.groups")
        if cached is None:
            cached = [s for s in storage.spaces_for(_user(environ)) if s.kind == "group"]
            environ["schulhof.dav.groups"] = cached
        return list(cached)

    def get_resource_inst(self, path: str, environ: dict[str, Any]) -> Any:
        parts = [part for part in path.split("/") if part]
        if not parts:
            return VirtualFolder("/", environ, [FILES, GROUPS])
        if len(parts) == 1 and parts[0].lower() == GROUPS.lower():
            members = [space.key for space in self._group_spaces(environ)]
            return VirtualFolder("/" + GROUPS, environ, members)
        try:
            located = self.locate(path, environ)
        except SchulhofDAVError as error:
            if error.value in (HTTP_NOT_FOUND, HTTP_BAD_REQUEST):
                return None
            raise
        if located is None:  # pragma: no cover - handled above
            return None
        space, rel = located
        _check(environ, space, write=False)
        try:
            node = storage.stat(space, rel)
        except NotFound:
            return None
        except StorageError as error:
            raise dav_error(error) from None
        if node.is_dir:
            return SpaceFolder(path, environ, space, rel, node)
        return SpaceFile(path, environ, space, rel, node)


# --- Helpers -----------------------------------------------------------------------------


def _expected_size(environ: dict[str, Any]) -> int | None:
    if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        return None
    length = environ.get("CONTENT_LENGTH", "")
    try:
        return int(length) if length not in ("", None) else 0
    except ValueError:
        raise SchulhofDAVError(HTTP_BAD_REQUEST, _("Ungültige Längenangabe.")) from None


def _parse_time(value: Any) -> datetime | None:
    """A time from PROPPATCH: RFC 1123 text (Windows) or seconds since the epoch."""
    if isinstance(value, int | float):
        from datetime import UTC

        return datetime.fromtimestamp(value, tz=UTC)
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(str(value))
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else None

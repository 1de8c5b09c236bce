"""The WSGI application behind ``/webdav/``: Basic authentication through the one
authentication service, Django's per-request housekeeping, then WsgiDAV with our provider.

Authentication: every WebDAV request carries the password (HTTP Basic). Checking it with
Argon2 and writing a login entry and an audit entry for each of the hundreds of requests a
client sends per minute would be slow and would flood the log, so a *successful* decision of
``accounts.authentication.authenticate`` is remembered for ``AUTH_CACHE_SECONDS`` in the
process, keyed by a keyed hash of name and password. The entry is only used while the
account's stored password hash is unchanged and the account is active; sanctions and group
memberships are checked on every request by ``files.policies``. Failures are never cached.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.conf import settings
from django.core import signals
from django.utils import translation
from django.utils.translation import gettext as _

from schulhof.core import context

logger = logging.getLogger(__name__)

MOUNT_PATH = "/webdav"
REALM = "Schulhof"
AUTH_CACHE_SECONDS = 300
AUTH_CACHE_SIZE = 10_000
# A refused PUT's remaining body is read (and discarded) up to this size, so that the client
# sees our answer (507, 413, 403) instead of a connection reset.
DRAIN_LIMIT = 64 * 1024 * 1024
DAV_METHODS = (
    "OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, PROPPATCH, MKCOL, COPY, MOVE, LOCK, UNLOCK"
)

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class _AuthCache:
    """Successful logins of the last minutes: key → (user id, password hash, expiry)."""

    def __init__(self) -> None:
        self._entries: OrderedDict[str, tuple[int, str, float]] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(username: str, password: str) -> str:
        secret = settings.SECRET_KEY.encode("utf-8")
        message = "%s\x00%s" % (username.strip().lower(), password)
        return hmac.new(secret, message.encode("utf-8"), hashlib.sha256).hexdigest()

    def get(self, key: str) -> tuple[int, str] | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[2] < time.monotonic():
                del self._entries[key]
                return None
            return entry[0], entry[1]

    def put(self, key: str, user_id: int, password_hash: str) -> None:
        with self._lock:
            self._entries[key] = (user_id, password_hash, time.monotonic() + AUTH_CACHE_SECONDS)
            self._entries.move_to_end(key)
            while len(self._entries) > AUTH_CACHE_SIZE:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


auth_cache = _AuthCache()


def client_address(environ: dict[str, Any]) -> str | None:
    """The client's address; behind the TLS proxy the last X-Forwarded-For hop (as in
    ``core.middleware``)."""
    if settings.SCHULHOF_CONFIG.behind_tls_proxy:
        forwarded = environ.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip() or None
    return environ.get("REMOTE_ADDR") or None


def _credentials(environ: dict[str, Any]) -> tuple[str, str] | None:
    header = environ.get("HTTP_AUTHORIZATION", "")
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    username, sep, password = text.partition(":")
    if not sep:
        return None
    return username, password


def authenticate_request(environ: dict[str, Any]) -> tuple[Any, str]:
    """The user of a WebDAV request, or (None, German reason)."""
    from schulhof.accounts.authentication import authenticate
    from schulhof.accounts.models import Status, User

    creds = _credentials(environ)
    if creds is None:
        return None, _("Bitte melden Sie sich mit Ihrem Benutzernamen und Passwort an.")
    username, password = creds
    key = auth_cache.key(username, password)
    cached = auth_cache.get(key)
    if cached is not None:
        user = User.objects.filter(pk=cached[0]).first()
        if user is not None and user.password == cached[1] and user.status == Status.ACTIVE:
            return user, ""
    result = authenticate(
        username, password, protocol="webdav", client_address=client_address(environ)
    )
    if not result.ok or result.user is None:
        return None, result.message or _("Benutzername oder Passwort ist falsch.")
    auth_cache.put(key, result.user.pk, result.user.password)
    return result.user, ""


def _plain(
    start_response: StartResponse, status: str, text: str, headers: list[Any]
) -> list[bytes]:
    body = (text + "\n").encode("utf-8")
    start_response(
        status,
        [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(body))),
            *headers,
        ],
    )
    return [body]


def options_response(start_response: StartResponse) -> list[bytes]:
    """OPTIONS without credentials (Windows asks before it logs in, also for ``/``)."""
    start_response(
        "200 OK",
        [
            ("Content-Length", "0"),
            ("DAV", "1, 2"),
            ("MS-Author-Via", "DAV"),
            ("Allow", DAV_METHODS),
        ],
    )
    return [b""]


def _valid_path(environ: dict[str, Any]) -> bool:
    """WSGI gives the path as latin-1 text of the raw bytes; they must be UTF-8, and ``..``
    must not lead above ``/webdav`` (WsgiDAV would answer that with a broken response)."""
    try:
        path = environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8")
    except UnicodeError:
        return False
    depth = 0
    for part in path.split("/"):
        if part == "..":
            depth -= 1
            if depth < 0:
                return False
        elif part not in ("", "."):
            depth += 1
    return "#" not in environ.get("RAW_URI", "")


def _drain(environ: dict[str, Any]) -> None:
    stream = environ.get("wsgi.input")
    if stream is None or environ.get("REQUEST_METHOD") not in ("PUT", "POST", "PROPPATCH"):
        return
    left = DRAIN_LIMIT
    try:
        while left > 0:
            chunk = stream.read(min(left, 1024 * 1024))
            if not chunk:
                return
            left -= len(chunk)
    except Exception:  # the client went away; nothing to do
        return


_REASONS = {"507": "507 Insufficient Storage", "423": "423 Locked", "424": "424 Failed Dependency"}


def _with_reason(start_response: StartResponse) -> StartResponse:
    """WsgiDAV answers "507 Status"; clients show the reason phrase, so give the real one."""

    def start(status: str, headers: list[Any], exc_info: Any = None) -> Any:
        code = status[:3]
        if code in _REASONS and status.endswith(" Status"):
            status = _REASONS[code]
        return start_response(status, headers, exc_info)

    return start


class DavGate:
    """Authenticate, then hand the request to WsgiDAV (mounted at ``/webdav``)."""

    def __init__(self, dav: WSGIApp) -> None:
        self.dav = dav

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterator[bytes]:
        return self._handle(environ, start_response)

    def _handle(self, environ: dict[str, Any], start_response: StartResponse) -> Iterator[bytes]:
        signals.request_started.send(sender=self.__class__, environ=environ)
        translation.activate(settings.LANGUAGE_CODE)
        token = context.client_address.set(client_address(environ))
        try:
            if not _valid_path(environ):
                yield from _plain(start_response, "400 Bad Request", _("Ungültige Adresse."), [])
                return
            if environ.get("REQUEST_METHOD") == "OPTIONS" and not environ.get("HTTP_AUTHORIZATION"):
                yield from options_response(start_response)
                return
            user, reason = authenticate_request(environ)
            if user is None:
                yield from _plain(
                    start_response,
                    "401 Unauthorized",
                    reason,
                    [("WWW-Authenticate", 'Basic realm="%s", charset="UTF-8"' % REALM)],
                )
                return
            environ["schulhof.user"] = user
            environ["wsgidav.auth.user_name"] = user.username
            environ["wsgidav.auth.realm"] = REALM
            environ["wsgidav.auth.roles"] = []
            environ["wsgidav.auth.permissions"] = []
            yield from self.dav(environ, _with_reason(start_response))
        finally:
            _drain(environ)
            context.client_address.reset(token)
            translation.deactivate()
            signals.request_finished.send(sender=self.__class__)


def make_dav_app() -> DavGate:
    """The WebDAV application: our gate in front of WsgiDAV with our provider, locks and
    properties. Mounted at ``/webdav`` by ``schulhof.wsgi``."""
    from wsgidav.error_printer import ErrorPrinter
    from wsgidav.request_resolver import RequestResolver
    from wsgidav.wsgidav_app import WsgiDAVApp

    from schulhof.files.dav import SchulhofProvider, install_plain_error_pages
    from schulhof.files.dav_store import DatabaseLockStorage, DatabasePropertyManager

    install_plain_error_pages()

    config = {
        "provider_mapping": {"/": SchulhofProvider()},
        "mount_path": MOUNT_PATH,
        "lock_storage": DatabaseLockStorage(),
        "property_manager": DatabasePropertyManager(),
        "middleware_stack": [ErrorPrinter, RequestResolver],
        "http_authenticator": {"domain_controller": None},
        "dir_browser": {"enable": False},
        "hotfixes": {
            "emulate_win32_lastmod": True,
            "re_encode_path_info": True,
            "unquote_path_info": False,
        },
        "add_header_MS_Author_Via": True,
        "suppress_version_info": True,
        "block_size": 256 * 1024,
        "verbose": 1,
        "logging": {"enable": False},
    }
    return DavGate(WsgiDAVApp(config))

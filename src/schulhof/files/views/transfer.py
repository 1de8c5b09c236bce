"""Bytes in and out: the streamed upload, file downloads (with Range and conditional
requests), the inline view for previews, and a folder as a streamed ZIP.

Uploads from the file manager's script are raw ``PUT`` bodies: one file per request, its
name (percent-encoded, UTF-8) in the ``X-File-Name`` header. Django hands such a body to
the view unread, and ``do_write_file`` pulls it from ``request.read()`` a chunk at a time
into the temporary file, so neither memory nor a spool file grows with the upload (Django's
upload handlers, used for multipart forms, would first spool the whole file to /tmp). The
plain form upload (without JavaScript) is still accepted as ``POST`` multipart.

Downloads never let an uploaded file run script in our origin: only PNG, JPEG, GIF, WebP and
PDF are ever shown inline; everything else is an attachment, script-like types are sent as
``application/octet-stream``, ``nosniff`` is set and a sandboxing CSP travels with the file.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Iterator
from typing import BinaryIO
from urllib.parse import quote, unquote

from django.contrib import messages
from django.http import (
    HttpResponse,
    HttpResponseBase,
    HttpResponseNotAllowed,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import redirect
from django.utils.http import (
    http_date,
    parse_etags,
    parse_http_date_safe,
)
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from schulhof.core.http import AuthenticatedHttpRequest
from schulhof.files import storage
from schulhof.files.actions import do_write_file
from schulhof.files.storage import InvalidName, Node, Space, StorageError
from schulhof.files.views.common import (
    INLINE_TYPES,
    browse_url,
    clean_path_or_404,
    files_api,
    files_page,
    format_size,
    get_space,
    max_upload_bytes,
    too_large_message,
    url_for,
)
from schulhof.files.zipstream import ZipMember, stream_zip

logger = logging.getLogger(__name__)

CHUNK_SIZE = 256 * 1024

# Types a browser could run or style our pages with if they were ever loaded from our
# origin; as downloads they go out as opaque bytes (with nosniff, browsers then refuse them
# as scripts and style sheets).
ACTIVE_TYPES = re.compile(
    r"^(text/html|application/xhtml\+xml|image/svg\+xml|text/xml|application/xml|"
    r"text/javascript|application/javascript|application/ecmascript|text/ecmascript|"
    r"application/x-javascript|text/css|application/wasm|text/xsl|application/xslt\+xml|"
    r"multipart/x-mixed-replace)$|\+xml$",
    re.IGNORECASE,
)

# A file of ours never needs to load anything: no scripts, no plug-ins, a unique origin.
SANDBOX_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
# Chromium's PDF viewer does not run in a sandboxed document; the PDF gets no sandbox but may
# still load nothing from anywhere, and only our own pages may frame it (the preview page).
PDF_CSP = "default-src 'none'; frame-ancestors 'self'"

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


# --- Upload ------------------------------------------------------------------------------


def upload(
    request: AuthenticatedHttpRequest, kind: str, key: str, path: str = ""
) -> HttpResponseBase:
    """``PUT`` one file into the folder ``path`` (the script; answers JSON). ``POST``
    multipart (the form without JavaScript) stores the chosen files and goes back to the
    folder."""
    if request.method == "PUT":
        return _upload_put(request, kind, key, path)
    if request.method == "POST":
        return _upload_form(request, kind, key, path)
    return HttpResponseNotAllowed(["PUT", "POST"])


@files_api
def _upload_put(request: AuthenticatedHttpRequest, kind: str, key: str, path: str) -> HttpResponse:
    space = get_space(request, kind, key, write=True)
    folder = clean_path_or_404(path)
    try:
        raw_name = unquote(request.headers.get("X-File-Name", ""), errors="strict")
        target = storage.canonical_path(_join(folder, raw_name))
    except UnicodeDecodeError:
        return JsonResponse({"error": _("Der Dateiname ist ungültig.")}, status=400)
    except InvalidName as error:
        return JsonResponse({"error": error.message}, status=400)
    if not raw_name.strip("/") or target == folder:
        return JsonResponse({"error": _("Der Dateiname fehlt.")}, status=400)
    try:
        length = int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        return JsonResponse({"error": _("Die Größe der Datei fehlt.")}, status=411)
    limit = max_upload_bytes()
    if limit is not None and length > limit:
        return JsonResponse({"error": too_large_message(limit)}, status=413)
    node = do_write_file(
        space,
        target,
        request,  # file-like: read(n) streams the request body
        acting_user=request.user,
        overwrite=request.headers.get("X-Overwrite") == "1",
        expected_size=length,
    )
    return JsonResponse(
        {
            "name": node.name,
            "path": node.path,
            "size": node.size,
            "size_text": format_size(node.size),
        },
        status=201,
    )


def _join(folder: str, name: str) -> str:
    return "%s/%s" % (folder, name) if folder else name


@files_page
def _upload_form(request: AuthenticatedHttpRequest, kind: str, key: str, path: str) -> HttpResponse:
    """The upload without JavaScript: Django's upload handlers have stored the files
    (in memory or a temporary file); each goes through the same action."""
    space = get_space(request, kind, key, write=True)
    folder = clean_path_or_404(path)
    here = browse_url(space, folder)
    files = request.FILES.getlist("files")
    if not files:
        messages.error(request, _("Bitte wählen Sie mindestens eine Datei aus."))
        return redirect(here)
    limit = max_upload_bytes()
    stored = 0
    for upload in files:
        name = upload.name or ""
        if limit is not None and (upload.size or 0) > limit:
            messages.error(request, "%s: %s" % (name, too_large_message(limit)))
            continue
        try:
            do_write_file(
                space,
                _join(folder, name),
                upload,
                acting_user=request.user,
                overwrite=False,
                expected_size=upload.size,
            )
        except StorageError as error:
            messages.error(request, "%s: %s" % (name, error.message))
            continue
        stored += 1
    if stored:
        messages.success(
            request,
            _("%(count)s Datei(en) hochgeladen.") % {"count": stored},
        )
    return redirect(here)


# --- Download ----------------------------------------------------------------------------


def disposition(name: str, *, attachment: bool) -> str:
    """Content-Disposition with the real name for today's browsers (RFC 5987/6266,
    ``filename*=UTF-8''…``) and an ASCII stand-in for old clients (``Übung.pdf`` →
    ``Ubung.pdf``)."""
    kind = "attachment" if attachment else "inline"
    fallback = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    fallback = re.sub(r"[^A-Za-z0-9 ._()\[\]+-]", "_", fallback).strip()
    if not fallback or fallback.startswith("."):
        fallback = "Datei" + fallback
    return "%s; filename=\"%s\"; filename*=UTF-8''%s" % (kind, fallback, quote(name, safe=""))


def _content_type(node: Node, *, inline: bool) -> str:
    content_type = node.content_type or "application/octet-stream"
    if inline:
        return content_type
    if ACTIVE_TYPES.search(content_type.split(";")[0].strip()):
        return "application/octet-stream"
    return content_type


def _not_modified(request: AuthenticatedHttpRequest, node: Node, etag: str) -> bool:
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        tags = parse_etags(if_none_match)
        return "*" in tags or etag in tags or ("W/" + etag) in tags
    since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
    return since is not None and int(node.modified.timestamp()) <= since


def _wanted_range(
    request: AuthenticatedHttpRequest, node: Node, etag: str
) -> tuple[int, int] | str | None:
    """The byte range asked for as (first, last), None for the whole file, or "invalid"
    for a range that lies outside the file (416)."""
    header = request.headers.get("Range", "")
    if not header:
        return None
    if_range = request.headers.get("If-Range")
    if if_range:
        date = parse_http_date_safe(if_range)
        if date is None and if_range.strip() != etag:
            return None
        if date is not None and int(node.modified.timestamp()) > date:
            return None
    match = _RANGE.match(header.strip())
    if not match:  # several ranges or another unit: the whole file is a valid answer
        return None
    first_text, last_text = match.groups()
    size = node.size
    if not first_text:
        if not last_text:
            return None
        suffix = int(last_text)
        if suffix == 0:
            return "invalid"
        return (max(0, size - suffix), size - 1)
    first = int(first_text)
    last = int(last_text) if last_text else size - 1
    if first >= size or last < first:
        return "invalid"
    return (first, min(last, size - 1))


def _read_range(handle: BinaryIO, first: int, length: int) -> Iterator[bytes]:
    try:
        handle.seek(first)
        remaining = length
        while remaining > 0:
            chunk = handle.read(min(CHUNK_SIZE, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk
    finally:
        handle.close()


def file_response(
    request: AuthenticatedHttpRequest, space: Space, node: Node, *, inline: bool
) -> HttpResponseBase:
    """The file as an HTTP response: 200, 206 (Range), 304 (conditional) or 416."""
    inline = inline and node.content_type in INLINE_TYPES
    etag = '"%s"' % node.etag
    headers = {
        "ETag": etag,
        "Last-Modified": http_date(node.modified.timestamp()),
        "Accept-Ranges": "bytes",
        "Cache-Control": "private, no-cache",
        "X-Content-Type-Options": "nosniff",
    }
    if inline and node.content_type == "application/pdf":
        headers["Content-Security-Policy"] = PDF_CSP
        headers["X-Frame-Options"] = "SAMEORIGIN"
    else:
        headers["Content-Security-Policy"] = SANDBOX_CSP
    if _not_modified(request, node, etag):
        response: HttpResponseBase = HttpResponse(status=304)
        for name, value in headers.items():
            response[name] = value
        return response
    wanted = _wanted_range(request, node, etag)
    if wanted == "invalid":
        response = HttpResponse(status=416)
        response["Content-Range"] = "bytes */%d" % node.size
        return response
    handle = storage.open_read(space, node.path)
    if isinstance(wanted, tuple):
        first, last = wanted
        response = StreamingHttpResponse(
            _read_range(handle, first, last - first + 1),
            status=206,
            content_type=_content_type(node, inline=inline),
        )
        response["Content-Range"] = "bytes %d-%d/%d" % (first, last, node.size)
        response["Content-Length"] = str(last - first + 1)
    else:
        response = StreamingHttpResponse(
            _read_range(handle, 0, node.size), content_type=_content_type(node, inline=inline)
        )
        response["Content-Length"] = str(node.size)
    response["Content-Disposition"] = disposition(node.name, attachment=not inline)
    for name, value in headers.items():
        response[name] = value
    return response


def _file_or_folder(
    request: AuthenticatedHttpRequest, kind: str, key: str, path: str
) -> tuple[Space, Node]:
    space = get_space(request, kind, key, write=False)
    return space, storage.stat(space, clean_path_or_404(path))


@require_safe
@files_page
def download(request: AuthenticatedHttpRequest, kind: str, key: str, path: str) -> HttpResponseBase:
    """A file as a download (always an attachment); a folder as ZIP."""
    space, node = _file_or_folder(request, kind, key, path)
    if node.is_dir:
        return redirect(url_for("files:zip", space, node.path))
    return file_response(request, space, node, inline=False)


@require_safe
@files_page
def inline(request: AuthenticatedHttpRequest, kind: str, key: str, path: str) -> HttpResponseBase:
    """The file for ``<img>`` and the PDF frame of the preview page: inline for images and
    PDFs only, everything else stays an attachment."""
    space, node = _file_or_folder(request, kind, key, path)
    if node.is_dir:
        return redirect(browse_url(space, node.path))
    return file_response(request, space, node, inline=True)


@require_safe
@files_page
def download_zip(
    request: AuthenticatedHttpRequest, kind: str, key: str, path: str = ""
) -> HttpResponseBase:
    """A folder (with everything in it) as a ZIP file, streamed while it is being made."""
    space = get_space(request, kind, key, write=False)
    folder = clean_path_or_404(path)
    root = storage.stat(space, folder)
    if not root.is_dir:
        return redirect(browse_url(space, root.parent_path))
    top = folder.rsplit("/", 1)[-1] if folder else space.title
    cut = len(folder) + 1 if folder else 0
    members = [ZipMember(name=top, is_dir=True, size=0, modified=root.modified)]
    for node in storage.walk(space, folder):
        members.append(
            ZipMember(
                name="%s/%s" % (top, node.path[cut:]),
                is_dir=node.is_dir,
                size=node.size,
                modified=node.modified,
                open=None if node.is_dir else _opener(space, node.path),
            )
        )
    response = StreamingHttpResponse(stream_zip(members), content_type="application/zip")
    response["Content-Disposition"] = disposition(top + ".zip", attachment=True)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SANDBOX_CSP
    response["Cache-Control"] = "private, no-store"
    return response


def _opener(space: Space, path: str) -> Callable[[], BinaryIO]:
    def open_file() -> BinaryIO:
        return storage.open_read(space, path)

    return open_file

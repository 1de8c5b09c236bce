"""Reading a message: the page (headers, actions, attachments, the body), the HTML body for
its sandboxed frame (see ``render``'s docstring for why a frame from its own URL), the parts
(attachments and ``cid:`` images) and the source."""

from __future__ import annotations

from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_safe

from schulhof.core.http import AuthenticatedHttpRequest, filename_part
from schulhof.mail.webmail import render as rendering
from schulhof.mail.webmail.folders import Folder
from schulhof.mail.webmail.imap import MailSession
from schulhof.mail.webmail.sanitize import frame_csp
from schulhof.mail.webmail.views.common import (
    Refused,
    folder_url,
    format_size,
    get_folder,
    long_date,
    mailto_url,
    message_url,
    sidebar,
    webmail_view,
)

# Shown inline (for <img> of cid: parts); everything else is a download.
INLINE_IMAGES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
# A part of ours never needs to load anything.
PART_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; sandbox"
# Types a browser could run or style with: downloaded as opaque bytes.
ACTIVE_TYPES = frozenset(
    {
        "text/html",
        "application/xhtml+xml",
        "image/svg+xml",
        "text/xml",
        "application/xml",
        "text/javascript",
        "application/javascript",
        "text/css",
        "application/wasm",
        "text/xsl",
        "application/xslt+xml",
    }
)


def part_url(folder: Folder, uid: int, part_id: str, *, inline: bool = False) -> str:
    url = reverse("webmail:part", args=[folder.path, uid, int(part_id)])
    return url + "?inline=1" if inline else url


def _remote_allowed(request: AuthenticatedHttpRequest) -> bool:
    return request.GET.get("bilder") == "1"


@require_safe
@webmail_view()
def read(
    request: AuthenticatedHttpRequest, mail: MailSession, path: str, uid: int
) -> HttpResponseBase:
    folder = get_folder(mail, path)
    if folder.special == "drafts":
        return redirect("webmail:draft", uid)
    fetched = mail.fetch(folder, uid)
    if "\\Seen" not in fetched.flags:
        mail.set_flag(folder, [uid], "\\Seen", True)
    rendered = rendering.render(fetched.raw)
    allow_remote = _remote_allowed(request)
    clean = rendering.html_body(
        rendered,
        part_url=lambda part_id: part_url(folder, uid, part_id, inline=True),
        mailto_url=mailto_url,
        allow_remote=allow_remote,
    )
    sort = request.GET.get("sort", "")
    order = request.GET.get("order", "")
    list_params = {
        "sort": sort if sort in ("sender", "subject") else "",
        "order": order if order in ("asc", "desc") else "",
    }
    before, after = mail.neighbours(
        folder,
        uid,
        sort=list_params["sort"] or "date",
        descending=(order != "asc") if not list_params["sort"] else order == "desc",
    )
    body_url = reverse("webmail:body", args=[folder.path, uid])
    here = message_url(folder, uid, **list_params)
    return render(
        request,
        "mail/webmail/message.html",
        {
            **sidebar(request, mail, folder),
            "folder": folder,
            "uid": uid,
            "rendered": rendered,
            "flags": fetched.flags,
            "flagged": "\\Flagged" in fetched.flags,
            "date_text": long_date(rendered.date),
            "has_html": rendered.html_part_id is not None,
            "text_html": rendering.text_to_html(rendered.text or "", mailto_url=mailto_url)
            if rendered.html_part_id is None
            else "",
            "body_url": body_url + ("?bilder=1" if allow_remote else ""),
            "blocked_count": clean.blocked_count,
            "allow_remote": allow_remote,
            "show_images_url": here + ("&" if "?" in here else "?") + "bilder=1",
            "attachments": [
                {
                    "attachment": attachment,
                    "url": part_url(folder, uid, attachment.part_id),
                    "size_text": format_size(attachment.size),
                }
                for attachment in rendered.listed_attachments
            ],
            "here": here,
            "list_url": folder_url(folder, **list_params),
            "previous_url": message_url(folder, before, **list_params) if before else "",
            "next_url": message_url(folder, after, **list_params) if after else "",
            "reply_url": reverse("webmail:reply", args=[folder.path, uid]),
            "reply_all_url": reverse("webmail:reply", args=[folder.path, uid]) + "?alle=1",
            "forward_url": reverse("webmail:forward", args=[folder.path, uid]),
            "forward_attachment_url": reverse("webmail:forward", args=[folder.path, uid])
            + "?als=anhang",
            "source_url": reverse("webmail:source", args=[folder.path, uid]),
            "bulk_url": reverse("webmail:bulk", args=[folder.path]),
            "several_recipients": len(rendered.to) + len(rendered.cc) > 1,
        },
    )


@require_safe
@xframe_options_sameorigin
@webmail_view()
def body(request: AuthenticatedHttpRequest, mail: MailSession, path: str, uid: int) -> HttpResponse:
    """The sanitised HTML body as a document of its own, for the reading page's frame."""
    folder = get_folder(mail, path)
    rendered = rendering.render(mail.fetch(folder, uid).raw)
    clean = rendering.html_body(
        rendered,
        part_url=lambda part_id: part_url(folder, uid, part_id, inline=True),
        mailto_url=mailto_url,
        allow_remote=_remote_allowed(request),
    )
    response = HttpResponse(
        rendering.frame_document(clean), content_type="text/html; charset=utf-8"
    )
    response["Content-Security-Policy"] = frame_csp(clean)
    response["Referrer-Policy"] = "no-referrer"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_safe
@webmail_view()
def part(
    request: AuthenticatedHttpRequest, mail: MailSession, path: str, uid: int, part_id: int
) -> HttpResponse:
    """One part: an attachment as a download, or (``?inline=1``) an image for the body."""
    folder = get_folder(mail, path)
    message = rendering.parse(mail.fetch(folder, uid).raw)
    found = rendering.find_part(message, str(part_id))
    if found is None or (found.is_multipart() and found.get_content_type() != "message/rfc822"):
        raise Refused(_not_found_text(), 404)
    content_type: str = found.get_content_type()
    data = rendering.part_bytes(found)
    name = rendering.filename_of(found, str(part_id))
    inline = request.GET.get("inline") == "1" and content_type in INLINE_IMAGES
    if not inline and content_type in ACTIVE_TYPES:
        content_type = "application/octet-stream"
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = (
        content_disposition_header(not inline, filename_part(name, _("Anhang"))) or "attachment"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = PART_CSP
    response["Cache-Control"] = "private, no-store"
    return response


def _not_found_text() -> str:
    return _("Diesen Teil der Nachricht gibt es nicht.")


@require_safe
@webmail_view()
def source(
    request: AuthenticatedHttpRequest, mail: MailSession, path: str, uid: int
) -> HttpResponse:
    """The message as it is stored: shown as text, or downloaded as ``.eml``."""
    folder = get_folder(mail, path)
    raw = mail.fetch(folder, uid).raw
    download = request.GET.get("download") == "1"
    if download:
        response = HttpResponse(raw, content_type="message/rfc822")
        subject = rendering.render(raw).subject or _("Nachricht")
        response["Content-Disposition"] = content_disposition_header(
            True, filename_part(subject[:80], _("Nachricht")) + ".eml"
        )
    else:
        response = HttpResponse(raw, content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = PART_CSP
    response["Cache-Control"] = "private, no-store"
    return response

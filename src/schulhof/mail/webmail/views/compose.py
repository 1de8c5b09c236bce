"""Writing: a new message (also from a ``mailto:`` link), a reply, a reply to all, a forward
(quoted or as an attachment), a saved draft; sending, saving and discarding; the recipient
suggestions for the address fields.

Whatever goes wrong, nothing typed is lost: the form comes back with the text as it was
sent, and attachments that would be lost with it are saved in a draft first (see
``outbox``)."""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from schulhof.core.http import AuthenticatedHttpRequest
from schulhof.mail import addresses
from schulhof.mail.conf import mail_conf
from schulhof.mail.webmail import compose, outbox, policies, submit
from schulhof.mail.webmail import render as rendering
from schulhof.mail.webmail.compose import Draft, Upload
from schulhof.mail.webmail.forms import ComposeForm
from schulhof.mail.webmail.imap import MailError, MailSession
from schulhof.mail.webmail.outbox import Source
from schulhof.mail.webmail.views.common import (
    folder_url,
    format_size,
    get_folder,
    sidebar,
    webmail_view,
)

SUGGEST_LIMIT = 10


def _initial(draft: Draft, *, draft_uid: int | None = None) -> dict[str, Any]:
    return {
        "to": draft.to,
        "cc": draft.cc,
        "bcc": draft.bcc,
        "subject": draft.subject,
        "body": draft.body,
        "parent_info": draft.parent_info,
        "in_reply_to": draft.in_reply_to,
        "references": draft.references,
        "source": draft.source,
        "draft_uid": draft_uid,
    }


def _choices(existing: list[outbox.Existing]) -> list[tuple[str, str]]:
    return [(item.key, item.filename) for item in existing]


def _page(
    request: AuthenticatedHttpRequest,
    mail: MailSession,
    form: ComposeForm,
    existing: list[outbox.Existing],
    *,
    title: str,
    send_error: submit.SendError | None = None,
    status: int = 200,
) -> HttpResponse:
    limit = mail_conf().max_message_bytes
    kept = set(form["keep"].value() or []) if form.is_bound else {e.key for e in existing}
    draft_uid = form["draft_uid"].value()
    return render(
        request,
        "mail/webmail/compose.html",
        {
            **sidebar(request, mail, None),
            "form": form,
            "title": title,
            "existing": [
                {"item": item, "size_text": format_size(item.size), "kept": item.key in kept}
                for item in existing
            ],
            "send_error": send_error,
            "send_refusal": policies.refusal(request.user, send=True),
            "max_size": limit,
            "max_size_text": format_size(limit),
            "suggest_url": reverse("webmail:suggest"),
            "draft_uid": draft_uid,
            "sender": outbox.sender_of(request.user),
        },
        status=status,
    )


def _form(
    request: AuthenticatedHttpRequest,
    existing: list[outbox.Existing],
    *,
    data: Any = None,
    initial: dict[str, Any] | None = None,
    sending: bool = False,
) -> ComposeForm:
    return ComposeForm(
        data,
        initial=initial,
        attachment_choices=_choices(existing),
        may_mark_parent_info=policies.may_mark_parent_info(request.user),
        sending=sending,
    )


def _new_page(
    request: AuthenticatedHttpRequest, mail: MailSession, draft: Draft, *, title: str
) -> HttpResponse:
    source = outbox.parse_source(draft.source)
    existing = outbox.existing_attachments(mail, draft_uid=None, source=source)
    form = _form(request, existing, initial={**_initial(draft), "keep": [e.key for e in existing]})
    return _page(request, mail, form, existing, title=title)


def from_mailto(url: str) -> Draft:
    """A draft from a ``mailto:`` link (RFC 6068): addresses, subject, body, cc, bcc."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() != "mailto":
        return Draft()
    params = parse_qs(parts.query, keep_blank_values=False)

    def first(name: str) -> str:
        for key, values in params.items():
            if key.lower() == name and values:
                return values[0][:5000]
        return ""

    to = unquote(parts.path)
    extra_to = first("to")
    return Draft(
        to=", ".join(value for value in (to, extra_to) if value),
        cc=first("cc"),
        bcc=first("bcc"),
        subject=first("subject"),
        body=first("body"),
    )


@webmail_view()
def compose_view(request: AuthenticatedHttpRequest, mail: MailSession) -> HttpResponseBase:
    """``GET``: an empty form (or filled from ``?mailto=`` / ``?an=``); ``POST``: send, save
    or discard."""
    if request.method == "POST":
        return _post(request, mail)
    if request.GET.get("mailto"):
        draft = from_mailto(request.GET["mailto"])
    else:
        draft = Draft(to=request.GET.get("an", "")[:2000])
    return _new_page(request, mail, draft, title=_("Neue Nachricht"))


@require_safe
@webmail_view()
def reply(
    request: AuthenticatedHttpRequest, mail: MailSession, path: str, uid: int
) -> HttpResponse:
    folder = get_folder(mail, path)
    rendered = rendering.render(mail.fetch(folder, uid).raw)
    reply_all = request.GET.get("alle") == "1"
    draft = compose.reply_draft(
        rendered,
        own_addresses=addresses.sender_addresses(request.user),
        reply_all=reply_all,
        source=str(Source("reply", uid, folder.name)),
    )
    return _new_page(
        request, mail, draft, title=_("Allen antworten") if reply_all else _("Antworten")
    )


@require_safe
@webmail_view()
def forward(
    request: AuthenticatedHttpRequest, mail: MailSession, path: str, uid: int
) -> HttpResponse:
    folder = get_folder(mail, path)
    rendered = rendering.render(mail.fetch(folder, uid).raw)
    as_attachment = request.GET.get("als") == "anhang"
    action = "forward-attachment" if as_attachment else "forward"
    draft = compose.forward_draft(
        rendered, as_attachment=as_attachment, source=str(Source(action, uid, folder.name))
    )
    # The attachments come from the original (listed by existing_attachments), not the draft.
    draft.attached_messages = []
    return _new_page(request, mail, draft, title=_("Weiterleiten"))


@require_safe
@webmail_view()
def draft(request: AuthenticatedHttpRequest, mail: MailSession, uid: int) -> HttpResponse:
    """A saved draft in the form again."""
    drafts = mail.special_or_error("drafts")
    rendered = rendering.render(mail.fetch(drafts, uid).raw)
    saved = compose.draft_from_message(rendered)
    existing = outbox.existing_attachments(mail, draft_uid=uid, source=None)
    form = _form(
        request,
        existing,
        initial={**_initial(saved, draft_uid=uid), "keep": [e.key for e in existing]},
    )
    return _page(request, mail, form, existing, title=_("Entwurf bearbeiten"))


def _uploads(request: AuthenticatedHttpRequest) -> list[UploadedFile]:
    return [f for f in request.FILES.getlist("files") if f.name]


def _read(files: list[UploadedFile]) -> list[Upload]:
    result = []
    for upload in files:
        name = rendering.clean_filename(upload.name or "") or _("Anhang")
        result.append(
            Upload(name, upload.content_type or "application/octet-stream", upload.read())
        )
    return result


def _post(request: AuthenticatedHttpRequest, mail: MailSession) -> HttpResponseBase:
    action = request.POST.get("action", "send")
    sending = action == "send"
    source = outbox.parse_source(request.POST.get("source", ""))
    raw_uid = request.POST.get("draft_uid", "")
    draft_uid = int(raw_uid) if raw_uid.isdigit() and 0 < int(raw_uid) < 2**32 else None
    existing = outbox.existing_attachments(mail, draft_uid=draft_uid, source=source)
    form = _form(request, existing, data=request.POST, sending=sending)
    inbox = mail.special_or_error("inbox")
    if action == "discard":
        if draft_uid:
            outbox.discard_draft(mail, draft_uid)
            messages.success(request, _("Der Entwurf wurde verworfen."))
        return redirect(folder_url(inbox))
    title = _("Neue Nachricht") if not draft_uid else _("Entwurf bearbeiten")
    files = _uploads(request)
    limit = mail_conf().max_message_bytes
    upload_size = sum(f.size or 0 for f in files)
    kept_size = sum(e.size for e in existing if e.key in set(request.POST.getlist("keep")))
    too_large = upload_size + kept_size > limit
    valid = form.is_valid()
    if too_large:
        form.add_error(
            None,
            _(
                "Die Anhänge sind zusammen %(size)s groß; eine Nachricht darf höchstens "
                "%(limit)s groß sein. Bitte wählen Sie weniger oder kleinere Dateien."
            )
            % {"size": format_size(upload_size + kept_size), "limit": format_size(limit)},
        )
        # Files over the limit are not kept; what was typed stays in the form.
        return _page(request, mail, form, existing, title=title, status=400)
    if not valid:
        if files:
            return _keep_uploads(request, mail, form, draft_uid, source, files, title)
        return _page(request, mail, form, existing, title=title, status=400)
    draft = outbox.gather(
        mail,
        form.draft(),
        draft_uid=draft_uid,
        source=source,
        keep=set(form.cleaned_data.get("keep") or []),
        uploads=_read(files),
    )
    if not sending:
        new_uid = outbox.save_draft(mail, request.user, draft, old_uid=draft_uid)
        messages.success(request, _("Der Entwurf wurde gespeichert."))
        if new_uid:
            return redirect("webmail:draft", new_uid)
        return redirect(folder_url(mail.special_or_error("drafts")))
    refusal = policies.refusal(request.user, send=True)
    error = submit.SendError(refusal) if refusal else None
    if error is None:
        try:
            warnings = outbox.send(mail, request.user, draft, old_uid=draft_uid, source=source)
        except submit.SendError as caught:
            error = caught
        else:
            messages.success(request, _("Die Nachricht wurde gesendet."))
            for warning in warnings:
                messages.warning(request, warning)
            if source is not None:
                try:
                    return redirect(folder_url(mail.folder(source.folder_path)))
                except MailError:
                    pass
            return redirect(folder_url(inbox))
    # Not sent: keep everything as a draft, show the form again with the reason.
    return _failed(request, mail, form, draft, draft_uid, error, title)


def _failed(
    request: AuthenticatedHttpRequest,
    mail: MailSession,
    form: ComposeForm,
    draft: Draft,
    draft_uid: int | None,
    error: submit.SendError,
    title: str,
) -> HttpResponse:
    try:
        new_uid = outbox.save_draft(mail, request.user, draft, old_uid=draft_uid)
    except MailError as save_error:
        error.reasons.append(save_error.message)
        new_uid = draft_uid
    else:
        error.reasons.append(_("Ihre Nachricht ist in „Entwürfe“ gespeichert."))
    return _rebound(request, mail, form, new_uid, title, send_error=error)


def _keep_uploads(
    request: AuthenticatedHttpRequest,
    mail: MailSession,
    form: ComposeForm,
    draft_uid: int | None,
    source: Source | None,
    files: list[UploadedFile],
    title: str,
) -> HttpResponse:
    """The form has errors but also new files, which a form cannot show again: save it all
    as a draft, and show the form (with its errors) on that draft."""
    keep = set(request.POST.getlist("keep"))
    draft = outbox.gather(
        mail, form.draft(), draft_uid=draft_uid, source=source, keep=keep, uploads=_read(files)
    )
    try:
        new_uid = outbox.save_draft(mail, request.user, draft, old_uid=draft_uid)
    except MailError as error:
        form.add_error(None, error.message)
        existing = outbox.existing_attachments(mail, draft_uid=draft_uid, source=source)
        return _page(request, mail, form, existing, title=title, status=400)
    messages.info(request, _("Ihre Anhänge sind im Entwurf gespeichert."))
    return _rebound(request, mail, form, new_uid, title, status=400)


def _rebound(
    request: AuthenticatedHttpRequest,
    mail: MailSession,
    form: ComposeForm,
    new_uid: int | None,
    title: str,
    *,
    send_error: submit.SendError | None = None,
    status: int = 400,
) -> HttpResponse:
    """The same form, now naming the saved draft (whose attachments are all kept)."""
    existing = outbox.existing_attachments(mail, draft_uid=new_uid, source=None)
    data = request.POST.copy()
    data["draft_uid"] = str(new_uid) if new_uid else ""
    data.setlist("keep", [e.key for e in existing])
    rebound = _form(request, existing, data=data, sending=form.sending)
    rebound.is_valid()
    return _page(
        request, mail, rebound, existing, title=title, send_error=send_error, status=status
    )


def _suggest_view(view: Any) -> Any:
    @functools.wraps(view)
    def wrapper(request: AuthenticatedHttpRequest) -> HttpResponse:
        if policies.refusal(request.user) is not None:
            return JsonResponse({"results": []}, status=403)
        return view(request)

    return login_required(never_cache(wrapper))


@require_safe
@_suggest_view
def suggest(request: AuthenticatedHttpRequest) -> HttpResponse:
    """People and groups for the address fields (``?q=``), as JSON for the page's script."""
    query = request.GET.get("q", "")[:100]
    results = addresses.suggest(request.user, query, limit=SUGGEST_LIMIT)
    return JsonResponse(
        {
            "results": [
                {"address": item.address, "label": item.label, "kind": item.kind}
                for item in results
            ]
        }
    )

"""The automatic reply while away ("Abwesenheitsnotiz"): one form; the action writes the
row and Dovecot's Sieve script (see ``mail.autoreply``)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from schulhof.accounts.privileges import has_privilege
from schulhof.core.http import AuthenticatedHttpRequest
from schulhof.mail import autoreply
from schulhof.mail.actions import do_update_auto_reply
from schulhof.mail.models import AutoReply
from schulhof.mail.privileges import MAIL_SEND_EXTERNAL
from schulhof.mail.servers.dovecot import sieve_available
from schulhof.mail.webmail import policies
from schulhof.mail.webmail.forms import AutoReplyForm
from schulhof.mail.webmail.imap import MailSession
from schulhof.mail.webmail.views.common import sidebar, webmail_view


def default_text(request: AuthenticatedHttpRequest) -> str:
    return _(
        "Guten Tag,\n\nvielen Dank für Ihre E-Mail. Ich bin zurzeit nicht erreichbar und "
        "lese Ihre Nachricht nach meiner Rückkehr. Sie wird nicht weitergeleitet.\n\n"
        "Mit freundlichen Grüßen\n%(name)s"
    ) % {"name": request.user.get_full_name()}


@webmail_view()
def auto_reply(request: AuthenticatedHttpRequest, mail: MailSession) -> HttpResponseBase:
    reply = AutoReply.objects.filter(user=request.user).first()
    today = timezone.localdate()
    if request.method == "POST":
        form = AutoReplyForm(request.POST, today=today)
        if form.is_valid():
            reply = do_update_auto_reply(request.user, form.cleaned_data, acting_user=request.user)
            if reply.enabled:
                messages.success(request, _("Ihre Abwesenheitsnotiz ist gespeichert."))
            else:
                messages.success(request, _("Ihre Abwesenheitsnotiz ist ausgeschaltet."))
            return redirect("webmail:auto_reply")
        status = 400
    else:
        initial = {
            "enabled": reply.enabled if reply else False,
            "start": reply.start if reply else None,
            "end": reply.end if reply else None,
            "subject": reply.subject if reply else _("Abwesenheitsnotiz"),
            "message": reply.message if reply else default_text(request),
        }
        form = AutoReplyForm(initial=initial, today=today)
        status = 200
    context = sidebar(request, mail, None) | {
        "form": form,
        "state": autoreply.describe(reply),
        "active": reply is not None and reply.is_active_on(today),
        "available": sieve_available(),
        "may_send": policies.may_send(request.user),
        "inside_only": not has_privilege(request.user, MAIL_SEND_EXTERNAL),
        "auto_reply_page": True,
    }
    response: HttpResponse = render(request, "mail/webmail/auto_reply.html", context, status=status)
    return response

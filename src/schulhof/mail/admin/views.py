"""The admin page for mail: sending limits, the server's names and ports, and the DNS
records to publish (with the real DKIM key)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from schulhof.accounts.views.admin import admin_tabs
from schulhof.core.http import AuthenticatedHttpRequest, admin_required
from schulhof.mail import dns, queue
from schulhof.mail.actions import (
    do_delete_deferred_mail,
    do_flush_mail_queue,
    do_update_mail_policy,
)
from schulhof.mail.addresses import mail_domain
from schulhof.mail.admin.forms import MailPolicyForm
from schulhof.mail.conf import mail_conf
from schulhof.mail.dkim import DkimKeyError
from schulhof.mail.models import MailPolicy


@admin_required
def mail_settings(request: AuthenticatedHttpRequest) -> HttpResponse:
    policy = MailPolicy.get()
    # The form validates a copy, so that the action sees the old values for the audit.
    form = MailPolicyForm(request.POST or None, instance=MailPolicy.get())
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.Meta.fields}
        do_update_mail_policy(policy, changes, acting_user=request.user)
        messages.success(request, _("Die E-Mail-Regeln wurden gespeichert."))
        return redirect("mailadmin:settings")
    conf = mail_conf()
    try:
        records = dns.records(conf, mail_domain())
        dns_error = ""
    except (DkimKeyError, OSError, ValueError) as error:
        records, dns_error = [], str(error)
    return render(
        request,
        "mail/admin/settings.html",
        {
            "form": form,
            "conf": conf,
            "domain": mail_domain(),
            "records": records,
            "dns_error": dns_error,
            "queue": queue.state(conf),
            "tabs": admin_tabs(request.user),
            "current_tab": "mail",
        },
    )


@require_POST
@admin_required
def queue_flush(request: AuthenticatedHttpRequest) -> HttpResponse:
    try:
        do_flush_mail_queue(acting_user=request.user)
    except OSError:
        messages.error(request, _("Postfix hat den Auftrag nicht angenommen."))
    else:
        messages.success(request, _("Postfix versucht jetzt alle wartenden E-Mails erneut."))
    return redirect("mailadmin:settings")


@require_POST
@admin_required
def queue_delete_deferred(request: AuthenticatedHttpRequest) -> HttpResponse:
    try:
        deleted = do_delete_deferred_mail(acting_user=request.user)
    except OSError:
        messages.error(request, _("Postfix hat den Auftrag nicht angenommen."))
    else:
        messages.success(
            request,
            ngettext(
                "%(count)s zurückgestellte E-Mail gelöscht.",
                "%(count)s zurückgestellte E-Mails gelöscht.",
                deleted,
            )
            % {"count": deleted},
        )
    return redirect("mailadmin:settings")

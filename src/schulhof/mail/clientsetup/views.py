"""The guide pages (logged-in users), the profile download and the public autoconfig file."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe

from schulhof.accounts.sanctions import is_blocked
from schulhof.core.http import AuthenticatedHttpRequest, filename_part
from schulhof.mail import addresses
from schulhof.mail.clientsetup.account import account_for, server_settings
from schulhof.mail.clientsetup.autoconfig import autoconfig_xml
from schulhof.mail.clientsetup.guides import BY_SLUG, GUIDES
from schulhof.mail.clientsetup.mobileconfig import CONTENT_TYPE, mobileconfig
from schulhof.mail.conf import mail_conf

# The autoconfig file changes only when an admin changes the mail settings.
AUTOCONFIG_MAX_AGE = 60 * 60


def _require_mail() -> None:
    """Without mail servers there is nothing to connect to."""
    if not mail_conf().enabled:
        raise Http404


def _context(request: AuthenticatedHttpRequest) -> dict[str, Any]:
    user = request.user
    mail_blocked = is_blocked(user, "mail")
    return {
        "guides": GUIDES,
        "account": account_for(user),
        "mail_blocked": mail_blocked,
        "send_blocked": not mail_blocked and is_blocked(user, "mail_send"),
    }


@login_required
@require_safe
def index(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The values every program needs, and the choice of program."""
    _require_mail()
    return render(request, "mail/setup/index.html", _context(request))


@login_required
@require_safe
def guide(request: AuthenticatedHttpRequest, client: str) -> HttpResponse:
    """The step-by-step guide for one program."""
    _require_mail()
    current = BY_SLUG.get(client)
    if current is None:
        raise Http404
    context = _context(request)
    context["guide"] = current
    return render(request, "mail/setup/%s.html" % current.slug, context)


@login_required
@require_safe
def apple_profile(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The user's configuration profile for Apple Mail, as a download."""
    _require_mail()
    account = account_for(request.user)
    response = HttpResponse(mobileconfig(account), content_type=CONTENT_TYPE)
    filename = "E-Mail-%s.mobileconfig" % filename_part(account.username, "Schule")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    # It names the person; no shared cache may keep it.
    response["Cache-Control"] = "private, no-store"
    return response


def _documentation_url(portal_url: str) -> str:
    try:
        return portal_url + reverse("mailsetup:index")
    except NoReverseMatch:
        return ""


@require_safe
def autoconfig(request: HttpRequest) -> HttpResponse:
    """Thunderbird's autoconfig file; public, since programs ask before anyone logs in.
    ``?emailaddress=`` is optional; for an address of another domain there is no file, so the
    program goes on to its other ways of finding servers."""
    _require_mail()
    address = request.GET.get("emailaddress", "").strip()
    if address:
        _local, domain = addresses.split(address)
        if domain not in addresses.local_domains():
            raise Http404
    servers = server_settings()
    body = autoconfig_xml(servers, _documentation_url(servers.portal_url))
    response = HttpResponse(body, content_type="text/xml; charset=utf-8")
    response["Cache-Control"] = "public, max-age=%d" % AUTOCONFIG_MAX_AGE
    return response

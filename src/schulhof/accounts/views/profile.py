"""The user's own account: personal data, password, devices, login history and two-factor
login. Thin: forms validate, actions and the session helpers write and audit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from schulhof.accounts import totp
from schulhof.accounts.actions import do_disable_totp, do_enable_totp, do_set_password
from schulhof.accounts.authentication import Outcome
from schulhof.accounts.forms import ChangePasswordForm, TotpConfirmForm, TotpDisableForm
from schulhof.accounts.models import LoginAttempt, Role
from schulhof.accounts.passwords import PASSWORD_TIP
from schulhof.accounts.sessions import (
    devices_of,
    end_one_session,
    end_other_sessions,
    keep_session_after_password_change,
    must_set_up_totp,
)
from schulhof.accounts.views import auth
from schulhof.core.http import AuthenticatedHttpRequest
from schulhof.core.models import SchoolSettings

HISTORY_DAYS = 7
# Enough for any real week; a flood of guesses against a name is summarised by the cap.
HISTORY_LIMIT = 200
# The secret being set up lives only in the (server-side) session until it is confirmed.
TOTP_SETUP_SECRET = "schulhof_totp_setup_secret"  # noqa: S105 - a key name

FAILURE_REASONS: dict[str, str | Promise] = {
    Outcome.INVALID: gettext_lazy("falsches Passwort"),
    Outcome.THROTTLED: gettext_lazy("zu viele Versuche"),
    Outcome.LOCKED: gettext_lazy("Konto gesperrt"),
    Outcome.FIRST_PASSWORD_WEB_ONLY: gettext_lazy("Erstpasswort gilt nur im Portal"),
    Outcome.FIRST_PASSWORD_EXPIRED: gettext_lazy("Erstpasswort abgelaufen"),
    Outcome.GATED: gettext_lazy("Bereich gesperrt"),
    Outcome.SECOND_FACTOR: gettext_lazy("Passwort richtig, Code nicht eingegeben"),
    Outcome.SECOND_FACTOR_INVALID: gettext_lazy("falscher Code"),
}


@login_required
@never_cache
def profile_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Personal data, read only: changes come from the school's administration."""
    user = request.user
    school = SchoolSettings.get()
    return render(
        request,
        "accounts/profile/overview.html",
        {
            "account": user,
            "mail_address": user.email_address(school.mail_domain),
            "groups": user.memberships_groups.order_by("kind", "name"),
            "led_groups": user.led_groups.order_by("kind", "name"),
        },
    )


@sensitive_post_parameters("current_password", "new_password", "new_password_repeat")
@login_required
@never_cache
def password_change_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Change the own password; every other session ends (a leaked password is useless
    on other devices at once), this one stays."""
    user = request.user
    form = ChangePasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        do_set_password(
            user,
            form.cleaned_data["new_password"],
            acting_user=user,
            keep_session_key=request.session.session_key,
        )
        keep_session_after_password_change(request, user)
        messages.success(
            request, _("Ihr Passwort wurde geändert. Alle anderen Geräte wurden abgemeldet.")
        )
        return redirect("accounts:profile")
    return render(
        request,
        "accounts/profile/password.html",
        {"form": form, "password_tip": PASSWORD_TIP},
    )


@login_required
@never_cache
def devices_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    devices = devices_of(request.user, current_session_key=request.session.session_key)
    return render(
        request,
        "accounts/profile/devices.html",
        {"devices": devices, "others": sum(1 for device in devices if not device.current)},
    )


@login_required
@require_POST
def device_end_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """End one other session (the current one ends with "Abmelden")."""
    ended = end_one_session(
        request.user,
        pk,
        acting_user=request.user,
        keep_session_key=request.session.session_key,
    )
    if ended:
        messages.success(request, _("Das Gerät wurde abgemeldet."))
    else:
        messages.error(request, _("Dieses Gerät ist nicht (mehr) angemeldet."))
    return redirect("accounts:devices")


@login_required
@require_POST
def devices_end_others_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    ended = end_other_sessions(
        request.user, acting_user=request.user, keep_session_key=request.session.session_key
    )
    if ended:
        messages.success(request, _("Alle anderen Geräte wurden abgemeldet."))
    else:
        messages.success(request, _("Sie waren auf keinem anderen Gerät angemeldet."))
    return redirect("accounts:devices")


@dataclass(frozen=True)
class HistoryRow:
    created: datetime
    client_address: str | None
    protocol: str
    success: bool
    reason: str


@login_required
@never_cache
def login_history_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The last week's logins on every protocol, newest first."""
    user = request.user
    since = timezone.now() - timedelta(days=HISTORY_DAYS)
    # Refusals before the account is known (throttled attempts) carry only the name as
    # typed; names are never reused, so attempts on this name are this user's too.
    attempts = (
        LoginAttempt.objects.filter(Q(user=user) | Q(user__isnull=True, username=user.username))
        .since(since)
        .order_by("-created", "-pk")[:HISTORY_LIMIT]
    )
    rows = [
        HistoryRow(
            created=attempt.created,
            client_address=attempt.client_address,
            protocol=attempt.get_protocol_display(),
            success=attempt.success,
            reason=""
            if attempt.success
            else str(FAILURE_REASONS.get(attempt.reason, gettext_lazy("abgelehnt"))),
        )
        for attempt in attempts
    ]
    return render(
        request,
        "accounts/profile/logins.html",
        {
            "rows": rows,
            "days": HISTORY_DAYS,
            "limit": HISTORY_LIMIT,
            "capped": len(rows) >= HISTORY_LIMIT,
        },
    )


@login_required
@never_cache
def totp_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Two-factor login: its state, and the set-up (QR code, confirmation) while it is off."""
    user = request.user
    if user.totp_enabled:
        return _render_totp_enabled(request, TotpDisableForm(user))
    secret = request.session.get(TOTP_SETUP_SECRET)
    if not isinstance(secret, str) or not secret:
        secret = totp.new_secret()
        request.session[TOTP_SETUP_SECRET] = secret
    form = TotpConfirmForm(secret, request.POST or None)
    if request.method == "POST" and form.is_valid():
        do_enable_totp(user, secret, acting_user=user)
        if form.step is not None:
            # The confirmation code is used up: it cannot log anyone in afterwards.
            totp.record_step(user, form.step)
        del request.session[TOTP_SETUP_SECRET]
        messages.success(
            request,
            _(
                "Die Zwei-Faktor-Anmeldung ist eingeschaltet. Bei jeder Anmeldung im Portal "
                "fragen wir jetzt nach dem Code aus Ihrer App."
            ),
        )
        return redirect("accounts:totp")
    school = SchoolSettings.get()
    uri = totp.provisioning_uri(user, secret, issuer=school.school_name)
    return render(
        request,
        "accounts/profile/totp.html",
        {
            "form": form,
            "required": must_set_up_totp(user),
            # segno's SVG of our own otpauth URI: path data only, no text from users.
            "qr_svg": mark_safe(totp.qr_svg(uri)),  # noqa: S308
            "secret_groups": totp.grouped_secret(secret),
            "otpauth_uri": uri,
        },
    )


def _render_totp_enabled(request: AuthenticatedHttpRequest, form: TotpDisableForm) -> HttpResponse:
    school = SchoolSettings.get()
    return render(
        request,
        "accounts/profile/totp.html",
        {
            "form": form,
            "enabled": True,
            "school_requires": school.require_2fa_for_staff
            and request.user.role in (Role.ADMIN, Role.STAFF),
        },
    )


@sensitive_post_parameters("current_password", "code")
@login_required
@require_POST
def totp_disable_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if not user.totp_enabled:
        return redirect("accounts:totp")
    form = TotpDisableForm(user, request.POST)
    if not form.is_valid():
        return _render_totp_enabled(request, form)
    do_disable_totp(user, acting_user=user)
    if must_set_up_totp(user):
        # Switching off where the school requires it is how a new phone is set up.
        messages.success(
            request,
            _(
                "Die Zwei-Faktor-Anmeldung ist ausgeschaltet. Ihre Schule schreibt sie für Ihr "
                "Konto vor: Bitte richten Sie sie jetzt neu ein."
            ),
        )
    else:
        messages.success(request, _("Die Zwei-Faktor-Anmeldung ist ausgeschaltet."))
    return redirect("accounts:totp")


urlpatterns = [
    path("konto/", profile_view, name="profile"),
    path("konto/passwort/", password_change_view, name="password_change"),
    path("konto/geraete/", devices_view, name="devices"),
    path("konto/geraete/<int:pk>/abmelden/", device_end_view, name="device_end"),
    path("konto/geraete/ueberall-abmelden/", devices_end_others_view, name="devices_end_others"),
    path("konto/anmeldungen/", login_history_view, name="login_history"),
    path("konto/zwei-faktor/", totp_view, name="totp"),
    path("konto/zwei-faktor/ausschalten/", totp_disable_view, name="totp_disable"),
    # The second login step lives in ``auth``; its route is here so that accounts/urls.py
    # only needs to include this list.
    path("anmelden/code/", auth.login_totp_view, name="login_totp"),
]

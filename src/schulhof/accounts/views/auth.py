"""Login (with the second step for two-factor login), logout and the forced first-password
change. Thin: forms validate, the authentication service decides, actions write."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from schulhof.accounts import authentication, totp
from schulhof.accounts.actions import do_set_password
from schulhof.accounts.forms import LoginForm, NewPasswordForm, TotpCodeForm
from schulhof.accounts.models import Protocol, Status, User
from schulhof.accounts.passwords import PASSWORD_TIP, strength_hint, user_names
from schulhof.accounts.sessions import (
    end_session,
    keep_session_after_password_change,
    start_session,
)
from schulhof.core.http import AuthenticatedHttpRequest


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("web:dashboard")


# Session key of a login whose password was right and that waits for its TOTP code.
PENDING_LOGIN = "schulhof_totp_pending_login"


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return HttpResponseRedirect(_next_url(request))
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        result = authentication.authenticate(
            form.cleaned_data["username"],
            form.cleaned_data["password"],
            protocol=Protocol.WEB,
            client_address=getattr(request, "client_address", None),
        )
        if result.outcome == authentication.Outcome.SECOND_FACTOR and result.user is not None:
            return _begin_code_step(request, result.user, result.must_change_password)
        if result.ok and result.user is not None:
            return _finish_login(request, result.user, result.must_change_password)
        form.add_error(None, result.message)
        status = 429 if result.outcome == authentication.Outcome.THROTTLED else 200
    return render(
        request,
        "accounts/login.html",
        {"form": form, "next": request.GET.get("next", "")},
        status=status,
    )


def _finish_login(request: HttpRequest, user: User, must_change_password: bool) -> HttpResponse:
    start_session(request, user, must_change_password=must_change_password)
    if must_change_password:
        return redirect("accounts:first_password")
    return HttpResponseRedirect(_next_url(request))


def _begin_code_step(request: HttpRequest, user: User, must_change_password: bool) -> HttpResponse:
    """The password was right; the session starts only after a valid code. A new session key
    first, so a key planted before the login cannot ride along."""
    request.session.cycle_key()
    request.session[PENDING_LOGIN] = {
        "user": user.pk,
        "since": timezone.now().timestamp(),
        "failures": 0,
        "must_change_password": must_change_password,
        "next": _next_url(request),
    }
    return redirect("accounts:login_totp")


def _pending_login(request: HttpRequest) -> tuple[dict[str, Any], User] | None:
    """The waiting login and its user, or None if there is none, it has expired, or the
    account was locked in the meantime (all of which clear it)."""
    pending = request.session.get(PENDING_LOGIN)
    if not isinstance(pending, dict):
        request.session.pop(PENDING_LOGIN, None)
        return None
    age = timezone.now().timestamp() - float(pending.get("since", 0))
    user = User.objects.filter(pk=int(pending.get("user", 0)), status=Status.ACTIVE).first()
    if (
        user is None
        or not user.totp_enabled
        or not 0 <= age <= totp.PENDING_LIFETIME.total_seconds()
    ):
        del request.session[PENDING_LOGIN]
        return None
    return pending, user


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
def login_totp_view(request: HttpRequest) -> HttpResponse:
    """Second login step for users with two-factor login: the 6-digit code from their app."""
    if request.user.is_authenticated:
        return redirect("web:dashboard")
    if PENDING_LOGIN not in request.session:
        return redirect("accounts:login")
    found = _pending_login(request)
    if found is None:
        messages.error(
            request,
            _("Die Anmeldung ist abgelaufen. Bitte melden Sie sich noch einmal an."),
        )
        return redirect("accounts:login")
    pending, user = found
    form = TotpCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        client_address = getattr(request, "client_address", None)
        code_ok = authentication.throttle_wait(user.username, client_address) == 0 and totp.verify(
            user, form.cleaned_data["code"]
        )
        result = authentication.finish_second_factor(user, code_ok, client_address=client_address)
        if result.outcome == authentication.Outcome.THROTTLED:
            del request.session[PENDING_LOGIN]
            messages.error(request, result.message)
            return redirect("accounts:login")
        if result.ok:
            del request.session[PENDING_LOGIN]
            start_session(request, user, must_change_password=pending["must_change_password"])
            if pending["must_change_password"]:
                return redirect("accounts:first_password")
            return HttpResponseRedirect(pending["next"])
        pending["failures"] += 1
        left = totp.MAX_CODE_FAILURES - pending["failures"]
        if left <= 0:
            del request.session[PENDING_LOGIN]
            messages.error(
                request,
                _("Zu viele falsche Codes. Bitte melden Sie sich noch einmal an."),
            )
            return redirect("accounts:login")
        request.session[PENDING_LOGIN] = pending
        form.add_error(
            "code",
            _(
                "Der Code ist nicht richtig oder schon benutzt. Noch %(left)d Versuch(e), "
                "dann müssen Sie sich neu anmelden."
            )
            % {"left": left},
        )
    return render(request, "accounts/login_totp.html", {"form": form})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    end_session(request)
    messages.success(request, _("Sie haben sich abgemeldet."))
    return redirect("accounts:login")


@sensitive_post_parameters("new_password", "new_password_repeat")
@login_required
@never_cache
def first_password_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """After a login with a first password: choose an own password before anything else."""
    user = request.user
    if not user.first_password_pending:
        return redirect("web:dashboard")
    form = NewPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        do_set_password(
            user,
            form.cleaned_data["new_password"],
            acting_user=user,
            keep_session_key=request.session.session_key,
        )
        keep_session_after_password_change(request, user)
        messages.success(request, _("Ihr neues Passwort ist gespeichert. Willkommen!"))
        return redirect("web:dashboard")
    return render(
        request, "accounts/first_password.html", {"form": form, "password_tip": PASSWORD_TIP}
    )


@login_required
@require_POST
def password_hint_view(request: AuthenticatedHttpRequest) -> JsonResponse:
    """Live hint while typing a new password: the same policy as on submit."""
    password = request.POST.get("password", "")[:1024]
    hint = strength_hint(password, user_names(request.user))
    return JsonResponse(
        {**hint, "ok_message": _("Dieses Passwort erfüllt die Regeln.")},
    )

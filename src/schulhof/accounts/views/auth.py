"""Login, logout and the forced first-password change. Thin: forms validate, the
authentication service decides, actions write."""

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from schulhof.accounts import authentication
from schulhof.accounts.actions import do_set_password
from schulhof.accounts.forms import LoginForm, NewPasswordForm
from schulhof.accounts.models import Protocol
from schulhof.accounts.passwords import PASSWORD_TIP, strength_hint, user_names
from schulhof.accounts.sessions import keep_session_after_password_change, start_session
from schulhof.core.actions import log_event
from schulhof.core.audit import AuditEvent
from schulhof.core.http import AuthenticatedHttpRequest


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("web:dashboard")


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
        if result.ok and result.user is not None:
            start_session(request, result.user, must_change_password=result.must_change_password)
            if result.must_change_password:
                return redirect("accounts:first_password")
            return HttpResponseRedirect(_next_url(request))
        form.add_error(None, result.message)
        status = 429 if result.outcome == authentication.Outcome.THROTTLED else 200
    return render(
        request,
        "accounts/login.html",
        {"form": form, "next": request.GET.get("next", "")},
        status=status,
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        user = request.user
        log_event(AuditEvent.LOGOUT, acting_user=user, modified_user=user)
        from schulhof.accounts.models import UserSession

        UserSession.objects.filter(session_key=request.session.session_key).delete()
    logout(request)
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

"""Portal pages: the dashboard, school settings, and the error pages."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import requires_csrf_token

from schulhof.core.actions import do_update_school_settings
from schulhof.core.http import AuthenticatedHttpRequest, admin_required
from schulhof.core.models import SchoolSettings
from schulhof.web.forms import SchoolSettingsForm
from schulhof.web.modules import modules_for


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    cards: list[dict[str, Any]] = []
    for module in modules_for(request.user):
        context = module.card_context(request) if module.card_context else None
        cards.append({"module": module, "context": context})
    return render(request, "web/dashboard.html", {"cards": cards})


@admin_required
def school_settings(request: AuthenticatedHttpRequest) -> HttpResponse:
    instance = SchoolSettings.get()
    # The form validates a copy: ModelForm writes into its instance, and the action must see
    # the old values to audit the difference.
    form = SchoolSettingsForm(request.POST or None, instance=SchoolSettings.get())
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.Meta.fields}
        do_update_school_settings(instance, changes, acting_user=request.user)
        messages.success(request, _("Die Einstellungen wurden gespeichert."))
        return redirect("web:school_settings")
    return render(request, "web/school_settings.html", {"form": form})


@requires_csrf_token
def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", status=403)


@requires_csrf_token
def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def error_500(request: HttpRequest) -> HttpResponse:
    # No context processors: the database may be the reason for the error.
    from django.template import loader

    return HttpResponse(loader.get_template("500.html").render(), status=500)

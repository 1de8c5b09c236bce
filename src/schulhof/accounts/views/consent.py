"""Consent pages: per class the missing consents and handovers, ticking off a class, the
consent forms and the credential letters of a class as PDF.

Class teachers see the classes they lead, admins and holders of ``admin.users`` every class
(``consent.consent_policy``). Every record goes through ``do_record_consent`` or
``do_record_handover``; first passwords through ``do_issue_first_password``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods

from schulhof.accounts.consent import (
    class_pupils,
    classes_with_counts,
    consent_policy,
    default_kuerzel,
    kuerzel_problems,
    never_logged_in,
    normalise_kuerzel,
    sees_all_classes,
    signature_rule,
)
from schulhof.accounts.consent_pdf import consent_forms_pdf, form_for, usage_policy_text
from schulhof.accounts.letters import issue_letters_pdf
from schulhof.accounts.lifecycle_actions import (
    ConsentError,
    do_record_consent,
    do_record_handover,
)
from schulhof.accounts.models import ConsentRecord, Group, HandoverRecord, User
from schulhof.accounts.policies import first_password_policy
from schulhof.core.http import AuthenticatedHttpRequest, filename_part, pdf_attachment
from schulhof.core.models import SchoolSettings

#: Form field names (German, like the rest of the portal's forms).
FIELD_DATE = "datum"
FIELD_KUERZEL = "kuerzel"
FIELD_CONSENT = "einwilligung"
FIELD_GUARDIAN = "eltern"
FIELD_PUPIL = "schueler"
FIELD_HANDOVER = "uebergabe"
FIELD_ALL = "alle"
FIELD_WITHOUT_POLICY = "ohne_ordnung"


def _class_or_403(user: User, pk: int, action: str) -> Group:
    return consent_policy.get_object_or_403(user, action, pk=pk)


def parse_date(text: str) -> date | None:
    """A date from ``<input type=date>`` (YYYY-MM-DD) or typed as DD.MM.YYYY."""
    text = (text or "").strip()
    match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text) or re.fullmatch(
        r"(\d{1,2})\.(\d{1,2})\.(\d{4})", text
    )
    if match is None:
        return None
    parts = [int(part) for part in match.groups()]
    year, month, day = parts if len(match.group(1)) == 4 else parts[::-1]
    try:
        return date(year, month, day)
    except ValueError:
        return None


@dataclass
class PupilRow:
    """One line of the tick-off table."""

    pupil: User
    show_guardian: bool
    show_pupil: bool
    age: int | None
    consent: ConsentRecord | None
    handover_record: HandoverRecord | None
    selected: bool = False
    guardian: bool = False
    pupil_signed: bool = False
    handover: bool = False
    errors: list[str] = field(default_factory=list)


def _rows(group: Group, today: date) -> list[PupilRow]:
    rows = []
    for pupil in class_pupils(group):
        rule = signature_rule(pupil, today)
        rows.append(
            PupilRow(
                pupil=pupil,
                show_guardian=rule.show_guardian,
                show_pupil=rule.show_pupil,
                age=rule.age,
                consent=getattr(pupil, "consent_record", None),
                handover_record=getattr(pupil, "handover_record", None),
            )
        )
    return rows


def _ids(values: list[str]) -> set[int]:
    return {int(value) for value in values if value.isdigit()}


# Views ----------------------------------------------------------------------------------


@login_required
@never_cache
@require_GET
def consent_overview(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The classes the user looks after, with how many consents and handovers are missing."""
    user = request.user
    if not consent_policy.user_has_permission(user, "view") and not sees_all_classes(user):
        raise PermissionDenied
    rows = classes_with_counts(user)
    return render(
        request,
        "accounts/consent/overview.html",
        {
            "rows": rows,
            "is_admin_area": sees_all_classes(user),
            "missing_total": sum(row["missing_consent"] for row in rows),
        },
    )


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def consent_class(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Tick off a class: consents received (with the signatures the age requires) and
    credentials handed over, with one date and one Kürzel for the whole batch."""
    user = request.user
    group = _class_or_403(user, pk, "view")
    today = timezone.localdate()
    rows = _rows(group, today)
    may_record = consent_policy.user_has_permission_for(user, "record", group)
    context: dict[str, Any] = {
        "group": group,
        "rows": rows,
        "may_record": may_record,
        "date_value": today.isoformat(),
        "today": today.isoformat(),
        "kuerzel_value": default_kuerzel(user),
        "form_errors": [],
        "missing_consent": sum(1 for row in rows if row.consent is None),
        "missing_handover": sum(1 for row in rows if row.handover_record is None),
    }
    if request.method == "GET":
        return render(request, "accounts/consent/class.html", context)
    if not may_record:
        raise PermissionDenied

    post = request.POST
    context["date_value"] = post.get(FIELD_DATE, "")
    context["kuerzel_value"] = post.get(FIELD_KUERZEL, "")
    consent_ids = _ids(post.getlist(FIELD_CONSENT))
    guardian_ids = _ids(post.getlist(FIELD_GUARDIAN))
    pupil_ids = _ids(post.getlist(FIELD_PUPIL))
    handover_ids = _ids(post.getlist(FIELD_HANDOVER))
    for row in rows:
        pk_ = row.pupil.pk
        row.guardian = pk_ in guardian_ids
        row.pupil_signed = pk_ in pupil_ids
        # A ticked signature means the form is there, even without the row's own tick.
        row.selected = row.consent is None and (
            pk_ in consent_ids or row.guardian or row.pupil_signed
        )
        row.handover = row.handover_record is None and pk_ in handover_ids
    known = {row.pupil.pk for row in rows}
    if (consent_ids | guardian_ids | pupil_ids | handover_ids) - known:
        # Someone not in this class (or not allowed): refuse the whole request.
        raise PermissionDenied

    received_on = parse_date(post.get(FIELD_DATE, ""))
    kuerzel = normalise_kuerzel(post.get(FIELD_KUERZEL, ""))
    # Errors about the whole batch first, so that the rows show only their own.
    form_errors = kuerzel_problems(kuerzel)
    if received_on is None:
        form_errors.append(_("Bitte geben Sie ein gültiges Datum an (TT.MM.JJJJ)."))
    elif received_on > today:
        form_errors.append(_("Das Datum darf nicht in der Zukunft liegen."))
    selected = [row for row in rows if row.selected or row.handover]
    if not selected and not form_errors:
        form_errors.append(_("Bitte haken Sie mindestens eine Einwilligung oder eine Übergabe an."))
    consents = handovers = 0
    if not form_errors and received_on is not None:
        # All or nothing: with any error nothing is recorded and the ticks stay as they were.
        with transaction.atomic():
            for row in selected:
                try:
                    if row.selected:
                        do_record_consent(
                            row.pupil,
                            received_on=received_on,
                            guardian_signed=row.guardian,
                            pupil_signed=row.pupil_signed,
                            kuerzel=kuerzel,
                            acting_user=user,
                        )
                        consents += 1
                    if row.handover:
                        do_record_handover(
                            row.pupil, handed_over_on=received_on, kuerzel=kuerzel, acting_user=user
                        )
                        handovers += 1
                except ConsentError as error:
                    row.errors = error.messages
            if any(row.errors for row in rows):
                transaction.set_rollback(True)
    if form_errors or any(row.errors for row in rows):
        context["form_errors"] = form_errors
        context["row_errors"] = any(row.errors for row in rows)
        return render(request, "accounts/consent/class.html", context, status=400)
    messages.success(
        request,
        _("%(consents)d Einwilligung(en) und %(handovers)d Übergabe(n) erfasst.")
        % {"consents": consents, "handovers": handovers},
    )
    return redirect("accounts:consent_class", pk=group.pk)


@login_required
@never_cache
@require_GET
def consent_forms(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The consent forms of a class as one PDF: the pupils without consent, or all with
    ``?alle=1``; each after the usage policy unless ``?ohne_ordnung=1``."""
    group = _class_or_403(request.user, pk, "view")
    pupils = class_pupils(group)
    if not request.GET.get(FIELD_ALL):
        pupils = pupils.filter(consent_record__isnull=True)
    school = SchoolSettings.get()
    today = timezone.localdate()
    forms = [
        form_for(pupil, class_name=group.name, school_name=school.school_name, today=today)
        for pupil in pupils
    ]
    if not forms:
        messages.info(request, _("In dieser Klasse fehlt keine Einwilligung."))
        return redirect("accounts:consent_class", pk=group.pk)
    policy = None if request.GET.get(FIELD_WITHOUT_POLICY) else usage_policy_text(school)
    pdf = consent_forms_pdf(forms, policy_text=policy)
    return pdf_attachment(pdf, "Einwilligungen-%s.pdf" % filename_part(group.name, "Klasse"))


def _letter_candidates(group: Group, user: User) -> tuple[list[User], list[User]]:
    """Pupils of the class without a recorded handover: those who get a letter (never logged
    in, and the user may issue them a first password) and those skipped."""
    allowed = set(
        first_password_policy.instances_user_has_permission_for(user, "issue").values_list(
            "pk", flat=True
        )
    )
    eligible, skipped = [], []
    for pupil in class_pupils(group).filter(handover_record__isnull=True):
        if pupil.pk in allowed and never_logged_in(pupil):
            eligible.append(pupil)
        else:
            skipped.append(pupil)
    return eligible, skipped


@sensitive_variables("first_password", "letters", "pdf")
@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def consent_letters(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """GET: which pupils get a credential letter (no handover yet, never logged in).
    POST: issue a first password to each and return the letters as one PDF."""
    user = request.user
    group = _class_or_403(user, pk, "letters")
    eligible, skipped = _letter_candidates(group, user)
    if request.method == "GET" or not eligible:
        if request.method == "POST":
            messages.error(request, _("Niemand in dieser Klasse braucht einen Brief."))
        return render(
            request,
            "accounts/consent/letters_confirm.html",
            {"group": group, "eligible": eligible, "skipped": skipped},
        )
    pdf = issue_letters_pdf(eligible, issuer=user)
    return pdf_attachment(pdf, "Zugangsdaten-%s.pdf" % filename_part(group.name, "Klasse"))


urlpatterns = [
    path("einwilligungen/", consent_overview, name="consent_overview"),
    path("einwilligungen/<int:pk>/", consent_class, name="consent_class"),
    path("einwilligungen/<int:pk>/formulare/", consent_forms, name="consent_forms"),
    path("einwilligungen/<int:pk>/zugangsdaten/", consent_letters, name="consent_letters"),
]

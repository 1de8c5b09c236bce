"""Import pages under ``/verwaltung/import/``: upload, preview, apply, result, letters, and
the import profiles. Thin: forms validate, the policy decides, actions write.

First passwords of new people leave the server only through the apply's response: the result
page carries them in a signed, time-limited token that the letters button posts back. They
are never stored, logged or put into a URL.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from schulhof.accounts import letters
from schulhof.accounts.models import User
from schulhof.accounts.views.admin import require
from schulhof.core.http import AuthenticatedHttpRequest, pdf_attachment
from schulhof.schoolimport.actions import (
    ImportRefused,
    do_apply_import_run,
    do_create_import_run,
    do_delete_profile,
    do_discard_import_run,
    do_save_profile,
)
from schulhof.schoolimport.diff import CHANGES, INVALID, NEW, UNCHANGED
from schulhof.schoolimport.encodings import UnreadableFile
from schulhof.schoolimport.engine import ApplyResult, ImportOptions
from schulhof.schoolimport.forms import ApplyForm, ProfileForm, UploadForm
from schulhof.schoolimport.models import ImportProfile, ImportRun, RunStatus
from schulhof.schoolimport.policies import import_run_policy, may_import
from schulhof.schoolimport.profiles import layout_for_key

logger = logging.getLogger(__name__)

PAGE_SIZE = 200
#: Above this many new people the apply's hashing (about 20 ms each on two cores, so ~30 s
#: for 1,500) would come too close to the web server's 120 s timeout on a loaded machine;
#: such imports run on the command line.
WEB_APPLY_MAX_NEW = 1500
LETTERS_SALT = "schulhof.schoolimport.letters"
#: How long the result page's letters button works.
LETTERS_MAX_AGE = 12 * 60 * 60

CHANGE_LABELS = {
    "new": gettext_lazy("Neu"),
    "updated": gettext_lazy("Geändert"),
    "class_changed": gettext_lazy("Klassenwechsel"),
    "left": gettext_lazy("Abgang"),
    "returned": gettext_lazy("Rückkehr"),
    "unchanged": gettext_lazy("Unverändert"),
    "invalid": gettext_lazy("Fehlerhaft"),
}
FIELD_LABELS = {
    "first_name": gettext_lazy("Vorname"),
    "last_name": gettext_lazy("Nachname"),
    "name_particle": gettext_lazy("Namenszusatz"),
    "birth_date": gettext_lazy("Geburtsdatum"),
    "kuerzel": gettext_lazy("Kürzel"),
}
#: The filter's URL values (German, they show in the address bar).
FILTERS = {
    "aenderungen": None,
    "alle": None,
    "neu": "new",
    "geaendert": "updated",
    "klassenwechsel": "class_changed",
    "abgang": "left",
    "rueckkehr": "returned",
    "unveraendert": "unchanged",
    "fehler": "invalid",
}
_FILTER_OF_CHANGE = {change: key for key, change in FILTERS.items() if change}


def _tabs(current: str) -> dict[str, Any]:
    return {"import_tab": current}


def _run_or_403(request: AuthenticatedHttpRequest, pk: int, action: str) -> ImportRun:
    require(import_run_policy.user_has_permission(request.user, action))
    return get_object_or_404(
        import_run_policy.instances_user_has_permission_for(request.user, action), pk=pk
    )


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def upload(request: AuthenticatedHttpRequest) -> HttpResponse:
    require(may_import(request.user))
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        layout = layout_for_key(data["layout"])
        if layout is None:
            form.add_error("layout", _("Dieses Importprofil gibt es nicht mehr."))
        else:
            options = ImportOptions(
                layout=layout,
                source=data["source"] or layout.source,
                encoding=data["encoding"],
                full=data["full_import"],
            )
            upload_file = data["file"]
            try:
                run = do_create_import_run(
                    upload_file.read(),
                    filename=upload_file.name or "import.csv",
                    options=options,
                    acting_user=request.user,
                )
            except UnreadableFile as error:
                form.add_error("file", str(error))
            else:
                return redirect("schoolimport:run", pk=run.pk)
    runs = ImportRun.objects.select_related("created_by").defer("data", "preview")[:15]
    return render(
        request,
        "schoolimport/upload.html",
        {"form": form, "runs": runs, **_tabs("upload")},
        status=400 if form.errors else 200,
    )


def _filtered_people(run: ImportRun, filter_key: str) -> list[dict[str, Any]]:
    people: list[dict[str, Any]] = run.preview.get("people", [])
    change = FILTERS.get(filter_key)
    if change:
        return [person for person in people if person["change"] == change]
    if filter_key == "alle":
        return people
    return [person for person in people if person["change"] != UNCHANGED]


def _chips(run: ImportRun, current: str) -> list[dict[str, Any]]:
    counts = run.counts
    changed = sum(count for change, count in counts.items() if change != UNCHANGED)
    chips = [
        {"key": "aenderungen", "label": _("Alle Änderungen"), "count": changed},
    ]
    chips += [
        {
            "key": _FILTER_OF_CHANGE[change],
            "label": CHANGE_LABELS[change],
            "count": counts.get(change, 0),
            "change": change,
        }
        for change in CHANGES
        if counts.get(change, 0)
    ]
    chips.append({"key": "alle", "label": _("Alle"), "count": sum(counts.values())})
    for chip in chips:
        chip["current"] = chip["key"] == current
    return chips


def _german_date(value: Any) -> Any:
    """ISO dates from the stored preview as DD.MM.YYYY; anything else unchanged."""
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        return "%s.%s.%s" % (value[8:10], value[5:7], value[0:4])
    return value


def _with_labels(people: list[dict[str, Any]]) -> list[dict[str, Any]]:
    shown = []
    for stored in people:
        person = dict(stored)
        person["change_label"] = CHANGE_LABELS.get(person["change"], person["change"])
        person["left_on_display"] = _german_date(person.get("left_on"))
        person["field_list"] = [
            {
                "label": FIELD_LABELS.get(key, key),
                "old": _german_date(old),
                "new": _german_date(new),
            }
            for key, (old, new) in person.get("fields", {}).items()
        ]
        shown.append(person)
    return shown


@login_required
@never_cache
@require_GET
def run_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    run = _run_or_403(request, pk, "view")
    if run.status == RunStatus.APPLIED:
        return redirect("schoolimport:result", pk=run.pk)
    filter_key = request.GET.get("zeige", "aenderungen")
    if filter_key not in FILTERS:
        filter_key = "aenderungen"
    people = _filtered_people(run, filter_key)
    page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("seite"))
    preview = run.preview
    new_count = run.counts.get(NEW, 0)
    return render(
        request,
        "schoolimport/run.html",
        {
            "run": run,
            "preview": preview,
            "file": preview.get("file", {}),
            "page": page,
            "people": _with_labels(list(page.object_list)),
            "chips": _chips(run, filter_key),
            "filter_key": filter_key,
            "errors": preview.get("errors", []),
            "warnings": preview.get("warnings", []),
            "file_warnings": [w for w in preview.get("warnings", []) if w["line"] is None],
            "row_warnings": [w for w in preview.get("warnings", []) if w["line"] is not None],
            "apply_form": ApplyForm(),
            "renames": sum(1 for person in preview.get("people", []) if person.get("new_username")),
            "too_many_new": new_count > WEB_APPLY_MAX_NEW,
            "web_apply_max_new": WEB_APPLY_MAX_NEW,
            "open": run.status == RunStatus.PREVIEWED,
            **_tabs("upload"),
        },
    )


def _password_check(user: User) -> str:
    """A short digest of the stored hash: tells whether the first password from the import
    is still the current one (someone may have issued another meanwhile)."""
    return hashlib.sha256(user.password.encode("utf-8")).hexdigest()[:16]


@sensitive_variables("result", "passwords")
def _letters_token(run: ImportRun, result: ApplyResult) -> str:
    users = User.objects.in_bulk(list(result.first_passwords))
    passwords = {
        str(pk): [clear, _password_check(users[pk])]
        for pk, clear in result.first_passwords.items()
        if pk in users
    }
    return signing.dumps({"run": run.pk, "pw": passwords}, salt=LETTERS_SALT, compress=True)


def _class_counts(run: ImportRun) -> list[dict[str, Any]]:
    """New people of the run by class, for one letters button per class."""
    counts: dict[str, int] = {}
    for person in run.preview.get("people", []):
        if person["change"] == NEW:
            key = person.get("class") or ""
            counts[key] = counts.get(key, 0) + 1
    return [{"name": name, "count": count} for name, count in sorted(counts.items())]


@login_required
@never_cache
@require_POST
@sensitive_post_parameters()
def apply(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    run = _run_or_403(request, pk, "apply")
    form = ApplyForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest()
    if run.status == RunStatus.PREVIEWED and run.counts.get(NEW, 0) > WEB_APPLY_MAX_NEW:
        messages.error(
            request, _("So viele neue Personen bitte über die Kommandozeile übernehmen.")
        )
        return redirect("schoolimport:run", pk=run.pk)
    try:
        result = do_apply_import_run(
            run,
            acting_user=request.user,
            skip_invalid=form.cleaned_data["skip_invalid"],
            rename_usernames=form.cleaned_data["rename_usernames"],
        )
    except ImportRefused as error:
        messages.error(request, str(error))
        return redirect("schoolimport:run", pk=run.pk)
    run.refresh_from_db()
    return _render_result(
        request, run, token=_letters_token(run, result) if result.first_passwords else ""
    )


def _render_result(
    request: AuthenticatedHttpRequest, run: ImportRun, *, token: str
) -> HttpResponse:
    counts = run.result.get("counts", {})
    return render(
        request,
        "schoolimport/result.html",
        {
            "run": run,
            "counts": [
                {"change": change, "label": CHANGE_LABELS[change], "count": counts.get(change, 0)}
                for change in CHANGES
            ],
            "created": len(run.result.get("created", [])),
            "renamed": run.result.get("renamed", []),
            "skipped_lines": run.result.get("skipped_lines", []),
            "groups_created": run.result.get("groups_created", []),
            "token": token,
            "classes": _class_counts(run) if token else [],
            "invalid": counts.get(INVALID, 0),
            **_tabs("upload"),
        },
    )


@login_required
@never_cache
@require_GET
def result(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    run = _run_or_403(request, pk, "view")
    if run.status != RunStatus.APPLIED:
        return redirect("schoolimport:run", pk=run.pk)
    return _render_result(request, run, token="")


@login_required
@require_POST
def discard(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    run = _run_or_403(request, pk, "discard")
    do_discard_import_run(run, acting_user=request.user)
    messages.success(request, _("Die Vorschau wurde verworfen; die Datei ist gelöscht."))
    return redirect("schoolimport:upload")


@login_required
@never_cache
@require_POST
@sensitive_post_parameters("token")
@sensitive_variables("payload", "passwords", "letter_list")
def credential_letters(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The credential letters of the run's new people, from the result page's token; with
    ``klasse``, only that class's."""
    run = _run_or_403(request, pk, "letters")
    try:
        payload = signing.loads(
            request.POST.get("token", ""), salt=LETTERS_SALT, max_age=LETTERS_MAX_AGE
        )
    except signing.BadSignature:
        messages.error(
            request,
            _(
                "Die Zugangsbriefe dieses Imports sind nicht mehr abrufbar (nur bis 12 Stunden "
                "nach der Übernahme, solange die Ergebnisseite offen ist). Erzeugen Sie neue "
                "Erstpasswörter über „Meine Klassen“."
            ),
        )
        return redirect("schoolimport:result", pk=run.pk)
    if payload.get("run") != run.pk:
        return HttpResponseBadRequest()
    passwords: dict[str, list[str]] = payload.get("pw", {})
    only_class = request.POST.get("klasse")
    users = User.objects.filter(
        pk__in=[int(pk) for pk in passwords], first_password_pending=True, last_login__isnull=True
    )
    letter_list = []
    for user in users:
        clear, check = passwords[str(user.pk)]
        if check != _password_check(user):
            continue  # a newer first password was issued meanwhile
        letter = letters.letter_for(user, clear, issuer=request.user)
        if only_class is not None and letter.class_name != only_class:
            continue
        letter_list.append((letter.class_name, user.last_name, user.first_name, letter))
    if not letter_list:
        messages.error(
            request,
            _(
                "Keine Zugangsbriefe mehr offen: die Personen haben sich schon angemeldet oder "
                "ein neueres Erstpasswort bekommen."
            ),
        )
        return redirect("schoolimport:result", pk=run.pk)
    letter_list.sort(key=lambda item: (item[0], item[1].casefold(), item[2].casefold()))
    try:
        pdf = letters.credential_letters_pdf([item[3] for item in letter_list])
    except RuntimeError:
        logger.exception("credential letters for import run %s failed", run.pk)
        messages.error(request, _("Die Zugangsbriefe konnten nicht erstellt werden."))
        return redirect("schoolimport:result", pk=run.pk)
    name = "zugangsbriefe-import-%d%s.pdf" % (run.pk, "-" + only_class if only_class else "")
    return pdf_attachment(pdf, name)


# Import profiles ---------------------------------------------------------------------------


@login_required
@require_GET
def profile_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    require(may_import(request.user))
    return render(
        request,
        "schoolimport/profiles.html",
        {"profiles": ImportProfile.objects.all(), **_tabs("profiles")},
    )


@login_required
@require_http_methods(["GET", "POST"])
def profile_edit(request: AuthenticatedHttpRequest, pk: int | None = None) -> HttpResponse:
    require(may_import(request.user))
    profile = get_object_or_404(ImportProfile, pk=pk) if pk is not None else None
    form = ProfileForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        saved = do_save_profile(profile, form.action_values(), acting_user=request.user)
        messages.success(
            request, _("Das Importprofil „%(name)s“ ist gespeichert.") % {"name": saved.name}
        )
        return redirect("schoolimport:profiles")
    return render(
        request,
        "schoolimport/profile_form.html",
        {"form": form, "profile": profile, **_tabs("profiles")},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def profile_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require(may_import(request.user))
    profile = get_object_or_404(ImportProfile, pk=pk)
    name = profile.name
    do_delete_profile(profile, acting_user=request.user)
    messages.success(request, _("Das Importprofil „%(name)s“ ist gelöscht.") % {"name": name})
    return redirect("schoolimport:profiles")

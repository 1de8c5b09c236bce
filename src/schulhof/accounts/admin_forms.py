"""Forms of the admin pages (people, groups, privileges). They validate and translate input
into the arguments of the ``do_*`` actions; they never save anything themselves."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Any, cast

from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Length
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from schulhof.accounts.actions import username_taken
from schulhof.accounts.models import (
    GrantKind,
    Group,
    GroupKind,
    Membership,
    PrivilegeGrant,
    Role,
    Status,
    User,
)
from schulhof.accounts.sanctions import BLOCKABLE
from schulhof.accounts.usernames import MAX_RECOMMENDED_LENGTH, transliterate, username_base

USERNAME_PATTERN = re.compile(r"^[a-z][a-z0-9-]*(\.[a-z0-9-]+)*$")
_GERMAN_LETTERS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


class DateInput(forms.DateInput):
    """The browser's date picker; the value is sent as ISO date."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def end_of_day(day: date) -> datetime:
    """The moment a day ends in the school's time zone: "gesperrt bis 12.05." includes the
    12th."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def role_choices(acting_user: User) -> list[tuple[str, Any]]:
    """Roles a person may give: only admins may make someone an admin (otherwise holders of
    ``admin.users`` could raise themselves)."""
    return [
        (value, label)
        for value, label in Role.choices
        if value != Role.SYSTEM and (value != Role.ADMIN or acting_user.is_admin)
    ]


def suggest_group_slug(name: str) -> str:
    """``Klasse 5ä`` → ``klasse-5ae``: lower-case ASCII with German umlauts spelt out."""
    return slugify(name.strip().lower().translate(_GERMAN_LETTERS))[:100]


def _choice_field(form: forms.Form, name: str) -> forms.ChoiceField:
    return cast(forms.ChoiceField, form.fields[name])


def _model_field(form: forms.Form, name: str) -> forms.ModelChoiceField[Any]:
    return cast("forms.ModelChoiceField[Any]", form.fields[name])


def _natural_key(name: str) -> list[Any]:
    """ "5a" before "10a": digits compare as numbers."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


def grouped_group_choices() -> list[tuple[Any, Any]]:
    """All groups for a select, in optgroups by kind (classes, year groups, …)."""
    by_kind: dict[str, list[tuple[int, str]]] = {}
    for group in Group.objects.only("pk", "name", "kind"):
        by_kind.setdefault(group.kind, []).append((group.pk, group.name))
    return [
        (label, sorted(by_kind[kind], key=lambda choice: _natural_key(choice[1])))
        for kind, label in GroupKind.choices
        if kind in by_kind
    ]


def _has_letter(value: str) -> bool:
    return any(char.isalpha() for char in value)


# --- people -------------------------------------------------------------------------------


class UserFilterForm(forms.Form):
    """Search and IServ's filters on the user list (a GET form)."""

    q = forms.CharField(
        label=_("Suche"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
        help_text=_("Name, Benutzername oder Kürzel"),
    )
    role = forms.ChoiceField(label=_("Rolle"), required=False)
    first_password = forms.BooleanField(label=_("Hat ein Erstpasswort"), required=False)
    never_logged_in = forms.BooleanField(label=_("Noch nie angemeldet"), required=False)
    no_group = forms.BooleanField(label=_("In keiner Gruppe"), required=False)
    long_username = forms.BooleanField(required=False)
    locked = forms.BooleanField(label=_("Gesperrt"), required=False)
    left = forms.BooleanField(label=_("Abgegangen"), required=False)

    FLAGS = ("first_password", "never_logged_in", "no_group", "long_username", "locked", "left")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "role").choices = [("", _("Alle Rollen"))] + [
            (value, label) for value, label in Role.choices if value != Role.SYSTEM
        ]
        self.fields["long_username"].label = _("Benutzername länger als %(count)d Zeichen") % {
            "count": MAX_RECOMMENDED_LENGTH
        }

    def flag_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.FLAGS]

    def active_flags(self) -> int:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return sum(1 for name in self.FLAGS if data.get(name))

    def is_filtered(self) -> bool:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return any(data.get(name) for name in ("q", "role", *self.FLAGS))

    def apply(self, people: QuerySet[User]) -> QuerySet[User]:
        """Narrow ``people`` by the valid parts of the form (invalid input filters nothing)."""
        if not self.is_bound or not self.is_valid():
            return people
        data = self.cleaned_data
        for word in data["q"].split():
            match = (
                Q(username__icontains=word)
                | Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
                | Q(name_particle__icontains=word)
                | Q(kuerzel__iexact=word)
            )
            # "Öztürk" also finds oeztuerk: SQLite compares non-ASCII letters case-sensitively.
            ascii_word = transliterate(word)
            if ascii_word and ascii_word != word:
                match |= Q(username__icontains=ascii_word)
            people = people.filter(match)
        if data["role"]:
            people = people.filter(role=data["role"])
        if data["first_password"]:
            people = people.filter(first_password_pending=True)
        if data["never_logged_in"]:
            people = people.filter(last_login__isnull=True)
        if data["no_group"]:
            people = people.filter(~Exists(Membership.objects.filter(user=OuterRef("pk"))))
        if data["long_username"]:
            people = people.alias(username_length=Length("username")).filter(
                username_length__gt=MAX_RECOMMENDED_LENGTH
            )
        if data["locked"]:
            people = people.filter(status=Status.LOCKED)
        if data["left"]:
            people = people.filter(status=Status.LEFT)
        return people


class PersonFieldsMixin(forms.Form):
    """Names, birth date, role and Kürzel: shared by "create" and "edit"."""

    first_name = forms.CharField(
        label=_("Vorname(n)"),
        max_length=150,
        help_text=_("Alle Vornamen, wie sie im Benutzernamen stehen sollen"),
    )
    last_name = forms.CharField(label=_("Nachname"), max_length=150)
    name_particle = forms.CharField(
        label=_("Namenszusatz"),
        max_length=50,
        required=False,
        help_text=_("z. B. „von“ oder „van der“"),
    )
    birth_date = forms.DateField(label=_("Geburtsdatum"), required=False, widget=DateInput())
    role = forms.ChoiceField(label=_("Rolle"))
    kuerzel = forms.CharField(
        label=_("Kürzel"),
        max_length=10,
        required=False,
        help_text=_("Nur für Lehrkräfte, z. B. „MÜL“"),
    )

    def __init__(
        self, *args: Any, acting_user: User, person: User | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.acting_user = acting_user
        self.person = person
        choices = role_choices(acting_user)
        if person is not None and person.role not in dict(choices):
            # Shown, so the form is complete; keeping it is allowed, giving it is not.
            choices.append((person.role, person.get_role_display()))
        _choice_field(self, "role").choices = choices

    def clean_first_name(self) -> str:
        value: str = self.cleaned_data["first_name"]
        if not _has_letter(value):
            raise forms.ValidationError(_("Bitte geben Sie einen Vornamen mit Buchstaben an."))
        return value

    def clean_last_name(self) -> str:
        value: str = self.cleaned_data["last_name"]
        if not _has_letter(value):
            raise forms.ValidationError(_("Bitte geben Sie einen Nachnamen mit Buchstaben an."))
        return value

    def clean_role(self) -> str:
        role: str = self.cleaned_data["role"]
        keeps_admin = self.person is not None and self.person.role == Role.ADMIN
        if role == Role.ADMIN and not self.acting_user.is_admin and not keeps_admin:
            raise forms.ValidationError(_("Nur Administrator/innen dürfen diese Rolle vergeben."))
        return role

    def clean_kuerzel(self) -> str:
        return str(self.cleaned_data["kuerzel"]).strip().upper()

    def clean_birth_date(self) -> date | None:
        born: date | None = self.cleaned_data["birth_date"]
        if born is not None and born > timezone.localdate():
            raise forms.ValidationError(_("Das Geburtsdatum liegt in der Zukunft."))
        return born

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kuerzel = cleaned.get("kuerzel")
        if kuerzel:
            if cleaned.get("role") == Role.PUPIL:
                self.add_error("kuerzel", _("Schüler/innen haben kein Kürzel."))
            else:
                holder = User.objects.people().filter(kuerzel=kuerzel)
                if self.person is not None:
                    holder = holder.exclude(pk=self.person.pk)
                other = holder.exclude(status=Status.DELETED).first()
                if other is not None:
                    self.add_error(
                        "kuerzel",
                        _("Das Kürzel „%(kuerzel)s“ hat bereits %(name)s.")
                        % {"kuerzel": kuerzel, "name": other.full_name},
                    )
        return cleaned

    def person_changes(self) -> dict[str, object]:
        data = self.cleaned_data
        return {
            "first_name": data["first_name"],
            "last_name": data["last_name"],
            "name_particle": data["name_particle"],
            "birth_date": data["birth_date"],
            "role": data["role"],
            "kuerzel": data["kuerzel"],
        }


class UserCreateForm(PersonFieldsMixin):
    username = forms.CharField(
        label=_("Benutzername (optional)"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocapitalize": "none", "autocomplete": "off"}),
        help_text=_(
            "Leer lassen: wird als vorname.nachname aus dem Namen gebildet. Nur nötig, wenn "
            "der Name keine lateinischen Buchstaben enthält."
        ),
    )
    groups = forms.ModelMultipleChoiceField(
        label=_("Gruppen"),
        queryset=Group.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Mehrere mit Strg (Mac: ⌘) auswählen"),
    )
    letter_pdf = forms.BooleanField(
        label=_("Zugangsbrief sofort als PDF herunterladen"),
        required=False,
        help_text=_("Statt der Ergebnisseite kommt der Brief mit dem Erstpasswort als PDF."),
    )
    # One token per form: a repeated POST (reload, double click) creates nobody twice.
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: Any, letters_available: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _model_field(self, "groups").queryset = Group.objects.all()
        # Only the rendering: validation still looks the chosen groups up in the queryset.
        _model_field(self, "groups").choices = grouped_group_choices()
        if not letters_available:
            del self.fields["letter_pdf"]

    def clean_username(self) -> str:
        name = str(self.cleaned_data["username"]).strip().lower()
        if not name:
            return ""
        if not USERNAME_PATTERN.match(name):
            raise forms.ValidationError(
                _(
                    "Erlaubt sind Kleinbuchstaben a–z, Ziffern, Bindestriche und Punkte "
                    "zwischen den Namensteilen, z. B. „vorname.nachname“."
                )
            )
        if username_taken(name):
            raise forms.ValidationError(
                _(
                    "Der Benutzername „%(username)s“ ist vergeben oder war schon einmal "
                    "vergeben und wird nicht wiederverwendet."
                )
                % {"username": name}
            )
        return name

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        first = cleaned.get("first_name")
        last = cleaned.get("last_name")
        if first and last and not cleaned.get("username") and "username" not in self.errors:
            try:
                username_base(first, last, cleaned.get("name_particle", ""))
            except ValueError as error:
                field = "first_name" if not transliterate(first) else "last_name"
                self.add_error(field, str(error))
        return cleaned


class UserEditForm(PersonFieldsMixin):
    pass


class LockForm(forms.Form):
    reason = forms.CharField(
        label=_("Grund"),
        max_length=500,
        help_text=_("Wird im Protokoll gespeichert und der Person bei der Anmeldung genannt."),
    )
    until = forms.DateField(
        label=_("Gesperrt bis einschließlich (optional)"),
        required=False,
        widget=DateInput(),
        help_text=_("Leer lassen: gesperrt, bis jemand das Konto entsperrt."),
    )

    def clean_until(self) -> datetime | None:
        day: date | None = self.cleaned_data["until"]
        if day is None:
            return None
        if day < timezone.localdate():
            raise forms.ValidationError(_("Das Datum liegt in der Vergangenheit."))
        return end_of_day(day)


class SanctionForm(forms.Form):
    blocked = forms.MultipleChoiceField(
        label=_("Gesperrte Bereiche"),
        choices=[],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Bitte wählen Sie mindestens einen Bereich.")},
    )
    reason = forms.CharField(
        label=_("Grund"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Bitte geben Sie einen Grund an.")},
    )
    ends_on = forms.DateField(
        label=_("Gilt bis einschließlich"), required=False, widget=DateInput()
    )
    indefinite = forms.BooleanField(label=_("unbefristet"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "sanction")
        super().__init__(*args, **kwargs)
        _choice_field(self, "blocked").choices = list(BLOCKABLE.items())

    def clean_reason(self) -> str:
        reason = str(self.cleaned_data["reason"]).strip()
        if not reason:
            raise forms.ValidationError(_("Bitte geben Sie einen Grund an."))
        return reason

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        ends_on: date | None = cleaned.get("ends_on")
        indefinite = cleaned.get("indefinite")
        if ends_on is None and not indefinite and "ends_on" not in self.errors:
            self.add_error(
                "ends_on", _("Bitte geben Sie ein Enddatum an oder wählen Sie „unbefristet“.")
            )
        elif ends_on is not None and indefinite:
            self.add_error("ends_on", _("Entweder ein Enddatum oder „unbefristet“, nicht beides."))
        elif ends_on is not None and ends_on < timezone.localdate():
            self.add_error("ends_on", _("Das Datum liegt in der Vergangenheit."))
        cleaned["ends_at"] = end_of_day(ends_on) if ends_on and not indefinite else None
        return cleaned


# --- groups -------------------------------------------------------------------------------


class GroupFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("Art"), required=False)
    q = forms.CharField(
        label=_("Suche"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "kind").choices = [("", _("Alle Arten")), *GroupKind.choices]

    def apply(self, groups: QuerySet[Group]) -> QuerySet[Group]:
        if not self.is_bound or not self.is_valid():
            return groups
        if self.cleaned_data["kind"]:
            groups = groups.filter(kind=self.cleaned_data["kind"])
        for word in self.cleaned_data["q"].split():
            groups = groups.filter(Q(name__icontains=word) | Q(slug__icontains=word))
        return groups


class GroupCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    slug = forms.SlugField(
        label=_("Kurzname"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"autocapitalize": "none", "autocomplete": "off"}),
        help_text=_(
            "Für Gruppenadresse und Ordnername; Kleinbuchstaben, Ziffern und Bindestriche. "
            "Leer lassen: wird aus dem Namen gebildet."
        ),
        error_messages={
            "invalid": _("Nur Kleinbuchstaben a–z, Ziffern, Bindestriche und Unterstriche.")
        },
    )
    kind = forms.ChoiceField(label=_("Art"), choices=GroupKind.choices, initial=GroupKind.CUSTOM)
    parent = forms.ModelChoiceField(
        label=_("Jahrgang"),
        queryset=Group.objects.none(),
        required=False,
        empty_label=_("– kein Jahrgang –"),
        help_text=_("Nur für Klassen: der Jahrgang, zu dem die Klasse gehört"),
    )
    description = forms.CharField(label=_("Beschreibung"), max_length=300, required=False)
    has_folder = forms.BooleanField(label=_("Gruppenordner"), required=False)
    has_mail = forms.BooleanField(label=_("Gruppen-E-Mail-Adresse"), required=False)

    def __init__(self, *args: Any, suggestion_url: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _model_field(self, "parent").queryset = Group.objects.filter(kind=GroupKind.YEAR)
        if suggestion_url:
            # htmx shows the Kurzname an empty field will get while the name is typed.
            self.fields["name"].widget.attrs.update(
                {
                    "hx-get": suggestion_url,
                    "hx-trigger": "input changed delay:300ms",
                    "hx-target": "#slug-suggestion",
                    "aria-describedby": "slug-suggestion",
                }
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        name = str(cleaned.get("name") or "").strip()
        slug = str(cleaned.get("slug") or "").lower()
        if name and not slug and "slug" not in self.errors:
            slug = suggest_group_slug(name)
            if not slug:
                self.add_error(
                    "slug", _("Aus diesem Namen lässt sich kein Kurzname bilden; bitte angeben.")
                )
        if slug and Group.objects.filter(slug=slug).exists():
            self.add_error(
                "slug" if cleaned.get("slug") else "name",
                _("Der Kurzname „%(slug)s“ gehört schon einer anderen Gruppe.") % {"slug": slug},
            )
        cleaned["slug"] = slug
        cleaned["name"] = name
        if cleaned.get("parent") is not None and cleaned.get("kind") != GroupKind.CLASS:
            self.add_error("parent", _("Nur Klassen gehören zu einem Jahrgang."))
        return cleaned


class AddMemberForm(forms.Form):
    """Add a person by exact username; the autocomplete's buttons send ``pick`` instead."""

    username = forms.CharField(
        label=_("Benutzername oder Name"),
        max_length=150,
        required=False,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "none", "type": "search"}
        ),
    )
    pick = forms.CharField(max_length=150, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, search_url: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if search_url:
            # htmx: suggestions appear below while typing; without JS the exact name works.
            self.fields["username"].widget.attrs.update(
                {
                    "hx-get": search_url,
                    "hx-trigger": "input changed delay:250ms, search",
                    "hx-target": "#people-results",
                    "aria-controls": "people-results",
                }
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        name = str(cleaned.get("pick") or cleaned.get("username") or "").strip().lower()
        if not name:
            self.add_error("username", _("Bitte geben Sie einen Benutzernamen ein."))
            return cleaned
        person = User.objects.people().exclude(status=Status.DELETED).filter(username=name).first()
        if person is None:
            self.add_error(
                "username",
                _(
                    "Es gibt keinen Benutzer „%(username)s“. Geben Sie den Benutzernamen genau "
                    "ein (vorname.nachname) oder wählen Sie aus den Vorschlägen."
                )
                % {"username": name},
            )
        cleaned["person"] = person
        return cleaned


def leader_candidates() -> QuerySet[User]:
    """Who may lead a group: teachers, staff and admins (pupils don't lead classes)."""
    return (
        User.objects.people()
        .filter(role__in=[Role.TEACHER, Role.STAFF, Role.ADMIN])
        .exclude(status=Status.DELETED)
    )


class LeaderChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        person: User = obj
        if person.kuerzel:
            return "%s (%s)" % (person.full_name, person.kuerzel)
        return "%s (%s)" % (person.full_name, person.username)


class GroupLeadersForm(forms.Form):
    leaders = LeaderChoiceField(
        label=_("Leitung"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Klassenleitung, Beratungslehrkraft oder Gruppenverantwortliche"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _model_field(self, "leaders").queryset = leader_candidates()


# --- privileges ---------------------------------------------------------------------------


class GrantForm(forms.Form):
    """Grant one privilege to a role, a group, or all groups except some."""

    privilege = forms.CharField(widget=forms.HiddenInput, max_length=100)
    kind = forms.ChoiceField(
        label=_("Vergeben an"),
        choices=GrantKind.choices,
        widget=forms.RadioSelect,
        initial=GrantKind.ROLE,
    )
    role = forms.ChoiceField(label=_("Rolle"), required=False)
    group = forms.ModelChoiceField(
        label=_("Gruppe"),
        queryset=Group.objects.none(),
        required=False,
        empty_label=_("– Gruppe wählen –"),
    )
    excluded_groups = forms.ModelMultipleChoiceField(
        label=_("Ausgenommene Gruppen"),
        queryset=Group.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("Nur für „Alle Gruppen außer …“"),
    )

    def __init__(
        self,
        *args: Any,
        privileges: dict[str, Any],
        group_choices: list[tuple[Any, Any]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.privileges = privileges
        _choice_field(self, "role").choices = [("", _("– Rolle wählen –"))] + [
            (value, label)
            for value, label in Role.choices
            if value not in (Role.SYSTEM, Role.ADMIN)  # admins have every privilege
        ]
        _model_field(self, "group").queryset = Group.objects.all()
        _model_field(self, "excluded_groups").queryset = Group.objects.all()
        choices = grouped_group_choices() if group_choices is None else group_choices
        _model_field(self, "group").choices = [("", _("– Gruppe wählen –")), *choices]
        _model_field(self, "excluded_groups").choices = choices

    def clean_privilege(self) -> str:
        key = str(self.cleaned_data["privilege"])
        if key not in self.privileges:
            raise forms.ValidationError(_("Dieses Recht gibt es nicht."))
        return key

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kind = cleaned.get("kind")
        privilege = cleaned.get("privilege")
        existing = PrivilegeGrant.objects.filter(privilege=privilege, kind=kind)
        if kind == GrantKind.ROLE:
            if not cleaned.get("role"):
                self.add_error("role", _("Bitte wählen Sie eine Rolle."))
            elif existing.filter(role=cleaned["role"]).exists():
                self.add_error("role", _("Diese Rolle hat das Recht schon."))
        elif kind == GrantKind.GROUP:
            if cleaned.get("group") is None:
                self.add_error("group", _("Bitte wählen Sie eine Gruppe."))
            elif existing.filter(group=cleaned["group"]).exists():
                self.add_error("group", _("Diese Gruppe hat das Recht schon."))
        return cleaned

    def grant_target(self) -> dict[str, Any]:
        """The keyword arguments for ``do_grant_privilege``."""
        kind = self.cleaned_data["kind"]
        if kind == GrantKind.ROLE:
            return {"role": self.cleaned_data["role"]}
        if kind == GrantKind.GROUP:
            return {"group": self.cleaned_data["group"]}
        return {"all_groups_except": list(self.cleaned_data["excluded_groups"])}

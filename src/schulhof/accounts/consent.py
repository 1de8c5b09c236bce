"""Consent to the usage policy and the handover of first credentials.

The rules come from the school's form "Einwilligung in die Nutzung": the guardians sign for
pupils under 18, the pupil signs from 15 (so both between 15 and 17), each judged by the age
on the day the signed form reached the school. While the school requires consent (the
default), a pupil's account refuses every login until consent is recorded (:func:`consent_gate`,
a login gate of the authentication service). Teachers, staff and admins are not affected.

Importing this module registers the gate and the portal entries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from schulhof.accounts import privileges
from schulhof.accounts.authentication import register_login_gate
from schulhof.accounts.models import (
    ConsentRecord,
    Group,
    GroupKind,
    HandoverRecord,
    LoginAttempt,
    Membership,
    Role,
    Status,
    User,
    UserQuerySet,
)
from schulhof.accounts.views.admin import german_sort_key
from schulhof.core.models import SchoolSettings
from schulhof.core.policies import BasePermissionPolicy
from schulhof.web.modules import PortalModule, register

GUARDIAN_UNTIL_AGE = 18
PUPIL_FROM_AGE = 15
KUERZEL_MAX_LENGTH = 10

# Age rules ------------------------------------------------------------------------------


def age_on(birth_date: date, day: date) -> int:
    """Completed years on ``day`` (someone born on 29 Feb has their birthday on 1 Mar)."""
    years = day.year - birth_date.year
    if (day.month, day.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


@dataclass(frozen=True)
class SignatureRule:
    """Which signatures the consent form of one pupil needs on one day.

    ``age`` is None when the birth date is unknown: then the guardians must sign (nobody can
    tell that the pupil is of age) and the pupil's own line is offered as well.
    """

    age: int | None
    guardian_required: bool
    pupil_required: bool

    @property
    def show_guardian(self) -> bool:
        return self.guardian_required

    @property
    def show_pupil(self) -> bool:
        return self.pupil_required or self.age is None


def signature_rule(user: User, day: date) -> SignatureRule:
    if user.birth_date is None:
        return SignatureRule(age=None, guardian_required=True, pupil_required=False)
    age = age_on(user.birth_date, day)
    return SignatureRule(
        age=age,
        guardian_required=age < GUARDIAN_UNTIL_AGE,
        pupil_required=age >= PUPIL_FROM_AGE,
    )


def normalise_kuerzel(raw: str) -> str:
    return re.sub(r"\s+", "", raw or "").upper()


def consent_errors(
    user: User, *, received_on: date, guardian_signed: bool, pupil_signed: bool, kuerzel: str
) -> list[str]:
    """German reasons why this consent cannot be recorded (empty: it can)."""
    errors: list[str] = []
    name = user.full_name
    if user.role != Role.PUPIL:
        errors.append(_("%(name)s ist kein/e Schüler/in.") % {"name": name})
        return errors
    if received_on > timezone.localdate():
        errors.append(_("Das Eingangsdatum darf nicht in der Zukunft liegen."))
    if user.birth_date is not None and received_on < user.birth_date:
        errors.append(_("Das Eingangsdatum liegt vor dem Geburtsdatum."))
    kuerzel_errors = kuerzel_problems(kuerzel)
    errors.extend(kuerzel_errors)
    rule = signature_rule(user, received_on)
    if rule.guardian_required and not guardian_signed:
        if rule.age is None:
            errors.append(
                _(
                    "Für %(name)s ist kein Geburtsdatum bekannt: Die Unterschrift der "
                    "Erziehungsberechtigten ist erforderlich."
                )
                % {"name": name}
            )
        else:
            errors.append(
                _(
                    "%(name)s war am %(date)s %(age)d Jahre alt: Die Unterschrift der "
                    "Erziehungsberechtigten ist erforderlich (unter 18 Jahren)."
                )
                % {"name": name, "date": received_on.strftime("%d.%m.%Y"), "age": rule.age}
            )
    if rule.pupil_required and not pupil_signed:
        errors.append(
            _(
                "%(name)s war am %(date)s %(age)d Jahre alt: Die eigene Unterschrift der "
                "Schülerin oder des Schülers ist erforderlich (ab 15 Jahren)."
            )
            % {"name": name, "date": received_on.strftime("%d.%m.%Y"), "age": rule.age}
        )
    return errors


def kuerzel_problems(kuerzel: str) -> list[str]:
    if not kuerzel:
        return [_("Bitte geben Sie Ihr Kürzel an.")]
    if len(kuerzel) > KUERZEL_MAX_LENGTH:
        return [_("Das Kürzel darf höchstens %(count)d Zeichen haben.") % {"count": 10}]
    return []


def handover_errors(user: User, *, handed_over_on: date, kuerzel: str) -> list[str]:
    errors: list[str] = []
    if handed_over_on > timezone.localdate():
        errors.append(_("Das Übergabedatum darf nicht in der Zukunft liegen."))
    errors.extend(kuerzel_problems(kuerzel))
    return errors


def default_kuerzel(user: User) -> str:
    """What the form proposes: the user's Kürzel, else their initials."""
    return user.kuerzel or ("%s%s" % (user.first_name[:1], user.last_name[:1])).upper()


# The login gate -------------------------------------------------------------------------


def has_consent(user: User) -> bool:
    return ConsentRecord.objects.filter(user=user).exists()


def consent_gate(user: User, protocol: str) -> str | None:
    """Refuse every protocol to a pupil without recorded consent (while the school requires
    it)."""
    if user.role != Role.PUPIL or has_consent(user):
        return None
    if not SchoolSettings.get().consent_required:
        return None
    return _(
        "Für Ihr Konto liegt noch keine Einwilligung vor. Bitte geben Sie die unterschriebene "
        "Einwilligung bei Ihrer Klassenleitung ab."
    )


# Who may do what ------------------------------------------------------------------------


def sees_all_classes(user: Any) -> bool:
    return (
        isinstance(user, User)
        and user.is_active
        and user.role not in (Role.SYSTEM, Role.PUPIL)
        and privileges.has_privilege(user, privileges.ADMIN_USERS)
    )


class ConsentPolicy(BasePermissionPolicy[Group]):
    """Consents and handovers of a class (actions ``view`` and ``record``, and ``letters``
    for printing credential letters): the class's teachers for the classes they lead; admins
    and holders of ``admin.users`` for every class."""

    model = Group

    def instances_user_has_permission_for(self, user: Any, action: str) -> QuerySet[Group]:
        classes = Group.objects.filter(kind=GroupKind.CLASS)
        if action not in ("view", "record", "letters"):
            return classes.none()
        if sees_all_classes(user):
            return classes
        if not isinstance(user, User) or not user.is_active or user.role == Role.PUPIL:
            return classes.none()
        return classes.filter(leaders=user)

    def users_with_permission_for(self, action: str, obj: Group) -> QuerySet[User]:
        admins = privileges.users_with_privilege(privileges.ADMIN_USERS).exclude(role=Role.PUPIL)
        if obj.kind != GroupKind.CLASS:
            return admins
        leaders = obj.leaders.filter(status=Status.ACTIVE).exclude(role=Role.PUPIL)
        return (admins | leaders).distinct()


consent_policy = ConsentPolicy()


# Selectors ------------------------------------------------------------------------------


def class_pupils(group: Group) -> UserQuerySet:
    """The pupils of a class who are not deleted, with ``has_consent``, ``has_handover`` and
    ``has_logged_in`` annotated, in print order."""
    successful_login = LoginAttempt.objects.filter(user=OuterRef("pk"), success=True)
    return (
        User.objects.people()
        .pupils()
        .exclude(status=Status.DELETED)
        .filter(membership__group=group)
        .annotate(
            has_consent=Exists(ConsentRecord.objects.filter(user=OuterRef("pk"))),
            has_handover=Exists(HandoverRecord.objects.filter(user=OuterRef("pk"))),
            has_logged_in=ExpressionWrapper(
                Q(Exists(successful_login)) | Q(last_login__isnull=False),
                output_field=BooleanField(),
            ),
        )
        .select_related("consent_record", "handover_record")
        .distinct()
        .order_by(german_sort_key("last_name"), german_sort_key("first_name"), "username")
    )


def never_logged_in(user: User) -> bool:
    """True if the person has never had a successful login on any protocol (so a new first
    password replaces nothing they chose)."""
    return (
        user.last_login is None
        and not LoginAttempt.objects.filter(user=user, success=True).exists()
    )


def classes_with_counts(user: Any) -> list[dict[str, Any]]:
    """The classes the user looks after with their numbers of pupils, missing consents and
    missing handovers."""
    groups = consent_policy.instances_user_has_permission_for(user, "view")
    rows = []
    for group in sorted(groups, key=lambda g: natural_key(g.name)):
        pupils = class_pupils(group)
        total = pupils.count()
        rows.append(
            {
                "group": group,
                "pupils": total,
                "missing_consent": pupils.filter(consent_record__isnull=True).count(),
                "missing_handover": pupils.filter(handover_record__isnull=True).count(),
            }
        )
    return rows


def class_name_of(user: User) -> str:
    """The person's class (first by name), or ""."""
    name = (
        Membership.objects.filter(user=user, group__kind=GroupKind.CLASS)
        .order_by("group__name")
        .values_list("group__name", flat=True)
        .first()
    )
    return name or ""


def class_name_subquery() -> Subquery:
    return Subquery(
        Membership.objects.filter(user=OuterRef("pk"), group__kind=GroupKind.CLASS)
        .order_by("group__name")
        .values("group__name")[:1]
    )


def natural_key(name: str) -> list[Any]:
    """Sort "5a" before "10a": digits compare as numbers."""
    return [
        (0, int(part), "") if part.isdigit() else (1, 0, part.lower())
        for part in re.split(r"(\d+)", name)
    ]


# Portal ---------------------------------------------------------------------------------


def _consent_visible(user: Any) -> bool:
    return consent_policy.user_has_permission(user, "view")


def _leavers_visible(user: Any) -> bool:
    return sees_all_classes(user)


register_login_gate(consent_gate)
register(
    PortalModule(
        key="consent",
        title=gettext_lazy("Einwilligungen"),
        icon="check",
        order=52,
        url_name="accounts:consent_overview",
        empty_state=gettext_lazy(
            "Einwilligungen und die Übergabe der Zugangsdaten Ihrer Klassen erfassen."
        ),
        visible=_consent_visible,
    )
)
register(
    PortalModule(
        key="leavers",
        title=gettext_lazy("Abgänge"),
        icon="door",
        order=87,
        url_name="accounts:leavers",
        empty_state=gettext_lazy("Abgegangene Benutzer und ihre Löschtermine."),
        visible=_leavers_visible,
    )
)

"""The demo school: realistic people and groups for trying Schulhof out (``schulhof demo``).

The demo logins are written to ``<data dir>/demo-logins.txt`` (mode 0600) so that every start
of ``schulhof run`` can print them; a real school never has this file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from schulhof.accounts.actions import (
    do_add_member,
    do_create_group,
    do_create_user,
    do_set_group_leaders,
)
from schulhof.accounts.models import Group, GroupKind, Role, User, get_system_actor
from schulhof.core.actions import do_update_school_settings, log_event
from schulhof.core.audit import AuditEvent
from schulhof.core.models import SchoolSettings

DEMO_PASSWORD = "Schulhof-Demo-2026!"  # noqa: S105 - the published demo login
DEMO_SCHOOL = "Lessing-Gymnasium Musterstadt"
DEMO_DOMAIN = "schule.test"

PUPILS = {
    "5a": [
        ("Leon", "Schmidt"),
        ("Mia", "Schneider"),
        ("Emre", "Öztürk"),
        ("Zoë", "Dubois"),
        ("Łukasz", "Nowak"),
        ("Sophie", "Weber"),
        ("Noah", "Fischer"),
        ("Lina", "Wagner"),
        ("Finn", "Becker"),
        ("Hannah", "Hoffmann"),
    ],
    "6b": [
        ("Elias", "Schäfer"),
        ("Emilia", "Koch"),
        ("Ben", "Richter"),
        ("Marie", "Klein"),
        ("Paul", "Wolf"),
        ("Lea", "Schröder"),
        ("Jonas", "Neumann"),
        ("Clara", "Schwarz"),
        ("Luis", "Zimmermann"),
        ("Minh Anh", "Nguyễn"),
    ],
}


@dataclass(frozen=True)
class DemoLogin:
    label: str
    username: str
    password: str


def logins_path() -> Path:
    return Path(settings.DATA_DIR) / "demo-logins.txt"


def has_people() -> bool:
    return User.objects.people().exists()


@transaction.atomic
def create_demo_school() -> list[DemoLogin]:
    """Create the demo school in an empty database and return the logins to print."""
    system = get_system_actor()
    school = SchoolSettings.get()
    # portal_url stays empty: letters and guides then follow the configured address.
    do_update_school_settings(
        school, {"school_name": DEMO_SCHOOL, "mail_domain": DEMO_DOMAIN}, acting_user=system
    )
    SchoolSettings.objects.filter(pk=school.pk).update(is_demo=True)

    def group(name: str, slug: str, kind: str, **extra: Any) -> Group:
        return do_create_group(name=name, slug=slug, kind=kind, acting_user=system, **extra)

    pupils_group = group("Schüler", "schueler", GroupKind.ROLE, has_mail=True)
    teachers_group = group("Lehrer", "lehrer", GroupKind.ROLE, has_mail=True, has_folder=True)
    staff_group = group("Verwaltung", "verwaltung", GroupKind.ROLE, has_mail=True, has_folder=True)
    years = {
        "5": group("Jahrgang 5", "jahrgang-5", GroupKind.YEAR),
        "6": group("Jahrgang 6", "jahrgang-6", GroupKind.YEAR),
    }
    classes = {
        name: group(
            name, name, GroupKind.CLASS, parent=years[name[0]], has_folder=True, has_mail=True
        )
        for name in PUPILS
    }

    def person(first: str, last: str, role: str, groups: list[Group], **extra: Any) -> User:
        return do_create_user(
            first_name=first,
            last_name=last,
            role=role,
            password=DEMO_PASSWORD,
            groups=groups,
            acting_user=system,
            **extra,
        ).user

    admin = person("Katrin", "Berger", Role.ADMIN, [staff_group])
    secretary = person("Monika", "Schreiber", Role.STAFF, [staff_group])
    class_teacher_5a = person("Thomas", "Müller", Role.TEACHER, [teachers_group], kuerzel="MÜL")
    class_teacher_6b = person("Ayşe", "Yılmaz", Role.TEACHER, [teachers_group], kuerzel="YIL")
    advisor_6 = person(
        "Jan-Peter", "Vries", Role.TEACHER, [teachers_group], kuerzel="VRI", name_particle="de"
    )
    do_set_group_leaders(classes["5a"], [class_teacher_5a], acting_user=system)
    do_set_group_leaders(classes["6b"], [class_teacher_6b], acting_user=system)
    do_set_group_leaders(years["6"], [advisor_6], acting_user=system)
    # As in most schools, class teachers are also members of their class: they see the class
    # folder and get the class's mail.
    do_add_member(classes["5a"], class_teacher_5a, acting_user=system)
    do_add_member(classes["6b"], class_teacher_6b, acting_user=system)

    first_pupil = None
    first_login: DemoLogin | None = None
    for class_name, names in PUPILS.items():
        for index, (first, last) in enumerate(names):
            groups = [pupils_group, classes[class_name], years[class_name[0]]]
            if class_name == "5a" and index == 1:
                # One pupil still has a first password: try the first login with it.
                created = do_create_user(
                    first_name=first,
                    last_name=last,
                    role=Role.PUPIL,
                    groups=groups,
                    acting_user=system,
                )
                first_login = DemoLogin(
                    "Schülerin 5a, erste Anmeldung",
                    created.user.username,
                    created.first_password or "",
                )
                continue
            user = person(first, last, Role.PUPIL, groups)
            first_pupil = first_pupil or user
    if first_pupil is None or first_login is None:
        raise RuntimeError("demo data incomplete")
    _record_demo_consents(
        {"5a": class_teacher_5a, "6b": class_teacher_6b}, classes, first_login.username, system
    )

    logins = [
        DemoLogin("Admin", admin.username, DEMO_PASSWORD),
        DemoLogin("Sekretariat", secretary.username, DEMO_PASSWORD),
        DemoLogin("Klassenleitung 5a", class_teacher_5a.username, DEMO_PASSWORD),
        DemoLogin("Klassenleitung 6b", class_teacher_6b.username, DEMO_PASSWORD),
        DemoLogin("Beratung Jahrgang 6", advisor_6.username, DEMO_PASSWORD),
        DemoLogin("Schüler 5a", first_pupil.username, DEMO_PASSWORD),
        first_login,
    ]
    log_event(
        AuditEvent.DEMO_CREATE,
        acting_user=system,
        details={"people": User.objects.people().count()},
    )
    _write_logins(logins)
    return logins


def _record_demo_consents(
    class_teachers: dict[str, User], classes: dict[str, Group], not_handed_over: str, system: User
) -> None:
    """Every demo pupil's consent has come in (recorded with the class teacher's Kürzel), so
    that they can log in; all but the first-login pupil have their credentials."""
    from django.utils import timezone

    from schulhof.accounts.consent import signature_rule
    from schulhof.accounts.lifecycle_actions import do_record_consent, do_record_handover

    today = timezone.localdate()
    for class_name, teacher in class_teachers.items():
        for pupil in User.objects.filter(role=Role.PUPIL, membership__group=classes[class_name]):
            rule = signature_rule(pupil, today)
            do_record_consent(
                pupil,
                received_on=today,
                guardian_signed=rule.guardian_required,
                pupil_signed=rule.pupil_required,
                kuerzel=teacher.kuerzel,
                acting_user=system,
            )
            if pupil.username != not_handed_over:
                do_record_handover(
                    pupil, handed_over_on=today, kuerzel=teacher.kuerzel, acting_user=system
                )


def _write_logins(logins: list[DemoLogin]) -> None:
    path = logins_path()
    text = "".join(
        "%s\t%s\t%s\n" % (login.label, login.username, login.password) for login in logins
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


def read_logins() -> list[DemoLogin]:
    path = logins_path()
    if not path.is_file():
        return []
    logins = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) == 3:
            logins.append(DemoLogin(*parts))
    return logins


def login_lines() -> list[str]:
    """Lines for the console: the demo logins, if this is the demo school."""
    logins = read_logins()
    if not logins:
        return []
    width = max(len(login.label) for login in logins)
    lines = ["", "Demo logins (username / password):"]
    lines += [
        "  %s  %s / %s" % (login.label.ljust(width), login.username, login.password)
        for login in logins
    ]
    lines.append("  (The first-login pupil must choose a new password; first passwords work once.)")
    return lines

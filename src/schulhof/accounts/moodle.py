"""Export of users for Moodle's "Upload users" (Site administration → Users → Upload users).

Columns ``username,firstname,lastname,email,cohort1``; usernames are Schulhof's, so people log
in to both with the same name. A pupil's class becomes a cohort whose id has a non-numeric
prefix (``klasse-5a``): Moodle reads a purely numeric cohort value as its internal cohort id,
so a class named "10" would otherwise land in some unrelated cohort. UTF-8 without BOM (the
upload's default encoding), comma separated, quoted where needed.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable

from django.db.models import QuerySet

from schulhof.accounts.consent import class_name_subquery
from schulhof.accounts.models import Role, Status, User
from schulhof.core.models import SchoolSettings

COLUMNS = ("username", "firstname", "lastname", "email", "cohort1")
COHORT_PREFIX = "klasse-"
#: Roles exported by default: those who work in a learning management system.
DEFAULT_ROLES = (Role.PUPIL, Role.TEACHER)


def cohort_id(class_name: str) -> str:
    """``5a`` → ``klasse-5a``; spaces become hyphens. Empty for people without a class."""
    name = re.sub(r"\s+", "-", class_name.strip())
    return COHORT_PREFIX + name if name else ""


def moodle_users(roles: Iterable[str] = DEFAULT_ROLES) -> QuerySet[User]:
    """Active people of ``roles`` (leavers only until their leaving date), each annotated
    with ``class_name``, ordered by class and name."""
    return (
        User.objects.people()
        .filter(status=Status.ACTIVE, role__in=list(roles))
        .annotate(class_name=class_name_subquery())
        .order_by("class_name", "last_name", "first_name", "username")
    )


def moodle_rows(users: Iterable[User], mail_domain: str) -> list[list[str]]:
    rows = []
    for user in users:
        last_name = " ".join(part for part in (user.name_particle, user.last_name) if part)
        class_name = getattr(user, "class_name", None) or ""
        cohort = cohort_id(class_name) if user.role == Role.PUPIL else ""
        rows.append(
            [user.username, user.first_name, last_name, user.email_address(mail_domain), cohort]
        )
    return rows


def moodle_csv(users: Iterable[User] | None = None) -> str:
    """The CSV text (write it as UTF-8)."""
    if users is None:
        users = moodle_users()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(moodle_rows(users, SchoolSettings.get().mail_domain))
    return buffer.getvalue()

"""Groups that follow from the data: classes, year groups (Jahrgänge) and role groups.

- A class group has the class name as its name and, in lower case, as its slug (``5a``,
  ``ef``); it has a group folder and a mail address, and belongs to its year group.
- A year group is ``Jahrgang 5`` … ``Jahrgang 10``, ``Jahrgang EF``/``Q1``/``Q2`` (slug
  ``jahrgang-5``, ``jahrgang-ef``). The year comes from the file's ``Jahrgang`` column, or
  from the class name: leading digits (``05a`` → 5), or the Oberstufe prefix (``Q1``).
- Role groups: ``Schüler`` (``schueler``) for pupils, ``Lehrer`` (``lehrer``) for teachers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.text import slugify

from schulhof.accounts.models import GroupKind
from schulhof.schoolimport.models import ImportRole

_OBERSTUFE = ("EF", "Q1", "Q2", "E1", "E2", "Q3", "Q4")
_LEADING_NUMBER = re.compile(r"^0*(\d{1,2})(?!\d)")


@dataclass(frozen=True)
class GroupSpec:
    """A group the import needs: found by ``slug``, created with these values if missing."""

    slug: str
    name: str
    kind: str
    parent_slug: str = ""
    has_folder: bool = False
    has_mail: bool = False

    def as_json(self) -> dict[str, object]:
        return {
            "slug": self.slug,
            "name": self.name,
            "kind": self.kind,
            "parent": self.parent_slug,
            "has_folder": self.has_folder,
            "has_mail": self.has_mail,
        }


ROLE_GROUPS = {
    ImportRole.PUPIL.value: GroupSpec("schueler", "Schüler", GroupKind.ROLE, has_mail=True),
    ImportRole.TEACHER.value: GroupSpec(
        "lehrer", "Lehrer", GroupKind.ROLE, has_folder=True, has_mail=True
    ),
}


def normalise_class(name: str) -> str:
    """A class name as shown: inner white space collapsed (``"5 a"`` stays ``"5 a"``)."""
    return re.sub(r"\s+", " ", name.strip())


def class_slug(name: str) -> str:
    """``5a`` → ``5a``, ``EF`` → ``ef``, ``10 X`` → ``10-x``; empty if nothing usable."""
    return slugify(name)


def normalise_year(value: str) -> str:
    """``05`` → ``5``, ``ef`` → ``EF``; empty stays empty."""
    value = value.strip().upper().replace(" ", "")
    if value.isdigit():
        return str(int(value))
    return value


def year_of_class(class_name: str) -> str:
    """The year a class belongs to by its name, or "" if the name does not tell."""
    match = _LEADING_NUMBER.match(class_name.strip())
    if match:
        return str(int(match.group(1)))
    upper = class_name.strip().upper().replace(" ", "")
    for prefix in _OBERSTUFE:
        if upper.startswith(prefix):
            return prefix
    return ""


def year_slug(year: str) -> str:
    return "jahrgang-%s" % slugify(year)


def year_spec(year: str) -> GroupSpec:
    return GroupSpec(year_slug(year), "Jahrgang %s" % year, GroupKind.YEAR)


def class_spec(class_name: str, year: str) -> GroupSpec:
    return GroupSpec(
        class_slug(class_name),
        class_name,
        GroupKind.CLASS,
        parent_slug=year_slug(year) if year else "",
        has_folder=True,
        has_mail=True,
    )

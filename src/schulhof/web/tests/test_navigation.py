"""The navigation marks the module the page belongs to, and only that one."""

from __future__ import annotations

import re

from django.test import Client
from django.urls import reverse

from schulhof.accounts.models import User


def current_entries(html: str) -> list[str]:
    """The hrefs of the navigation's entries marked current."""
    nav = html.split("<nav", 1)[1].split("</nav>", 1)[0]
    return re.findall(r'<a href="([^"]+)" aria-current="page"', nav)


def test_dashboard_marks_only_the_overview(client: Client, admin_user: User) -> None:
    client.force_login(admin_user)
    assert current_entries(client.get(reverse("web:dashboard")).content.decode()) == [
        reverse("web:dashboard")
    ]


def test_other_files_pages_mark_files(client: Client, admin_user: User) -> None:
    client.force_login(admin_user)
    page = client.get(reverse("files:guides")).content.decode()
    assert current_entries(page) == [reverse("files:home")]

"""The files module in the portal: the "Dateien" navigation entry and its dashboard card
(recently changed files, the quota bar). Registered in ``FilesConfig.ready`` after the web
app's placeholder for the same key, which it replaces."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from schulhof.core.http import AuthenticatedHttpRequest
from schulhof.web.modules import PortalModule, register

RECENT_LIMIT = 5


def recent_files(user: Any, limit: int = RECENT_LIMIT) -> list[Any]:
    """The files changed last in the user's own space and their group folders."""
    from django.db.models import Q

    from schulhof.files import storage
    from schulhof.files.models import FileEntry
    from schulhof.files.storage import Node, Space

    spaces: dict[tuple[str, str], Space] = {
        (space.kind, space.key): space for space in storage.spaces_for(user)
    }
    where = Q()
    for kind, key in spaces:
        where |= Q(space_kind=kind, space_key=key)
    rows = FileEntry.objects.filter(where, is_dir=False, hidden=False).order_by("-modified")[:limit]
    return [
        Node(
            space=spaces[(row.space_kind, row.space_key)],
            path=row.path,
            name=row.name,
            is_dir=False,
            size=row.size,
            modified=row.modified,
            etag=row.etag,
            content_type=row.content_type,
        )
        for row in rows
    ]


def files_card(request: AuthenticatedHttpRequest) -> dict[str, Any] | None:
    """The card's content; None (the module's empty-state text) when the user may not use
    files at all (a sanction, a locked account)."""
    from schulhof.files import storage
    from schulhof.files.storage import Forbidden
    from schulhof.files.views.browse import row_for
    from schulhof.files.views.common import quota_bar

    user = request.user
    own = storage.user_space(user)
    try:
        storage.check_access(user, own, write=False)
    except Forbidden as refusal:
        return {"blocked": refusal.message}
    return {
        "recent": [row_for(node) for node in recent_files(user)],
        "quota": quota_bar(storage.usage_for_user(user)),
        "groups": sum(1 for space in storage.spaces_for(user) if space.kind == "group"),
    }


def register_modules() -> None:
    register(
        PortalModule(
            key="files",
            title=_("Dateien"),
            icon="folder",
            order=10,
            url_name="files:home",
            namespace="files",
            empty_state=_(
                "Noch keine Dateien. Laden Sie Ihre erste Datei hoch oder verbinden Sie Ihre "
                "Dateien als Netzlaufwerk."
            ),
            card_context=files_card,
            card_template="files/cards/files.html",
        )
    )

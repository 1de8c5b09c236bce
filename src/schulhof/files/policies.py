"""Who may read and write which space.

- A user's own space: only that user (admins neither: they read a person's files only through
  the audited inspection procedure, never through the file manager or WebDAV).
- A group folder: the members of a group with ``has_folder``; all members may write.
- Sanctions: ``files`` blocks everything, ``files_write`` blocks writing.
- Only active accounts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from schulhof.files.storage import Space


def refusal(user: Any, space: Space, *, write: bool) -> str | None:
    """The German reason why ``user`` may not read (or write) ``space``, or None if allowed."""
    from schulhof.accounts.models import Group, Role, Status
    from schulhof.accounts.sanctions import is_blocked

    if user is None or getattr(user, "pk", None) is None or not user.is_authenticated:
        return _("Bitte melden Sie sich an.")
    if user.status != Status.ACTIVE or user.role == Role.SYSTEM:
        return _("Ihr Konto ist gesperrt.")
    if is_blocked(user, "files"):
        return _("Der Bereich Dateien ist für Ihr Konto gesperrt.")
    if write and is_blocked(user, "files_write"):
        return _("Hochladen und Ändern von Dateien ist für Ihr Konto gesperrt.")
    if space.kind == "user":
        if space.key != user.username:
            return _("Sie haben keinen Zugriff auf diesen Ordner.")
        return None
    if space.kind == "group":
        allowed = Group.objects.filter(
            slug=space.key, has_folder=True, membership__user=user
        ).exists()
        return None if allowed else _("Sie haben keinen Zugriff auf diesen Gruppenordner.")
    return _("Sie haben keinen Zugriff auf diesen Ordner.")

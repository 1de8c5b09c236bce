"""The storage's exceptions. Each carries a German ``message`` that can be shown as is.

They live apart from ``storage`` so that ``quota`` and ``disk`` can raise them without import
cycles; ``files.storage`` re-exports them, which is where callers import them from.
"""

from __future__ import annotations

from django.utils.translation import gettext as _


class StorageError(Exception):
    """A file operation that cannot be done; ``message`` is German and user-facing."""

    default_message = ""

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message or _("Der Vorgang ist fehlgeschlagen.")
        super().__init__(self.message)


class NotFound(StorageError):
    """The file or folder does not exist (or the trash entry)."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or _("Die Datei oder der Ordner wurde nicht gefunden."))


class AlreadyExists(StorageError):
    """The target name is taken and overwriting was not requested (or is not possible)."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            message or _("Eine Datei oder ein Ordner mit diesem Namen existiert schon.")
        )


class InvalidName(StorageError):
    """The name or path is not allowed (see ``files.names``)."""


class QuotaExceeded(StorageError):
    """The change does not fit into the quota; nothing was changed."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            message
            or _(
                "Nicht genug Speicherplatz: Die Datei passt nicht mehr in Ihren Speicher. "
                "Löschen Sie Dateien oder leeren Sie den Papierkorb."
            )
        )


class Forbidden(StorageError):
    """The user may not read or write this space (policy, sanctions, account state)."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or _("Sie haben keinen Zugriff auf diesen Ordner."))


class TooLarge(StorageError):
    """The file is larger than the school's maximum upload size."""


class Conflict(StorageError):
    """The operation conflicts with the tree: a missing parent folder, a file where a folder is
    needed, moving a folder into itself."""

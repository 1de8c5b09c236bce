"""Mail folders as the webmail shows them: the special folders (found by their special-use
flag, RFC 6154, not by name) with German titles first, then the person's own folders by name.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

SPECIAL_USE = {
    "\\Drafts": "drafts",
    "\\Sent": "sent",
    "\\Trash": "trash",
    "\\Junk": "junk",
    "\\Archive": "archive",
}
SPECIAL_ORDER = ("inbox", "drafts", "sent", "archive", "junk", "trash")


@dataclass(frozen=True)
class Folder:
    """``name``: the name on the wire (modified UTF-7); ``path``: the same for people;
    ``special``: "inbox", "drafts", "sent", "trash", "junk", "archive" or ""."""

    name: str
    path: str
    delimiter: str
    special: str
    messages: int = 0
    unseen: int = 0
    selectable: bool = True

    @staticmethod
    def special_title(key: str) -> str:
        titles = {
            "inbox": _("Posteingang"),
            "drafts": _("Entwürfe"),
            "sent": _("Gesendet"),
            "trash": _("Papierkorb"),
            "junk": _("Spam"),
            "archive": _("Archiv"),
        }
        return titles.get(key, key)

    @property
    def title(self) -> str:
        if self.special:
            return self.special_title(self.special)
        if self.delimiter and self.delimiter in self.path:
            return self.path.rsplit(self.delimiter, 1)[1]
        return self.path

    @property
    def depth(self) -> int:
        """How deep the folder is nested (0 at the top), for indenting the list."""
        if self.special or not self.delimiter:
            return 0
        return self.path.count(self.delimiter)

    @property
    def icon(self) -> str:
        return self.special or "folder"


def sort_folders(folders: list[Folder]) -> list[Folder]:
    """Special folders in a fixed order, then the others by name (parents before their
    children, umlauts sorted as their letters)."""

    def key(folder: Folder) -> tuple[int, list[str]]:
        if folder.special in SPECIAL_ORDER:
            return SPECIAL_ORDER.index(folder.special), []
        parts = folder.path.split(folder.delimiter) if folder.delimiter else [folder.path]
        return len(SPECIAL_ORDER), [part.casefold() for part in parts]

    # Only the first folder with a special use gets the special title; a second "\Sent"
    # (rare, from other clients) stays an ordinary folder.
    seen: set[str] = set()
    cleaned: list[Folder] = []
    for folder in sorted(folders, key=lambda f: f.path):
        if folder.special and folder.special in seen:
            folder = Folder(
                folder.name,
                folder.path,
                folder.delimiter,
                "",
                folder.messages,
                folder.unseen,
                folder.selectable,
            )
        seen.add(folder.special)
        cleaned.append(folder)
    return sorted(cleaned, key=key)

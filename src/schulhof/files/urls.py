"""The web file manager and the network drive guides, under ``/dateien/``.

A space is addressed as ``<kind>/<key>`` (``user/leon.schmidt``, ``group/5a``), followed by
the path inside it. Each operation has its own prefix (``herunterladen/``, ``umbenennen/``,
…), so no file or folder name can ever be mistaken for an operation. Views that work on a
folder take the root (no path) as well; the two patterns share one name, and ``reverse``
picks by the number of arguments.
"""

from collections.abc import Callable

from django.http import HttpResponseBase
from django.urls import URLPattern, URLResolver, path, register_converter

from schulhof.files import guides
from schulhof.files.views import browse, manage, transfer


class SpaceKindConverter:
    regex = "user|group"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(SpaceKindConverter, "space")

app_name = "files"

SPACE = "<space:kind>/<str:key>/"


def _both(prefix: str, view: Callable[..., HttpResponseBase], name: str) -> list[URLPattern]:
    """A folder operation: on the space's root and on a folder inside it."""
    return [
        path(prefix + SPACE, view, name=name),
        path(prefix + SPACE + "<path:path>/", view, name=name),
    ]


urlpatterns: list[URLPattern | URLResolver] = [
    path("dateien/", browse.home, name="home"),
    path("dateien/anleitungen/", guides.index, name="guides"),
    path("dateien/anleitungen/<slug:system>/", guides.guide, name="guide"),
    *_both("dateien/hochladen/", transfer.upload, "upload"),
    *_both("dateien/neuer-ordner/", manage.make_dir, "mkdir"),
    *_both("dateien/zip/", transfer.download_zip, "zip"),
    path("dateien/herunterladen/" + SPACE + "<path:path>", transfer.download, name="download"),
    path("dateien/anzeigen/" + SPACE + "<path:path>", transfer.inline, name="inline"),
    path("dateien/vorschau/" + SPACE + "<path:path>", browse.preview, name="preview"),
    path("dateien/umbenennen/" + SPACE + "<path:path>", manage.rename, name="rename"),
    path("dateien/verschieben/" + SPACE + "<path:path>", manage.move, name="move"),
    path("dateien/kopieren/" + SPACE + "<path:path>", manage.copy, name="copy"),
    path("dateien/loeschen/" + SPACE + "<path:path>", manage.delete, name="delete"),
    path("dateien/papierkorb/" + SPACE, browse.trash, name="trash"),
    path("dateien/papierkorb/" + SPACE + "leeren/", manage.empty_trash, name="empty_trash"),
    path(
        "dateien/papierkorb/" + SPACE + "<int:trash_id>/wiederherstellen/",
        manage.restore,
        name="restore",
    ),
    *_both("dateien/", browse.browse, "browse"),
]

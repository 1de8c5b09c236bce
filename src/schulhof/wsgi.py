"""The WSGI entry point (``schulhof.wsgi:application``, served by gunicorn in ``schulhof run``).

A small dispatcher: ``/webdav`` and everything below goes to the WebDAV application
(``files.dav_app``), everything else (pages, API, static files) to Django. WebDAV bypasses
Django's middleware on purpose: its clients send no cookies or CSRF tokens, and streaming
large bodies through WsgiDAV directly keeps memory flat.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "schulhof.settings")

django_application = get_wsgi_application()

from schulhof.files.dav_app import MOUNT_PATH, make_dav_app, options_response  # noqa: E402

dav_application = make_dav_app()


def _recover_interrupted_uploads() -> None:
    """Give back the quota of uploads a killed process left behind (safe while others run)."""
    import logging

    from django.db import close_old_connections

    from schulhof.files.quota import recover

    try:
        recover()
    except Exception:  # never keep the web server from starting
        logging.getLogger(__name__).exception("recovering interrupted uploads failed")
    finally:
        close_old_connections()


_recover_interrupted_uploads()


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Route ``/webdav`` to WebDAV and the rest to Django."""
    path = environ.get("PATH_INFO", "") or "/"
    if path == MOUNT_PATH or path.startswith(MOUNT_PATH + "/"):
        environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + MOUNT_PATH
        environ["PATH_INFO"] = path[len(MOUNT_PATH) :] or "/"
        return dav_application(environ, start_response)
    if environ.get("REQUEST_METHOD") == "OPTIONS" and path == "/":
        # The Windows mini-redirector asks the server root whether it speaks DAV.
        return options_response(start_response)
    return django_application(environ, start_response)

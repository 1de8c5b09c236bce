"""The root URLconf with the mail set-up routed as the lead wires it: the pages under
``/mail/einrichtung/`` and the autoconfig addresses at the root. Tests use it until (and keep
working after) the real root URLconf includes them."""

from django.urls import URLPattern, URLResolver, include, path

from schulhof import urls as root
from schulhof.mail.clientsetup.urls import wellknown_urlpatterns


def _routed(patterns: list[URLPattern | URLResolver]) -> bool:
    return any(getattr(pattern, "namespace", None) == "mailsetup" for pattern in patterns)


urlpatterns: list[URLPattern | URLResolver] = list(root.urlpatterns)
if not _routed(urlpatterns):
    urlpatterns = [
        *wellknown_urlpatterns,
        path("mail/einrichtung/", include("schulhof.mail.clientsetup.urls")),
        *urlpatterns,
    ]

handler403 = root.handler403
handler404 = root.handler404
handler500 = root.handler500

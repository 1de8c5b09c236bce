from django.urls import include, path

from schulhof.core.views import healthz
from schulhof.mail.clientsetup.urls import wellknown_urlpatterns as mail_autoconfig_urlpatterns

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # Thunderbird's autoconfig (/.well-known/autoconfig/…, /mail/config-v1.1.xml) first.
    *mail_autoconfig_urlpatterns,
    path("mail/einrichtung/", include("schulhof.mail.clientsetup.urls")),
    path("", include("schulhof.mail.webmail.urls")),
    path("", include("schulhof.mail.admin.urls")),
    path("", include("schulhof.accounts.urls")),
    path("", include("schulhof.schoolimport.urls")),
    path("", include("schulhof.files.urls")),
    path("", include("schulhof.web.urls")),
]

handler403 = "schulhof.web.views.error_403"
handler404 = "schulhof.web.views.error_404"
handler500 = "schulhof.web.views.error_500"

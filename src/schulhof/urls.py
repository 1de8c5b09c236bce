from django.urls import include, path

from schulhof.core.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("", include("schulhof.accounts.urls")),
    path("", include("schulhof.schoolimport.urls")),
    path("", include("schulhof.files.urls")),
    path("", include("schulhof.web.urls")),
]

handler403 = "schulhof.web.views.error_403"
handler404 = "schulhof.web.views.error_404"
handler500 = "schulhof.web.views.error_500"

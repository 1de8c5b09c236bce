from django.urls import path

from schulhof.mail.admin import views

app_name = "mailadmin"

urlpatterns = [
    path("verwaltung/e-mail/", views.mail_settings, name="settings"),
    path("verwaltung/e-mail/warteschlange/erneut/", views.queue_flush, name="queue_flush"),
    path(
        "verwaltung/e-mail/warteschlange/loeschen/",
        views.queue_delete_deferred,
        name="queue_delete_deferred",
    ),
]

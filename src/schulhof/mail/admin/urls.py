from django.urls import path

from schulhof.mail.admin import views

app_name = "mailadmin"

urlpatterns = [
    path("verwaltung/e-mail/", views.mail_settings, name="settings"),
]

from django.urls import path

from schulhof.web import views

app_name = "web"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("verwaltung/einstellungen/", views.school_settings, name="school_settings"),
]

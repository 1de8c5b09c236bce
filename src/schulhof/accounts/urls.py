from django.urls import path

from schulhof.accounts import views

app_name = "accounts"

urlpatterns = [
    path("anmelden/", views.login_view, name="login"),
    path("abmelden/", views.logout_view, name="logout"),
    path("konto/erstes-passwort/", views.first_password_view, name="first_password"),
    path("konto/passwort/hinweis/", views.password_hint_view, name="password_hint"),
]

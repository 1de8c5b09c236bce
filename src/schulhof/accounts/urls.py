from django.urls import path

from schulhof.accounts.views import auth

app_name = "accounts"

urlpatterns = [
    path("anmelden/", auth.login_view, name="login"),
    path("abmelden/", auth.logout_view, name="logout"),
    path("konto/erstes-passwort/", auth.first_password_view, name="first_password"),
    path("konto/passwort/hinweis/", auth.password_hint_view, name="password_hint"),
]

from django.urls import include, path

from schulhof.accounts.views import (
    admin_groups,
    admin_privileges,
    admin_users,
    auth,
    consent,
    first_passwords,
    leavers,
    profile,
)

app_name = "accounts"

urlpatterns = [
    path("anmelden/", auth.login_view, name="login"),
    path("abmelden/", auth.logout_view, name="logout"),
    path("konto/erstes-passwort/", auth.first_password_view, name="first_password"),
    path("konto/passwort/hinweis/", auth.password_hint_view, name="password_hint"),
    path("", include(profile.urlpatterns)),
    path("", include(first_passwords.urlpatterns)),
    path("verwaltung/benutzer/", include(admin_users.urlpatterns)),
    path("verwaltung/gruppen/", include(admin_groups.urlpatterns)),
    path("verwaltung/rechte/", include(admin_privileges.urlpatterns)),
    path("", include(consent.urlpatterns)),
    path("", include(leavers.urlpatterns)),
]

from django.urls import URLPattern, URLResolver, path

from schulhof.schoolimport import views

app_name = "schoolimport"

urlpatterns: list[URLPattern | URLResolver] = [
    path("verwaltung/import/", views.upload, name="upload"),
    path("verwaltung/import/<int:pk>/", views.run_detail, name="run"),
    path("verwaltung/import/<int:pk>/uebernehmen/", views.apply, name="apply"),
    path("verwaltung/import/<int:pk>/verwerfen/", views.discard, name="discard"),
    path("verwaltung/import/<int:pk>/ergebnis/", views.result, name="result"),
    path(
        "verwaltung/import/<int:pk>/zugangsbriefe/",
        views.credential_letters,
        name="letters",
    ),
    path("verwaltung/import/profile/", views.profile_list, name="profiles"),
    path("verwaltung/import/profile/neu/", views.profile_edit, name="profile_create"),
    path("verwaltung/import/profile/<int:pk>/", views.profile_edit, name="profile_edit"),
    path(
        "verwaltung/import/profile/<int:pk>/loeschen/",
        views.profile_delete,
        name="profile_delete",
    ),
]

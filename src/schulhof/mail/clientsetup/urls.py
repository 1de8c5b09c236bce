"""Routes of the mail program set-up.

``urlpatterns`` are the pages, included under ``/mail/einrichtung/`` with the namespace
``mailsetup``. ``wellknown_urlpatterns`` are the two root-level addresses where mail programs
look for the autoconfig file; the root URLconf adds them without a prefix.
"""

from django.urls import URLPattern, path

from schulhof.mail.clientsetup import views

app_name = "mailsetup"

urlpatterns: list[URLPattern] = [
    path("", views.index, name="index"),
    path("apple/profil.mobileconfig", views.apple_profile, name="apple_profile"),
    path("<slug:client>/", views.guide, name="guide"),
]

wellknown_urlpatterns: list[URLPattern] = [
    # https://<mail domain>/.well-known/autoconfig/… (Thunderbird since version 45)
    path(
        ".well-known/autoconfig/mail/config-v1.1.xml",
        views.autoconfig,
        name="mail_autoconfig_wellknown",
    ),
    # https://autoconfig.<mail domain>/mail/… (a CNAME to the portal; see docs/admin/mail.md)
    path("mail/config-v1.1.xml", views.autoconfig, name="mail_autoconfig"),
]

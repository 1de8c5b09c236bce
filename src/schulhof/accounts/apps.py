from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "schulhof.accounts"
    label = "accounts"
    verbose_name = "Benutzerkonten"

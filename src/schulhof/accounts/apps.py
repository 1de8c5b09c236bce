from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "schulhof.accounts"
    label = "accounts"
    verbose_name = "Benutzerkonten"

    def ready(self) -> None:
        # Login gates and periodic jobs register themselves on import.
        from schulhof.accounts import consent, jobs, lifecycle_jobs, sanctions  # noqa: F401
        from schulhof.accounts.portal import register_modules
        from schulhof.accounts.portal_admin import register_admin_modules

        register_modules()
        register_admin_modules()

from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "schulhof.mail"
    label = "mail"
    verbose_name = "E-Mail"

    def ready(self) -> None:
        from schulhof.mail import privileges  # noqa: F401
        from schulhof.mail.integration import connect

        connect()

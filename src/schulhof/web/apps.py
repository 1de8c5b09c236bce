from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "schulhof.web"
    label = "web"
    verbose_name = "Portal"

    def ready(self) -> None:
        from schulhof.web.builtin_modules import register_builtin_modules

        register_builtin_modules()

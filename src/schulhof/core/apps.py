from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "schulhof.core"
    label = "core"
    verbose_name = "Schulhof core"

    def ready(self) -> None:
        # Register the periodic jobs this app owns with the scheduler.
        from schulhof.core import jobs  # noqa: F401

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Prepare the installation: migrate the database and collect static files."

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity = options["verbosity"]
        call_command("migrate", interactive=False, verbosity=max(0, verbosity - 1))
        if not settings.DEBUG:
            call_command("collectstatic", interactive=False, verbosity=max(0, verbosity - 1))
        if verbosity:
            self.stdout.write(
                "Database migrated, static files collected in %s." % settings.STATIC_ROOT
            )

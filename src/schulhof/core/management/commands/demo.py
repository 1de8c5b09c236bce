from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from schulhof.core import demo


class Command(BaseCommand):
    help = "Seed the demo school (an admin, teachers, classes 5a and 6b) into an empty database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing (successfully) if the database already has people.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if demo.has_people():
            if options["if_empty"]:
                self.stdout.write("The database already has people; no demo school seeded.")
                return
            raise CommandError(
                "The database already has people. The demo school is only seeded into an "
                "empty database."
            )
        demo.create_demo_school()
        self.stdout.write(self.style.SUCCESS("Demo school created."))
        for line in demo.login_lines():
            self.stdout.write(line)

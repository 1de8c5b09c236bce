import sys
from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from schulhof.accounts.actions import do_set_password
from schulhof.accounts.management.commands._helpers import get_person
from schulhof.accounts.models import get_system_actor


class Command(BaseCommand):
    help = (
        "Set a user's password, read from standard input (first line). The password policy "
        "applies; the first-password state ends and all sessions are logged out."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_person(options["username"])
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise CommandError("No password on standard input.")
        try:
            password_validation.validate_password(password, user)
        except ValidationError as error:
            raise CommandError(" ".join(str(m) for m in error.messages)) from error
        do_set_password(user, password, acting_user=get_system_actor())
        self.stdout.write("Password of %s set." % user.username)

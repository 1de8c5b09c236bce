import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from schulhof.accounts.actions import do_issue_first_password
from schulhof.accounts.management.commands._helpers import get_person
from schulhof.accounts.models import get_system_actor


class Command(BaseCommand):
    help = "Issue a new 6-digit first password (the old password stops working at once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_person(options["username"])
        password = do_issue_first_password(user, acting_user=get_system_actor())
        if options["json"]:
            expires = user.first_password_expires
            self.stdout.write(
                json.dumps(
                    {
                        "username": user.username,
                        "first_password": password,
                        "expires": expires.isoformat() if expires else None,
                    }
                )
            )
            return
        self.stdout.write("Username:        %s" % user.username)
        self.stdout.write("First password:  %s" % password)

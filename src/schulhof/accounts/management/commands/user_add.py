import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from schulhof.accounts.actions import do_add_member, do_create_user
from schulhof.accounts.models import Group, Role, get_system_actor
from schulhof.core.models import SchoolSettings

ROLES = [role for role in Role.values if role != Role.SYSTEM]


class Command(BaseCommand):
    help = "Create a user; prints the generated username and the 6-digit first password."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--first-name", required=True, help="Given name(s).")
        parser.add_argument("--last-name", required=True, help="Family name.")
        parser.add_argument("--particle", default="", help="Name particle (von, van der, …).")
        parser.add_argument("--role", required=True, choices=ROLES)
        parser.add_argument("--kuerzel", default="", help="Teacher's Kürzel.")
        parser.add_argument(
            "--group",
            action="append",
            default=[],
            metavar="SLUG",
            help="Add to this group (repeatable), e.g. --group 5a.",
        )
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args: Any, **options: Any) -> None:
        groups = []
        for slug in options["group"]:
            group = Group.objects.filter(slug=slug).first()
            if group is None:
                raise CommandError("No group %r." % slug)
            groups.append(group)
        system = get_system_actor()
        with transaction.atomic():
            try:
                created = do_create_user(
                    first_name=options["first_name"],
                    last_name=options["last_name"],
                    name_particle=options["particle"],
                    role=options["role"],
                    kuerzel=options["kuerzel"],
                    acting_user=system,
                )
            except ValueError as error:
                raise CommandError(str(error)) from error
            for group in groups:
                do_add_member(group, created.user, acting_user=system)
        user = created.user
        email = user.email_address(SchoolSettings.get().mail_domain)
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "username": user.username,
                        "first_password": created.first_password,
                        "email": email,
                    }
                )
            )
            return
        self.stdout.write("Username:        %s" % user.username)
        self.stdout.write("First password:  %s" % created.first_password)
        self.stdout.write("Mail address:    %s" % email)

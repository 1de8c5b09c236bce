import datetime as dt
from argparse import BooleanOptionalAction
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from schulhof.accounts.consent import signature_rule
from schulhof.accounts.lifecycle_actions import (
    ConsentError,
    do_record_consent,
    do_record_handover,
)
from schulhof.accounts.management.commands._helpers import get_person
from schulhof.accounts.models import get_system_actor


def parse_day(text: str) -> dt.date:
    """DATE as YYYY-MM-DD or DD.MM.YYYY."""
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 - only the date is used
        except ValueError:
            continue
    raise CommandError("Cannot read date %r (use YYYY-MM-DD or DD.MM.YYYY)." % text)


class Command(BaseCommand):
    help = (
        "Record a pupil's signed consent form and the handover of username and first "
        "password (the signatures default to what the age on DATE requires)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--kuerzel", required=True, help="Kürzel of the person who received the form."
        )
        parser.add_argument("--date", help="When the form came in (default today).")
        parser.add_argument(
            "--guardian",
            action=BooleanOptionalAction,
            default=None,
            help="Guardians signed (default: yes under 18 or when the birth date is unknown).",
        )
        parser.add_argument(
            "--pupil-signed",
            action=BooleanOptionalAction,
            default=None,
            help="The pupil signed (default: yes from 15).",
        )
        parser.add_argument(
            "--no-handover",
            action="store_true",
            help="Record only the consent, not the handover of the credentials.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_person(options["username"])
        day = parse_day(options["date"]) if options["date"] else timezone.localdate()
        rule = signature_rule(user, day)
        guardian = rule.guardian_required if options["guardian"] is None else options["guardian"]
        pupil = rule.pupil_required if options["pupil_signed"] is None else options["pupil_signed"]
        system = get_system_actor()
        try:
            with transaction.atomic():
                do_record_consent(
                    user,
                    received_on=day,
                    guardian_signed=guardian,
                    pupil_signed=pupil,
                    kuerzel=options["kuerzel"],
                    acting_user=system,
                )
                if not options["no_handover"]:
                    do_record_handover(
                        user, handed_over_on=day, kuerzel=options["kuerzel"], acting_user=system
                    )
        except ConsentError as error:
            raise CommandError(" ".join(error.messages)) from error
        signatures = [
            name for name, signed in (("guardians", guardian), ("pupil", pupil)) if signed
        ]
        self.stdout.write(
            "%s: consent of %s recorded (signed by %s)%s."
            % (
                user.username,
                day.isoformat(),
                " and ".join(signatures),
                "" if options["no_handover"] else ", handover recorded",
            )
        )

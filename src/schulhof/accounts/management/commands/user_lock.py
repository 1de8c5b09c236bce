import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from schulhof.accounts.actions import do_lock_user
from schulhof.accounts.management.commands._helpers import get_person
from schulhof.accounts.models import get_system_actor


def parse_until(text: str) -> dt.datetime:
    """DATE as YYYY-MM-DD or DD.MM.YYYY (end of that day) or an ISO datetime."""
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            day = dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a date, made aware below
        except ValueError:
            continue
        return timezone.make_aware(dt.datetime.combine(day, dt.time(23, 59, 59)))
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError as error:
        raise CommandError("Cannot read date %r (use YYYY-MM-DD)." % text) from error
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


class Command(BaseCommand):
    help = "Lock a user (all logins refused, sessions ended), optionally until a date."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--until", help="Unlock automatically after this date (YYYY-MM-DD).")
        parser.add_argument("--reason", default="", help="Why (shown to admins, audited).")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_person(options["username"])
        until = parse_until(options["until"]) if options["until"] else None
        if until is not None and until <= timezone.now():
            raise CommandError("--until must be in the future.")
        do_lock_user(user, acting_user=get_system_actor(), reason=options["reason"], until=until)
        suffix = " until %s" % until.isoformat() if until else ""
        self.stdout.write("%s locked%s." % (user.username, suffix))

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from schulhof.accounts.models import get_system_actor
from schulhof.accounts.moodle import moodle_csv, moodle_users
from schulhof.core.actions import log_event
from schulhof.core.audit import AuditEvent


class Command(BaseCommand):
    help = (
        "Write the CSV for Moodle's 'Upload users' (username,firstname,lastname,email,cohort1) "
        "with all active pupils and teachers; classes become cohorts 'klasse-<name>'."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", "-o", help="Write to this file (default: standard output).")

    def handle(self, *args: Any, **options: Any) -> None:
        users = list(moodle_users())
        text = moodle_csv(users)
        log_event(
            AuditEvent.MOODLE_EXPORT,
            acting_user=get_system_actor(),
            details={"people": len(users), "via": "cli"},
        )
        if options["output"]:
            Path(options["output"]).write_text(text, encoding="utf-8")
            self.stderr.write("%d people written to %s." % (len(users), options["output"]))
        else:
            self.stdout.write(text, ending="")

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

from schulhof.core.health import data_dir_writable, database_ok


class Command(BaseCommand):
    help = "Check configuration, database, data folder and migrations; exit 1 on problems."

    def handle(self, *args: Any, **options: Any) -> None:
        config = settings.SCHULHOF_CONFIG
        problems: list[str] = []
        self.stdout.write("Data folder:   %s" % config.data_dir)
        self.stdout.write(
            "Database:      %s" % settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        )
        self.stdout.write("Portal:        %s" % config.base_url)
        call_command("check", verbosity=0)
        if not database_ok():
            problems.append("database not reachable")
        else:
            executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
            plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
            if plan:
                problems.append("%d migrations not applied (run: schulhof setup)" % len(plan))
        if not data_dir_writable():
            problems.append("data folder not writable")
        if problems:
            raise CommandError("; ".join(problems))
        self.stdout.write(self.style.SUCCESS("All checks passed."))

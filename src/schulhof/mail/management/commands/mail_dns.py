"""``schulhof manage mail_dns``: print the DNS records to publish for the school's mail."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from schulhof.mail.addresses import mail_domain
from schulhof.mail.conf import mail_conf
from schulhof.mail.dns import records


class Command(BaseCommand):
    help = "Print the DNS records (MX, SPF, DKIM, DMARC, autoconfig) for the mail domain."

    def handle(self, *args: Any, **options: Any) -> None:
        for record in records(mail_conf(), mail_domain()):
            self.stdout.write("%s\t%s\t%s" % (record.name, record.kind, record.value))
            self.stdout.write("    ; %s" % record.purpose)

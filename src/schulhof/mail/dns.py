"""The DNS records a school publishes for its mail: MX, SPF, DKIM, DMARC, autoconfig."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from schulhof.mail import dkim
from schulhof.mail.conf import MailConf


@dataclass(frozen=True)
class Record:
    name: str
    kind: str
    value: str
    purpose: str | Promise


def records(conf: MailConf, domain: str) -> list[Record]:
    dkim_name, dkim_value = dkim.dns_record(conf, domain)
    host = conf.hostname
    return [
        Record(domain, "MX", "10 %s." % host, _("Eingehende E-Mails an diesen Server")),
        Record(domain, "TXT", "v=spf1 mx -all", _("SPF: nur dieser Server sendet für die Domain")),
        Record(dkim_name, "TXT", dkim_value, _("DKIM: Schlüssel für die Signaturen")),
        Record(
            "_dmarc.%s" % domain,
            "TXT",
            "v=DMARC1; p=quarantine; rua=mailto:postmaster@%s" % domain,
            _("DMARC: was Empfänger mit nicht signierten E-Mails tun"),
        ),
        Record(
            "autoconfig.%s" % domain,
            "CNAME",
            "%s." % host,
            _("Automatische Einrichtung von E-Mail-Programmen"),
        ),
    ]

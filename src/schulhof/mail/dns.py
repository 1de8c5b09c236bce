"""The DNS records a school publishes for its mail: MX, SPF, DKIM, DMARC, autoconfig."""

from __future__ import annotations

from dataclasses import dataclass

from schulhof.mail import dkim
from schulhof.mail.conf import MailConf


@dataclass(frozen=True)
class Record:
    name: str
    kind: str
    value: str
    purpose: str


def records(conf: MailConf, domain: str) -> list[Record]:
    dkim_name, dkim_value = dkim.dns_record(conf, domain)
    host = conf.hostname
    return [
        Record(domain, "MX", "10 %s." % host, "Eingehende E-Mails an diesen Server"),
        Record(domain, "TXT", "v=spf1 mx -all", "SPF: nur dieser Server sendet für die Domain"),
        Record(dkim_name, "TXT", dkim_value, "DKIM: Schlüssel für die Signaturen"),
        Record(
            "_dmarc.%s" % domain,
            "TXT",
            "v=DMARC1; p=quarantine; rua=mailto:postmaster@%s" % domain,
            "DMARC: was Empfänger mit nicht signierten E-Mails tun",
        ),
        Record("autoconfig.%s" % domain, "CNAME", "%s." % host, "Automatische Einrichtung"),
    ]

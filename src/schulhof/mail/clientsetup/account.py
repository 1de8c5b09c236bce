"""The values a mail program needs, for the school (servers) and for one person (account)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from schulhof.accounts.models import User
from schulhof.core.models import SchoolSettings
from schulhof.mail import addresses
from schulhof.mail.conf import MailConf, mail_conf

# How the programs call the two kinds of transport security, and the autoconfig file's
# spelling of each (clientConfig 1.1 ``socketType``).
SSL = "SSL"
STARTTLS = "STARTTLS"
SECURITY_LABELS: dict[str, str | Promise] = {SSL: _("SSL/TLS"), STARTTLS: _("STARTTLS")}


@dataclass(frozen=True)
class Endpoint:
    """One way to reach a server: host, port and transport security."""

    host: str
    port: int
    security: str  # SSL (TLS from the first byte) or STARTTLS (upgraded after connecting)

    @property
    def security_label(self) -> str | Promise:
        return SECURITY_LABELS[self.security]

    @property
    def implicit_tls(self) -> bool:
        return self.security == SSL


@dataclass(frozen=True)
class ServerSettings:
    """The school's mail servers as a client sees them; the same for everybody."""

    domain: str
    school_name: str
    imap: Endpoint  # recommended: IMAP over TLS
    imap_starttls: Endpoint  # the alternative for programs or networks that need port 143
    smtp: Endpoint  # submission with STARTTLS and login
    # The certificate is the self-signed pair Schulhof generates when no real one is set:
    # every program will ask the user to trust it.
    self_signed: bool
    # Clients elsewhere can't reach a server named "localhost" (a development installation).
    local_only: bool
    # The portal's address, for links back to the guides (autoconfig documentation).
    portal_url: str


@dataclass(frozen=True)
class MailAccount:
    """One person's account in a mail program. Never holds the password."""

    servers: ServerSettings
    address: str
    username: str
    display_name: str
    user_id: int

    @property
    def local_part(self) -> str:
        return self.address.rsplit("@", 1)[0]


def _is_local_host(hostname: str) -> bool:
    if hostname == "localhost" or hostname.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


def _uses_generated_certificate(conf: MailConf) -> bool:
    # conf.py falls back to this pair in the data folder when mail_tls_cert is empty, and the
    # server set-up fills it with a self-signed certificate.
    return conf.tls_cert == conf.root / "tls" / "cert.pem"


def portal_url() -> str:
    """The portal's address as users reach it, without a trailing slash."""
    school = SchoolSettings.get()
    return (school.portal_url.strip() or settings.SCHULHOF_BASE_URL).rstrip("/")


def server_settings(conf: MailConf | None = None) -> ServerSettings:
    """The servers of this installation, from :func:`mail_conf` and the school settings."""
    conf = conf or mail_conf()
    host = conf.hostname
    return ServerSettings(
        domain=addresses.mail_domain(),
        school_name=SchoolSettings.get().school_name,
        imap=Endpoint(host, conf.imaps_port, SSL),
        imap_starttls=Endpoint(host, conf.imap_port, STARTTLS),
        smtp=Endpoint(host, conf.submission_port, STARTTLS),
        self_signed=_uses_generated_certificate(conf),
        local_only=_is_local_host(host),
        portal_url=portal_url(),
    )


def account_for(user: User, conf: MailConf | None = None) -> MailAccount:
    """The user's own account: their address, the login name and the name on sent mail."""
    return MailAccount(
        servers=server_settings(conf),
        address=addresses.address_of(user),
        username=user.username,
        display_name=user.full_name,
        user_id=user.pk,
    )

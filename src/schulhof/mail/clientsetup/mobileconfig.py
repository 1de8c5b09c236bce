"""Apple's configuration profile (``.mobileconfig``) that adds the person's school mail account
to Mail on iPhone, iPad and Mac.

The profile holds the servers, the address and the username, never the password: iOS and
macOS ask for it while installing. It is not signed, so the devices show it as "nicht
überprüft"; the guide says so. Payload keys: Apple's "Mail" payload reference
(https://developer.apple.com/documentation/devicemanagement/mail).
"""

from __future__ import annotations

import plistlib
import uuid
from typing import Any

from django.utils.crypto import salted_hmac
from django.utils.translation import gettext

from schulhof.mail.clientsetup.account import MailAccount

CONTENT_TYPE = "application/x-apple-aspen-config"
_UUID_SALT = "schulhof.mail.clientsetup.mobileconfig"


def payload_uuid(account: MailAccount, part: str) -> str:
    """A UUID that is the same every time this person downloads the profile from this
    installation, so installing it again replaces the old one instead of adding a second
    account, and that differs between people, parts and installations (it is derived from the
    installation's secret key, which it does not reveal)."""
    digest = salted_hmac(_UUID_SALT, "%d:%s" % (account.user_id, part)).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4)).upper()


def payload_identifier(account: MailAccount, part: str = "") -> str:
    """Reverse-DNS name of the profile (``de.schule.schulhof.mail.42``) and its parts. The
    person's id, not the username: a renamed person's new profile replaces the old one."""
    reverse = ".".join(reversed(account.servers.domain.split(".")))
    name = "%s.schulhof.mail.%d" % (reverse, account.user_id)
    return "%s.%s" % (name, part) if part else name


def mail_payload(account: MailAccount) -> dict[str, Any]:
    servers = account.servers
    description = _title(account)
    return {
        "PayloadType": "com.apple.mail.managed",
        "PayloadVersion": 1,
        "PayloadIdentifier": payload_identifier(account, "account"),
        "PayloadUUID": payload_uuid(account, "account"),
        "PayloadDisplayName": description,
        "PayloadDescription": gettext("E-Mail-Konto %(address)s") % {"address": account.address},
        "EmailAccountType": "EmailTypeIMAP",
        "EmailAccountDescription": description,
        "EmailAccountName": account.display_name,
        "EmailAddress": account.address,
        "IncomingMailServerHostName": servers.imap.host,
        "IncomingMailServerPortNumber": servers.imap.port,
        "IncomingMailServerUseSSL": True,
        "IncomingMailServerAuthentication": "EmailAuthPassword",
        "IncomingMailServerUsername": account.username,
        # With UseSSL on the submission port, Mail upgrades the connection with STARTTLS.
        "OutgoingMailServerHostName": servers.smtp.host,
        "OutgoingMailServerPortNumber": servers.smtp.port,
        "OutgoingMailServerUseSSL": True,
        "OutgoingMailServerAuthentication": "EmailAuthPassword",
        "OutgoingMailServerUsername": account.username,
        # One password for both servers: the device asks once.
        "OutgoingPasswordSameAsIncomingPassword": True,
        "PreventMove": False,
        "PreventAppSheet": False,
        "SMIMEEnabled": False,
        "allowMailDrop": False,
        "disableMailRecentsSyncing": False,
    }


def _title(account: MailAccount) -> str:
    return gettext("E-Mail %(school)s") % {"school": account.servers.school_name}


def mobileconfig(account: MailAccount) -> bytes:
    """The profile as an XML property list (unsigned)."""
    profile = {
        "PayloadType": "Configuration",
        "PayloadVersion": 1,
        "PayloadIdentifier": payload_identifier(account),
        "PayloadUUID": payload_uuid(account, "profile"),
        "PayloadDisplayName": _title(account),
        "PayloadDescription": gettext(
            "Richtet das Schul-E-Mail-Konto %(address)s in Mail ein. Das Passwort fragt das "
            "Gerät bei der Installation ab."
        )
        % {"address": account.address},
        "PayloadOrganization": account.servers.school_name,
        "PayloadRemovalDisallowed": False,
        "PayloadContent": [mail_payload(account)],
    }
    return plistlib.dumps(profile, fmt=plistlib.FMT_XML, sort_keys=True)

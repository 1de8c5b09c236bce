"""Thunderbird's autoconfig file (clientConfig version 1.1).

Thunderbird (and Thunderbird for Android, K-9 Mail, Evolution, KMail and others) look for it at
``https://autoconfig.<domain>/mail/config-v1.1.xml?emailaddress=…`` and at
``https://<domain>/.well-known/autoconfig/mail/config-v1.1.xml`` when someone adds an address
of the domain. The format: https://wiki.mozilla.org/Thunderbird:Autoconfiguration:ConfigFileFormat
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from django.utils import translation
from django.utils.translation import gettext

from schulhof.mail.clientsetup.account import Endpoint, ServerSettings

# Thunderbird replaces this with the part of the address before the "@": the username.
USERNAME_PLACEHOLDER = "%EMAILLOCALPART%"
# The password goes to the server as it is, inside TLS (IMAP LOGIN/PLAIN, SMTP AUTH PLAIN).
AUTHENTICATION = "password-cleartext"
DESCRIPTION_LANGUAGES = ("de", "en")


def _server(parent: ET.Element, tag: str, kind: str, endpoint: Endpoint) -> None:
    server = ET.SubElement(parent, tag, type=kind)
    ET.SubElement(server, "hostname").text = endpoint.host
    ET.SubElement(server, "port").text = str(endpoint.port)
    ET.SubElement(server, "socketType").text = endpoint.security
    ET.SubElement(server, "authentication").text = AUTHENTICATION
    ET.SubElement(server, "username").text = USERNAME_PLACEHOLDER


def autoconfig_xml(servers: ServerSettings, documentation_url: str = "") -> bytes:
    """The file for this school's domain: IMAP over TLS first (what Thunderbird picks), IMAP
    with STARTTLS as the alternative, submission with STARTTLS for sending."""
    root = ET.Element("clientConfig", version="1.1")
    provider = ET.SubElement(root, "emailProvider", id=servers.domain)
    ET.SubElement(provider, "domain").text = servers.domain
    ET.SubElement(provider, "displayName").text = servers.school_name
    ET.SubElement(provider, "displayShortName").text = servers.school_name
    _server(provider, "incomingServer", "imap", servers.imap)
    _server(provider, "incomingServer", "imap", servers.imap_starttls)
    _server(provider, "outgoingServer", "smtp", servers.smtp)
    if documentation_url:
        documentation = ET.SubElement(provider, "documentation", url=documentation_url)
        # The file is the same for everybody: the description in each portal language.
        for language in DESCRIPTION_LANGUAGES:
            with translation.override(language):
                ET.SubElement(documentation, "descr", lang=language).text = gettext(
                    "Anleitungen für E-Mail-Programme im Schulportal"
                )
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"

"""The webmail: reading, sorting, searching and writing mail in the portal, on top of our own
Dovecot (IMAP, as the webmail master user on the person's behalf) and Postfix (submission).

``imap`` talks to Dovecot, ``render`` and ``sanitize`` show messages safely, ``compose``
builds messages, ``submit`` sends, ``outbox`` ties drafts and sending together, and
``views`` are the pages.

How a request goes: ``views.common.webmail_view`` checks the policy (``policies``), opens one
IMAP session for the request and closes it afterwards; the view does its work through
``imap.MailSession`` and renders. Nothing is stored in Schulhof's database: mail lives in
Dovecot, drafts (with their attachments) in the "Entwürfe" folder. Sending goes through
Postfix's submission port as the person, so the sending rules apply exactly as for any mail
program.

Security of shown mail (see ``render`` and ``sanitize``): HTML is sanitised with nh3, served
from its own URL into an ``<iframe sandbox>`` without scripts and with its own CSP; remote
images are blocked until the person allows them for one message; attachments are always
downloads (``nosniff``, a sandboxing CSP), only PNG/JPEG/GIF/WebP are ever shown inline."""

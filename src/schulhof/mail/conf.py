"""Where the mail servers listen and keep their files, derived from the installation config.

Everything about the private Dovecot and Postfix instances is computed here once, so the
config generators, the mail gate, the webmail and the client guides agree on names and ports.
"""

from __future__ import annotations

import getpass
import os
import pwd
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from schulhof.config import Config

# Dovecot's master-user separator: the webmail logs in as "<user>*<MASTER_USER>".
MASTER_SEPARATOR = "*"
MASTER_USER = "schulhof-webmail"


def master_login(username: str) -> str:
    """The name the webmail logs in with on behalf of ``username`` (IMAP and SMTP)."""
    return "%s%s%s" % (username, MASTER_SEPARATOR, MASTER_USER)


def master_password() -> str:
    """The webmail master user's secret (``secrets.toml``); only Schulhof knows it."""
    from django.conf import settings

    return str(settings.SECRETS["webmail_master_password"])


LMTP_SOCKET = "lmtp-schulhof"

# Postfix's name (milter_macro_daemon_name) for its port of Dovecot's automatic replies
REPLIES_DAEMON = "SCHULHOF-REPLIES"


@dataclass(frozen=True)
class MailConf:
    enabled: bool
    hostname: str
    bind: str
    imap_port: int
    imaps_port: int
    submission_port: int
    smtp_port: int
    sasl_port: int
    lookup_port: int
    policy_port: int
    milter_port: int
    login_policy_port: int
    replies_port: int
    max_message_bytes: int
    smarthost: str
    smarthost_user: str
    smarthost_password: str
    dkim_selector: str
    # Paths in the data folder
    root: Path
    mailboxes: Path
    tls_cert: Path
    tls_key: Path
    dkim_dir: Path
    # The OS account that owns the mailboxes (uid/gid for Dovecot)
    system_user: str
    system_uid: int
    system_gid: int

    @property
    def internal_host(self) -> str:
        return "127.0.0.1"

    @property
    def client_host(self) -> str:
        """Where a local client (webmail, tests) reaches the IMAP and submission ports."""
        wildcard = self.bind in ("0.0.0.0", "::")  # noqa: S104 - a comparison, not a bind
        return "127.0.0.1" if wildcard else self.bind

    @property
    def lmtp_socket(self) -> Path:
        """Dovecot's LMTP delivery: a Unix socket only Postfix (and root) may use, so that no
        other local program can put mail into a mailbox past the sending rules."""
        from schulhof.mail.servers.dovecot import base_dir

        return base_dir(self) / LMTP_SOCKET

    def mailbox_home(self, user_id: int) -> Path:
        """A user's mail folder: by id, so a renamed user keeps their mail."""
        return self.mailboxes / str(user_id)


def _system_account(config: Config) -> tuple[str, int, int]:
    if os.geteuid() == 0:
        entry = pwd.getpwnam(config.mail_system_user)
        return entry.pw_name, entry.pw_uid, entry.pw_gid
    return getpass.getuser(), os.getuid(), os.getgid()


def mail_conf_from(config: Config) -> MailConf:
    hostname = config.mail_hostname
    if not hostname:
        hostname = urlsplit(config.public_url).hostname or "" if config.public_url else ""
        hostname = hostname or "localhost"
    root = config.data_dir / "mail"
    base = config.mail_internal_port_base
    user, uid, gid = _system_account(config)
    return MailConf(
        enabled=config.mail_enabled,
        hostname=hostname,
        bind=config.mail_bind,
        imap_port=config.imap_port,
        imaps_port=config.imaps_port,
        submission_port=config.submission_port,
        smtp_port=config.smtp_port,
        sasl_port=base,
        lookup_port=base + 1,
        policy_port=base + 2,
        milter_port=base + 3,
        login_policy_port=base + 4,
        replies_port=base + 5,
        max_message_bytes=config.mail_max_message_mib * 1024 * 1024,
        smarthost=config.smarthost,
        smarthost_user=config.smarthost_user,
        smarthost_password=config.smarthost_password,
        dkim_selector=config.dkim_selector,
        root=root,
        mailboxes=root / "boxes",
        tls_cert=Path(config.mail_tls_cert) if config.mail_tls_cert else root / "tls" / "cert.pem",
        tls_key=Path(config.mail_tls_key) if config.mail_tls_key else root / "tls" / "key.pem",
        dkim_dir=root / "dkim",
        system_user=user,
        system_uid=uid,
        system_gid=gid,
    )


# Two layers above the installation's settings: the servers a test process or benchmark
# started (``push_base_mail_conf``, by ``testing.MailStack``) and a single test's changes
# (``use_mail_conf``); clearing a test's changes falls back to the running servers.
_base: list[MailConf] = []
_override: list[MailConf] = []


def mail_conf() -> MailConf:
    """The running installation's mail settings (from Django's settings.CONFIG), unless a
    test or benchmark put its own in place (see above)."""
    if _override:
        return _override[-1]
    if _base:
        return _base[-1]
    return _installation_conf()


@cache
def _installation_conf() -> MailConf:
    from django.conf import settings

    return mail_conf_from(settings.CONFIG)


def use_mail_conf(conf: MailConf | None) -> None:
    """Make ``conf`` the current mail settings for one test (None: back to the running
    servers' or the installation's)."""
    _override.clear()
    if conf is not None:
        _override.append(conf)


def push_base_mail_conf(conf: MailConf) -> None:
    """Mail servers with these settings started in this process (the newest count)."""
    _base.append(conf)


def pop_base_mail_conf(conf: MailConf) -> None:
    """The mail servers with these settings stopped."""
    if conf in _base:
        _base.reverse()
        _base.remove(conf)
        _base.reverse()

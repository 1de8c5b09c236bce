"""Prepare and describe the private mail servers: folders, certificates, generated configs.

``prepare()`` is called by ``schulhof run`` (and by the tests' mail stack) before starting
Dovecot, Postfix and the mail gate; it is idempotent and rewrites every generated file.

Layout under ``<data>/mail``::

    boxes/<user id>/Maildir   the mailboxes (owned by the mail system user)
    dovecot/                  dovecot.conf, sql.conf, master-users (0600)
    postfix/                  main.cf, master.cf, bounce.cf, smarthost_password (0600)
    spool/, postfix-data/     Postfix's queue and state
    tls/                      self-signed certificate and key (if none is configured)
    dkim/                     the DKIM key
    run/, state/              Dovecot's sockets and state
"""

from __future__ import annotations

import grp
import os
import shutil
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from schulhof.mail.conf import MailConf
from schulhof.mail.servers import dovecot, postfix

DOVECOT = "/usr/sbin/dovecot"
POSTFIX = "/usr/sbin/postfix"
POSTFIX_MASTER = "/usr/lib/postfix/sbin/master"
OPENSSL = "/usr/bin/openssl"


class MailSetupError(Exception):
    """The mail servers cannot be prepared; the message says what is missing."""


@dataclass(frozen=True)
class MailServers:
    conf: MailConf
    dovecot_config: Path
    postfix_config_dir: Path | None  # None: Postfix cannot run here (not root)

    def dovecot_argv(self) -> list[str]:
        return [DOVECOT, "-F", "-c", str(self.dovecot_config)]

    def postfix_argv(self) -> list[str]:
        """Postfix's master in the foreground, in the supervisor's process group (-d: no
        session of its own), so that stopping the group stops every Postfix process.
        ``prepare()`` has already done what ``postfix start`` checks first."""
        if self.postfix_config_dir is None:
            raise MailSetupError("Postfix cannot run here (it needs root)")
        return [POSTFIX_MASTER, "-c", str(self.postfix_config_dir), "-d"]


def is_root() -> bool:
    return os.geteuid() == 0


def missing_programs() -> list[str]:
    missing = [path for path in (DOVECOT,) if not os.access(path, os.X_OK)]
    if is_root() and not os.access(POSTFIX, os.X_OK):
        missing.append(POSTFIX)
    return missing


def _make_traversable(path: Path) -> None:
    """The mail servers' unprivileged users must reach folders inside the data folder:
    add the search (x) bit for others to it and its parents (never read or write)."""
    for folder in [path, *path.parents]:
        try:
            mode = folder.stat().st_mode
        except OSError:
            return
        if not mode & stat.S_IXOTH:
            try:
                os.chmod(folder, mode | stat.S_IXOTH)
            except PermissionError:
                return


def ensure_certificate(conf: MailConf) -> None:
    if conf.tls_cert.exists() and conf.tls_key.exists():
        return
    conf.tls_cert.parent.mkdir(parents=True, exist_ok=True)
    subject_alt = "subjectAltName=DNS:%s,DNS:localhost,IP:127.0.0.1" % conf.hostname
    subprocess.run(  # noqa: S603 - fixed program, no shell
        [
            OPENSSL,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "3650",
            "-subj",
            "/CN=%s" % conf.hostname,
            "-addext",
            subject_alt,
            "-keyout",
            str(conf.tls_key),
            "-out",
            str(conf.tls_cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    os.chmod(conf.tls_key, 0o600)


def prepare(
    conf: MailConf,
    *,
    log_dir: Path,
    database: dict[str, Any],
    secrets: dict[str, str],
) -> MailServers:
    missing = missing_programs()
    if missing:
        raise MailSetupError(
            "Mail servers not installed (%s): run `make run` or scripts/system-packages.sh"
            % ", ".join(missing)
        )
    rootless = not is_root()
    for folder in (conf.root, conf.mailboxes, conf.dkim_dir, log_dir):
        folder.mkdir(parents=True, exist_ok=True)
    # Dovecot's and Postfix's own users must reach their folders below (no secrets here:
    # the secret files are 0600 and the mailboxes 0700).
    os.chmod(conf.root, 0o755)  # noqa: S103
    _make_traversable(conf.root)
    if not rootless:
        os.chown(conf.mailboxes, conf.system_uid, conf.system_gid)
    os.chmod(conf.mailboxes, 0o700)
    ensure_certificate(conf)

    from schulhof.mail import dkim

    dkim.ensure_key(conf)

    dovecot_dir = conf.root / "dovecot"
    files = dovecot.DovecotFiles(
        config=dovecot_dir / "dovecot.conf",
        sql=dovecot_dir / "sql.conf",
        master_users=dovecot_dir / "master-users",
    )
    dovecot.write_private(files.sql, dovecot.render_sql(conf, database))
    dovecot.write_private(
        files.master_users, dovecot.master_users_line(secrets["webmail_master_password"]), 0o640
    )
    if not rootless:
        # Dovecot's auth process (user "dovecot") reads the master user file.
        os.chown(files.master_users, 0, grp.getgrnam("dovecot").gr_gid)
    dovecot.write_private(
        files.config,
        dovecot.render_config(
            conf,
            files=files,
            log_dir=log_dir,
            policy_token=secrets["internal_api_token"],
            policy_nonce=secrets["mail_policy_nonce"],
            rootless=rootless,
        ),
        # The login policy's token is in it; Dovecot's master (root) reads it.
        mode=0o600,
    )
    for folder in (dovecot.base_dir(conf), conf.root / "state" / "dovecot"):
        folder.mkdir(parents=True, exist_ok=True)

    postfix_dir: Path | None = None
    if not rootless:
        postfix_dir = conf.root / "postfix"
        spool = conf.root / "spool"
        data = conf.root / "postfix-data"
        for folder in (postfix_dir, spool, data):
            folder.mkdir(parents=True, exist_ok=True)
        shutil.chown(data, "postfix")
        dovecot.write_private(
            postfix_dir / "main.cf",
            postfix.render_main(conf, config_dir=postfix_dir, spool=spool, log_dir=log_dir),
            mode=0o644,
        )
        dovecot.write_private(postfix_dir / "master.cf", postfix.render_master(conf), 0o644)
        dovecot.write_private(postfix_dir / "bounce.cf", postfix.BOUNCE_TEMPLATE, 0o644)
        if conf.smarthost and conf.smarthost_user:
            dovecot.write_private(
                postfix_dir / "smarthost_password", postfix.render_smarthost_password(conf)
            )
        # Postfix logs into the log folder through its postlogd; create the queue folders.
        subprocess.run(  # noqa: S603 - fixed program, no shell
            [POSTFIX, "-c", str(postfix_dir), "check"],
            check=False,
            capture_output=True,
            timeout=60,
        )
    return MailServers(conf=conf, dovecot_config=files.config, postfix_config_dir=postfix_dir)

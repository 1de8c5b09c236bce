"""mbsync (isync), a real IMAP client, syncs a mailbox both ways without errors."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from schulhof.mail.testing import MailStack

pytestmark = [
    pytest.mark.mail,
    pytest.mark.skipif(shutil.which("mbsync") is None, reason="isync is not installed"),
]


def mbsync(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["mbsync", "-c", str(config), "-a"],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_mbsync_both_ways(mail: MailStack, tmp_path: Path) -> None:
    user = mail.create_mail_user(username="leon.schmidt", pupil=True)
    mail.deliver("leon.schmidt@schule.test", b"Subject: Vom Server\r\n\r\nHallo\r\n")
    local = tmp_path / "Mail"
    local.mkdir()
    config = tmp_path / "mbsyncrc"
    config.write_text(
        "\n".join(
            [
                "IMAPAccount schule",
                "Host localhost",  # the certificate names localhost, not the IP
                "Port %d" % mail.conf.imap_port,
                "User %s" % user.username,
                "Pass %s" % user.test_password,
                "SSLType STARTTLS",
                "CertificateFile %s" % mail.conf.tls_cert,
                "",
                "IMAPStore schule-remote",
                "Account schule",
                "",
                "MaildirStore schule-local",
                "Path %s/" % local,
                "Inbox %s/INBOX" % local,
                "SubFolders Verbatim",
                "",
                "Channel schule",
                "Far :schule-remote:",
                "Near :schule-local:",
                "Patterns *",
                "Create Both",
                "Expunge Both",
                "SyncState *",
                "",
            ]
        )
    )
    config.chmod(0o600)
    first = mbsync(config)
    assert first.returncode == 0, first.stderr
    pulled = list((local / "INBOX" / "new").iterdir()) + list((local / "INBOX" / "cur").iterdir())
    assert len(pulled) == 1
    assert b"Vom Server" in pulled[0].read_bytes()
    # Every special folder came along.
    for folder in ("Sent", "Drafts", "Trash"):
        assert (local / folder).is_dir()

    # A message written locally goes up to the server.
    new = local / "INBOX" / "new" / "1700000000.1.test"
    new.write_bytes(b"From: leon.schmidt@schule.test\r\nSubject: Vom Client\r\n\r\nHochgeladen\r\n")
    second = mbsync(config)
    assert second.returncode == 0, second.stderr
    with mail.imap(user) as client:
        client.select("INBOX", readonly=True)
        _typ, data = client.search(None, "SUBJECT", '"Vom Client"')
        assert len(data[0].split()) == 1
    assert "error" not in (first.stderr + second.stderr).lower()

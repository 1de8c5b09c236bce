import base64
import dataclasses
import re
import shutil
import stat
import subprocess
import threading
from pathlib import Path

import pytest

from schulhof.config import Config
from schulhof.mail import dkim
from schulhof.mail.conf import MailConf, mail_conf_from

MESSAGE = (
    b"From: Anna Admin <anna.admin@example.org>\r\n"
    b"To: Paul Pupil <paul.pupil@example.org>\r\n"
    b"Subject: Elternabend am Donnerstag\r\n"
    b"Date: Thu, 06 Nov 2025 10:00:00 +0100\r\n"
    b"Message-ID: <1@example.org>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"X-Mailer: Schulhof\r\n"
    b"\r\n"
    b"Liebe Eltern,\r\n"
    b"\r\n"
    b"bis Donnerstag.\r\n"
)


def make_conf(data_dir: Path) -> MailConf:
    return mail_conf_from(Config(data_dir=data_dir))


@pytest.fixture(scope="module")
def conf(tmp_path_factory: pytest.TempPathFactory) -> MailConf:
    conf = make_conf(tmp_path_factory.mktemp("dkim"))
    dkim.ensure_key(conf)
    return conf


def signed(conf: MailConf, message: bytes = MESSAGE, domain: str = "example.org") -> bytes:
    signature = dkim.sign(conf, domain, message)
    assert signature is not None
    return signature + message


def dns(conf: MailConf, domain: str = "example.org") -> dict[str, str]:
    return dict([dkim.dns_record(conf, domain)])


def tags(signature: bytes) -> dict[str, str]:
    value = signature.split(b":", 1)[1].decode()
    parts = re.sub(r"\s+", "", value).split(";")
    return dict(part.split("=", 1) for part in parts if part)


def test_ensure_key_makes_one_rsa_key_readable_only_by_its_owner(tmp_path):
    conf = make_conf(tmp_path)
    path = dkim.ensure_key(conf)
    assert path == dkim.key_path(conf, "schulhof") == conf.dkim_dir / "schulhof.private.pem"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(conf.dkim_dir.stat().st_mode) == 0o700
    text = subprocess.run(
        ["openssl", "pkey", "-in", str(path), "-noout", "-text"],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    assert "2048 bit" in text
    assert [p.name for p in conf.dkim_dir.iterdir()] == ["schulhof.private.pem"]


def test_ensure_key_keeps_the_existing_key(conf):
    path = dkim.key_path(conf, conf.dkim_selector)
    before = path.read_bytes()
    assert dkim.ensure_key(conf) == path
    assert path.read_bytes() == before


def test_concurrent_callers_end_up_with_the_same_key(tmp_path):
    conf = make_conf(tmp_path)
    results: list[bytes] = []

    def call() -> None:
        results.append(dkim.ensure_key(conf).read_bytes())

    threads = [threading.Thread(target=call) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4 and len(set(results)) == 1
    assert [p.name for p in conf.dkim_dir.iterdir()] == ["schulhof.private.pem"]


def test_ensure_key_makes_a_world_readable_key_private_again(tmp_path, caplog):
    conf = make_conf(tmp_path)
    path = dkim.ensure_key(conf)
    path.chmod(0o644)
    dkim.ensure_key(conf)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "readable by others" in caplog.text


def test_ensure_key_without_openssl_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(dkim.DkimKeyError, match="openssl is not installed"):
        dkim.ensure_key(make_conf(tmp_path))


@pytest.mark.parametrize("selector", ["../etc", "a/b", "", "Schulhof", "sel_1", "-x"])
def test_selector_must_be_a_plain_dns_label(conf, selector):
    with pytest.raises(ValueError, match="not a DKIM selector"):
        dkim.key_path(conf, selector)


def test_dns_record_publishes_the_public_key(conf):
    name, value = dkim.dns_record(conf, "Example.ORG.")
    assert name == "schulhof._domainkey.example.org"
    assert value.startswith("v=DKIM1; k=rsa; p=")
    key = str(dkim.key_path(conf, "schulhof"))
    openssl_der = subprocess.run(
        ["openssl", "pkey", "-in", key, "-pubout", "-outform", "DER"],
        capture_output=True,
        check=True,
    ).stdout
    assert base64.b64decode(value.split("p=", 1)[1]) == openssl_der


def test_dns_record_uses_the_configured_selector(tmp_path):
    conf = dataclasses.replace(make_conf(tmp_path), dkim_selector="mail2025")
    assert dkim.dns_record(conf, "example.org")[0] == "mail2025._domainkey.example.org"
    assert dkim.key_path(conf, "mail2025").exists()


def test_signature_verifies_and_says_what_it_covers(conf):
    message = signed(conf)
    assert message.startswith(b"DKIM-Signature: ")
    signature = message.split(b"\r\nFrom:", 1)[0]
    fields = tags(signature)
    assert fields["a"] == "rsa-sha256"
    assert fields["c"] == "relaxed/relaxed"
    assert fields["d"] == "example.org"
    assert fields["s"] == "schulhof"
    assert fields["h"].split(":") == [
        "from",
        "from",
        "reply-to",
        "subject",
        "subject",
        "to",
        "to",
        "cc",
        "date",
        "message-id",
        "mime-version",
        "content-type",
    ]
    assert dkim.verify(message, dns(conf))


def test_relaxed_canonicalisation_tolerates_whitespace_and_unsigned_headers(conf):
    message = signed(conf)
    refolded = message.replace(b"Subject: Elternabend", b"Subject:\r\n\t Elternabend")
    refolded = refolded.replace(b"bis Donnerstag.", b"bis Donnerstag.  ")
    refolded = refolded.replace(b"X-Mailer: Schulhof\r\n", b"X-Mailer: anders\r\nX-Spam: no\r\n")
    assert dkim.verify(refolded, dns(conf))


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b"bis Donnerstag.", b"bis Freitag."),
        (b"Subject: Elternabend", b"Subject: Elternabend faellt aus,"),
        (b"\r\nFrom: Anna", b"\r\nFrom: Mallory <m@evil.example>\r\nFrom: Anna"),
        (b"\r\nX-Mailer", b"\r\nCc: mallory@evil.example\r\nX-Mailer"),
        (b"\r\nX-Mailer", b"\r\nReply-To: mallory@evil.example\r\nX-Mailer"),
        (b"\r\nX-Mailer", b"\r\nSubject: Zweites Subject\r\nX-Mailer"),
    ],
)
def test_changes_to_signed_content_break_the_signature(conf, old, new):
    message = signed(conf)
    assert old in message
    assert not dkim.verify(message.replace(old, new, 1), dns(conf))


def test_verify_needs_the_right_public_key(conf, tmp_path):
    message = signed(conf)
    assert not dkim.verify(message, {})
    assert not dkim.verify(message, dns(make_conf(tmp_path)))
    assert not dkim.verify(message, dns(conf, "example.net"))


def test_sign_accepts_lf_line_ends(conf):
    message = MESSAGE.replace(b"\r\n", b"\n")
    signature = dkim.sign(conf, "example.org", message)
    assert signature is not None
    assert dkim.verify(signature + MESSAGE, dns(conf))


def test_every_occurrence_of_a_signed_header_is_covered(conf):
    message = MESSAGE.replace(b"X-Mailer", b"To: second@example.org\r\nX-Mailer")
    signature = dkim.sign(conf, "example.org", message)
    assert signature is not None
    assert tags(signature)["h"].split(":").count("to") == 3  # two and one more


def test_message_without_from_is_not_signed(conf, caplog):
    message = MESSAGE.replace(b"From: Anna Admin <anna.admin@example.org>\r\n", b"")
    assert dkim.sign(conf, "example.org", message) is None
    assert "no From header" in caplog.text


def test_message_with_broken_header_is_not_signed(conf):
    assert dkim.sign(conf, "example.org", b"no header here\r\n\r\nbody\r\n") is None


@pytest.mark.parametrize("domain", ["example.org; s=evil", "localhost", "", "exa mple.org"])
def test_sign_refuses_what_is_not_a_domain(conf, domain):
    with pytest.raises(ValueError, match="not a domain"):
        dkim.sign(conf, domain, MESSAGE)


def test_international_domain_is_signed_in_its_ascii_form(conf):
    message = signed(conf, domain="grundschule-müller.de")
    d = tags(message.split(b"\r\nFrom:", 1)[0])["d"]
    assert d.startswith("xn--grundschule-mller-") and d.endswith(".de")
    assert dkim.verify(message, dns(conf, "grundschule-müller.de"))


def test_unusable_key_file_is_an_error_not_an_unsigned_message(tmp_path):
    conf = make_conf(tmp_path)
    conf.dkim_dir.mkdir(parents=True)
    path = dkim.key_path(conf, conf.dkim_selector)
    path.write_bytes(b"-----BEGIN PRIVATE KEY-----\nbm9rZXk=\n-----END PRIVATE KEY-----\n")
    path.chmod(0o600)
    with pytest.raises(dkim.DkimKeyError, match="unusable"):
        dkim.sign(conf, "example.org", MESSAGE)

"""DKIM: the signing key, the DNS record an admin publishes, and signing outgoing mail.

One RSA key per selector (``MailConf.dkim_selector``) signs for every school domain; each
domain publishes the same public key at ``<selector>._domainkey.<domain>``. The key is made
once with Debian's ``openssl`` (no new Python dependency) and kept as PEM under
``MailConf.dkim_dir``, mode 0600. Signing and verifying use dkimpy, which does RSA in pure
Python and reads both PKCS#1 and PKCS#8 PEM.

The milter (:mod:`schulhof.mail.gate.milter`) calls :func:`sign` with the message as it will
leave Postfix; signatures are relaxed/relaxed rsa-sha256.
"""

from __future__ import annotations

import base64
import logging
import os
import re
import secrets
import shutil
import subprocess
from pathlib import Path

import dkim as dkimpy
from dkim.crypto import parse_pem_private_key

from schulhof.mail.conf import MailConf

logger = logging.getLogger(__name__)

# The headers we sign, each as often as it occurs. The first five are signed once more than
# they occur, so nobody can add one (a second From above, a Cc, a Reply-To) to a signed message
# without breaking the signature (RFC 6376, section 8.15; Rspamd signs the same way).
SIGNED_HEADERS = (
    "From",
    "Reply-To",
    "Subject",
    "To",
    "Cc",
    "Date",
    "Message-ID",
    "MIME-Version",
    "Content-Type",
    "In-Reply-To",
    "References",
)
OVERSIGNED_HEADERS = frozenset(("from", "reply-to", "subject", "to", "cc"))
KEY_BITS = 2048
_OPENSSL_TIMEOUT = 120  # seconds; RSA 2048 key generation takes well under one

# A DNS label (letters, digits, hyphens inside); selectors are labels too.
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_SELECTOR_RE = re.compile(r"%s(?:\.%s)*" % (_LABEL, _LABEL))
_DOMAIN_RE = re.compile(r"(?=.{1,253}\Z)%s(?:\.%s)+" % (_LABEL, _LABEL))
_HEADER_NAME_RE = re.compile(rb"([\x21-\x39\x3b-\x7e]+)[ \t]*:")


class DkimKeyError(Exception):
    """The signing key could not be made or read; the message says why."""


def key_path(conf: MailConf, selector: str) -> Path:
    """Where the private key for ``selector`` lives (whether or not it exists yet)."""
    return conf.dkim_dir / ("%s.private.pem" % _checked_selector(selector))


def ensure_key(conf: MailConf) -> Path:
    """The private key for ``conf.dkim_selector``, made on first use (RSA 2048, PEM, 0600).

    Safe against concurrent callers: the key is written to a temporary file and linked into
    place only if no key exists, so every caller ends up with the same key.
    """
    path = key_path(conf, conf.dkim_selector)
    if path.exists():
        _tighten_mode(path)
        return path
    conf.dkim_dir.mkdir(parents=True, mode=0o700, exist_ok=True)
    pem = _generate_private_key_pem()
    tmp = path.with_name(".%s.%s.tmp" % (path.name, secrets.token_hex(8)))
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(tmp, path)  # fails if another process was first; its key wins
        except FileExistsError:
            pass
        else:
            logger.info("DKIM: made a new signing key %s", path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def sign(conf: MailConf, domain: str, message: bytes) -> bytes | None:
    """The ``DKIM-Signature: ...\\r\\n`` header for ``message`` signed for ``domain``.

    ``message`` is the whole message (headers, blank line, body), CRLF or LF line ends.
    None when the message cannot be signed (no From header, unparseable headers); that is
    logged. A malformed ``domain`` raises ValueError.
    """
    d = _checked_domain(domain)
    names = _header_names(message)
    if names is None or "from" not in names:
        logger.warning("DKIM: not signing for %s: the message has no From header", d)
        return None
    include = []
    for name in (header.lower() for header in SIGNED_HEADERS):
        count = names.count(name)
        include.extend([name] * (count + 1 if name in OVERSIGNED_HEADERS else count))
    private_pem = ensure_key(conf).read_bytes()
    try:
        signature: bytes = dkimpy.sign(
            message,
            _checked_selector(conf.dkim_selector).encode("ascii"),
            d.encode("ascii"),
            private_pem,
            canonicalize=(b"relaxed", b"relaxed"),
            signature_algorithm=b"rsa-sha256",
            include_headers=[name.encode("ascii") for name in include],
        )
    except dkimpy.KeyFormatError as exc:
        raise DkimKeyError(
            "DKIM key %s is unusable: %s" % (key_path(conf, conf.dkim_selector), exc)
        ) from exc
    except dkimpy.DKIMException as exc:
        logger.warning("DKIM: not signing for %s: %s", d, exc)
        return None
    return signature


def dns_record(conf: MailConf, domain: str) -> tuple[str, str]:
    """The TXT record to publish for ``domain``: (name, value).

    The value is longer than 255 characters; DNS providers split it into several strings of
    one TXT record, which verifiers join again.
    """
    d = _checked_domain(domain)
    selector = _checked_selector(conf.dkim_selector)
    key = parse_pem_private_key(ensure_key(conf).read_bytes())
    public = base64.b64encode(_subject_public_key_info(key["modulus"], key["publicExponent"]))
    return "%s._domainkey.%s" % (selector, d), "v=DKIM1; k=rsa; p=%s" % public.decode("ascii")


def verify(message: bytes, dns_txt: dict[str, str]) -> bool:
    """Whether the topmost DKIM-Signature of ``message`` verifies, with TXT records taken
    from ``dns_txt`` (name -> value) instead of DNS. For tests and diagnostics."""
    records = {name.rstrip(".").lower(): value for name, value in dns_txt.items()}

    def lookup(name: bytes, timeout: float = 5) -> bytes | None:
        value = records.get(name.decode("ascii", "replace").rstrip(".").lower())
        return value.encode("ascii") if value is not None else None

    return bool(dkimpy.verify(message, dnsfunc=lookup))


def _generate_private_key_pem() -> bytes:
    openssl = shutil.which("openssl")
    if openssl is None:
        raise DkimKeyError("openssl is not installed; it is needed once to make the DKIM key")
    argv = [openssl, "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:%d" % KEY_BITS]
    try:
        done = subprocess.run(  # noqa: S603 - a fixed argv, nothing from users
            argv, capture_output=True, check=True, timeout=_OPENSSL_TIMEOUT
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise DkimKeyError("openssl could not make the DKIM key: %s" % exc) from exc
    pem = done.stdout
    if b"-----BEGIN PRIVATE KEY-----" not in pem:
        raise DkimKeyError("openssl printed no private key")
    return pem


def _tighten_mode(path: Path) -> None:
    # A key restored from a backup may have come back world-readable.
    if path.stat().st_mode & 0o077:
        logger.warning("DKIM: key %s was readable by others; setting mode 0600", path)
        path.chmod(0o600)


def _header_names(message: bytes) -> list[str] | None:
    """The lower-cased names of the message's header fields, in order; None if malformed."""
    names = []
    for line in re.split(rb"\r?\n", message.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]):
        if not line or line[:1] in (b" ", b"\t"):
            continue
        match = _HEADER_NAME_RE.match(line)
        if match is None:
            return None
        names.append(match.group(1).decode("ascii").lower())
    return names


def _checked_domain(domain: str) -> str:
    d = domain.strip().rstrip(".").lower()
    if not d.isascii():
        d = d.encode("idna").decode("ascii")  # d= must be the A-label form
    if not _DOMAIN_RE.fullmatch(d):
        raise ValueError("not a domain name: %r" % domain)
    return d


def _checked_selector(selector: str) -> str:
    # The selector becomes part of a file name and of a DNS name; it must be a plain label.
    if not _SELECTOR_RE.fullmatch(selector):
        raise ValueError("not a DKIM selector: %r" % selector)
    return selector


def _der(tag: int, content: bytes) -> bytes:
    size = len(content)
    if size < 0x80:
        return bytes([tag, size]) + content
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + content


def _der_integer(value: int) -> bytes:
    # One extra byte so the high bit never makes a positive number negative.
    return _der(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big"))


def _subject_public_key_info(modulus: int, exponent: int) -> bytes:
    """DER SubjectPublicKeyInfo of an RSA public key, the form DKIM's p= tag carries."""
    rsa_encryption = _der(0x06, bytes.fromhex("2a864886f70d010101"))  # 1.2.840.113549.1.1.1
    algorithm = _der(0x30, rsa_encryption + _der(0x05, b""))
    public_key = _der(0x30, _der_integer(modulus) + _der_integer(exponent))
    return _der(0x30, algorithm + _der(0x03, b"\x00" + public_key))

"""Installation configuration in layers: defaults, an admin TOML file, environment variables.

This is *installation* configuration (ports, paths, database), read once when Django's settings
module is imported. School *policy* (school name, domains, quotas, grace periods) lives in the
database (:class:`schulhof.core.models.SchoolSettings`) and is edited in the portal.

Order of precedence, lowest first:

1. the defaults in :class:`Config`;
2. the admin file: ``$SCHULHOF_CONFIG``, else ``./schulhof.toml``, else
   ``/etc/schulhof/schulhof.toml``;
3. environment variables ``SCHULHOF_<FIELD>`` (e.g. ``SCHULHOF_WEB_PORT=8080``) and
   ``DATABASE_URL``;
4. secrets from ``<data_dir>/secrets.toml``, generated on first use with mode 0600 and never
   committed.
"""

from __future__ import annotations

import dataclasses
import fcntl
import os
import re
import secrets
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ENV_PREFIX = "SCHULHOF_"
_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)
SYSTEM_CONFIG = Path("/etc/schulhof/schulhof.toml")


class ConfigError(Exception):
    """The admin configuration is invalid; the message says which value and why."""


def _section(name: str) -> dict[str, Any]:
    return {"section": name}


@dataclass(frozen=True)
class Config:
    """Every value an admin may set, with its TOML section and its default."""

    # [paths]
    data_dir: Path = field(default=Path("var"), metadata=_section("paths"))
    # [server]
    bind: str = field(default="127.0.0.1", metadata=_section("server"))
    web_port: int = field(default=8000, metadata=_section("server"))
    web_workers: int = field(default=2, metadata=_section("server"))
    web_threads: int = field(default=4, metadata=_section("server"))
    public_url: str = field(default="", metadata=_section("server"))
    allowed_hosts: list[str] = field(default_factory=list, metadata=_section("server"))
    # Behind a TLS-terminating proxy: trust X-Forwarded-Proto and set secure cookies.
    behind_tls_proxy: bool = field(default=False, metadata=_section("server"))
    debug: bool = field(default=False, metadata=_section("server"))
    # [database]
    database_url: str = field(default="", metadata=_section("database"))
    # [worker]
    worker_poll_seconds: float = field(default=1.0, metadata=_section("worker"))
    # [logging]
    log_level: str = field(default="INFO", metadata=_section("logging"))
    # [i18n]
    time_zone: str = field(default="Europe/Berlin", metadata=_section("i18n"))
    # [mail] Private Dovecot and Postfix instances started by `schulhof run`. The defaults are
    # development ports on loopback, so they never clash with a system mail server.
    mail_enabled: bool = field(default=True, metadata=_section("mail"))
    # The name clients and other servers use (guides, certificates, HELO); default: the host
    # of public_url, else "localhost".
    mail_hostname: str = field(default="", metadata=_section("mail"))
    mail_bind: str = field(default="127.0.0.1", metadata=_section("mail"))
    imap_port: int = field(default=1143, metadata=_section("mail"))
    imaps_port: int = field(default=1993, metadata=_section("mail"))
    submission_port: int = field(default=1587, metadata=_section("mail"))
    smtp_port: int = field(default=2525, metadata=_section("mail"))
    # Internal ports on 127.0.0.1, from this one upwards: LMTP, SASL, lookups, policy, milter,
    # login policy (six in all).
    mail_internal_port_base: int = field(default=11020, metadata=_section("mail"))
    # Largest message accepted, in MiB (Postfix's message_size_limit).
    mail_max_message_mib: int = field(default=50, metadata=_section("mail"))
    # Outbound: empty = deliver directly (MX lookup); else "host:port" of the provider's relay.
    smarthost: str = field(default="", metadata=_section("mail"))
    smarthost_user: str = field(default="", metadata=_section("mail"))
    smarthost_password: str = field(default="", metadata=_section("mail"))
    # TLS certificate and key (PEM); empty = a self-signed pair in the data folder.
    mail_tls_cert: str = field(default="", metadata=_section("mail"))
    mail_tls_key: str = field(default="", metadata=_section("mail"))
    dkim_selector: str = field(default="schulhof", metadata=_section("mail"))
    # The system user that owns the mailboxes when Schulhof runs as root (Debian's "mail").
    mail_system_user: str = field(default="mail", metadata=_section("mail"))

    @property
    def db_path(self) -> Path:
        return self.data_dir / "db" / "schulhof.sqlite3"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def secrets_path(self) -> Path:
        return self.data_dir / "secrets.toml"

    @property
    def base_url(self) -> str:
        """The portal address users see (for letters, guides and mails)."""
        if self.public_url:
            return self.public_url.rstrip("/")
        return "http://%s:%d" % (self.connect_host, self.web_port)

    @property
    def connect_host(self) -> str:
        """Where a local client reaches the web server (a wildcard bind is reached on loopback)."""
        wildcard = self.bind in ("0.0.0.0", "::")  # noqa: S104 - a comparison, not a bind
        return "127.0.0.1" if wildcard else self.bind


def _coerce(name: str, kind: Any, raw: Any) -> Any:
    """Turn a TOML or environment value into the field's type, or raise ConfigError."""
    try:
        if kind in (bool, "bool"):
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(raw)
        if kind in (int, "int"):
            if isinstance(raw, bool):
                raise ValueError(raw)
            return int(raw)
        if kind in (float, "float"):
            return float(raw)
        if kind in (Path, "Path"):
            return Path(str(raw))
        if kind in ("list[str]",):
            if isinstance(raw, list):
                return [str(item) for item in raw]
            return [item.strip() for item in str(raw).split(",") if item.strip()]
        return str(raw)
    except (TypeError, ValueError) as error:
        raise ConfigError("Invalid value for %s: %r" % (name, raw)) from error


def config_file_path(environ: dict[str, str]) -> Path | None:
    explicit = environ.get(ENV_PREFIX + "CONFIG")
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError("SCHULHOF_CONFIG points to a missing file: %s" % path)
        return path
    for candidate in (Path("schulhof.toml"), SYSTEM_CONFIG):
        if candidate.is_file():
            return candidate
    return None


def load_config(environ: dict[str, str] | None = None, *, base_dir: Path | None = None) -> Config:
    """Read the layers and return a validated Config. Relative paths are resolved against base_dir
    (default: the current directory)."""
    environ = dict(os.environ if environ is None else environ)
    base_dir = base_dir or Path.cwd()
    values: dict[str, Any] = {}
    fields = {f.name: f for f in dataclasses.fields(Config)}

    path = config_file_path(environ)
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as error:
            raise ConfigError("Cannot read %s: %s" % (path, error)) from error
        for section, entries in data.items():
            if not isinstance(entries, dict):
                raise ConfigError("%s: top-level key %r must be a [section]" % (path, section))
            for key, raw in entries.items():
                f = fields.get(key)
                if f is None or f.metadata.get("section") != section:
                    raise ConfigError("%s: unknown setting [%s] %s" % (path, section, key))
                values[key] = _coerce(key, f.type, raw)

    for name, f in fields.items():
        env_name = ENV_PREFIX + name.upper()
        if env_name in environ:
            values[name] = _coerce(env_name, f.type, environ[env_name])
    if environ.get("DATABASE_URL"):
        values["database_url"] = environ["DATABASE_URL"]

    config = Config(**values)
    data_dir = config.data_dir if config.data_dir.is_absolute() else base_dir / config.data_dir
    config = dataclasses.replace(config, data_dir=data_dir)
    _validate(config)
    return config


def _validate(config: Config) -> None:
    for port_name in (
        "web_port",
        "imap_port",
        "imaps_port",
        "submission_port",
        "smtp_port",
        "mail_internal_port_base",
    ):
        port = getattr(config, port_name)
        if not 0 < port < 65536:
            raise ConfigError("%s must be between 1 and 65535, not %d" % (port_name, port))
    if config.mail_hostname and not _HOSTNAME.match(config.mail_hostname):
        raise ConfigError("mail_hostname must be a host name like mail.schule.de")
    for name in ("smarthost", "smarthost_user", "smarthost_password", "dkim_selector"):
        if any(ch.isspace() for ch in getattr(config, name)):
            raise ConfigError("%s must not contain spaces or line breaks" % name)
    if config.mail_internal_port_base > 65535 - 6:
        raise ConfigError("mail_internal_port_base leaves no room for the six internal ports")
    if config.mail_max_message_mib < 1:
        raise ConfigError("mail_max_message_mib must be at least 1")
    if config.web_workers < 1:
        raise ConfigError("web_workers must be at least 1")
    if config.database_url and not config.database_url.startswith(
        ("postgres://", "postgresql://", "sqlite://")
    ):
        raise ConfigError("DATABASE_URL must be a postgresql:// or sqlite:// URL")


def _generated_secrets() -> dict[str, str]:
    return {
        "secret_key": secrets.token_urlsafe(50),
        # Shared secret for internal endpoints used by the mail servers.
        "internal_api_token": secrets.token_urlsafe(32),
        # The webmail logs in to Dovecot as this master user; only Schulhof knows it.
        "webmail_master_password": secrets.token_urlsafe(32),
        # Dovecot's login policy requests are salted with this nonce.
        "mail_policy_nonce": secrets.token_urlsafe(24),
    }


def load_secrets(config: Config) -> dict[str, str]:
    """Return the installation's secrets, generating the file on first use (mode 0600).
    Secrets added in later versions are appended to an existing file."""
    path = config.secrets_path
    if path.is_file():
        data = {str(k): str(v) for k, v in tomllib.loads(path.read_text("utf-8")).items()}
        if all(key in data for key in _generated_secrets()):
            return data
        # Two processes may start at once: append under a lock, after reading again.
        with path.open("a+", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            handle.seek(0)
            data = {str(k): str(v) for k, v in tomllib.loads(handle.read()).items()}
            missing = {k: v for k, v in _generated_secrets().items() if k not in data}
            handle.write("".join('%s = "%s"\n' % item for item in missing.items()))
            data.update(missing)
        return data
    path.parent.mkdir(parents=True, exist_ok=True)
    generated = _generated_secrets()
    text = "".join('%s = "%s"\n' % (key, value) for key, value in generated.items())
    # O_EXCL: two processes starting at once must not write two different keys.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return load_secrets(config)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("# Generated by Schulhof on first run. Keep private; never commit.\n")
        handle.write(text)
    return generated

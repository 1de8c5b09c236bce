"""The generated configs (the servers themselves are tested in test_stack and the others)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from django.conf import settings

from schulhof.mail.conf import mail_conf_from
from schulhof.mail.servers import dovecot, postfix


def conf_for(tmp_path: Path, **overrides: object) -> object:
    return mail_conf_from(
        dataclasses.replace(settings.SCHULHOF_CONFIG, data_dir=tmp_path, **overrides)
    )


def test_postgres_connect_string() -> None:
    driver, connect = dovecot.sql_connect(
        {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "schulhof",
            "HOST": "db.local",
            "PORT": 5433,
            "USER": "schulhof",
            "PASSWORD": "ge heim",
        }
    )
    assert driver == "pgsql"
    assert connect == "host=db.local port=5433 dbname=schulhof user=schulhof password=ge\\ heim"


def test_unsafe_values_are_refused() -> None:
    with pytest.raises(ValueError):
        dovecot.sql_connect({"ENGINE": "django.db.backends.sqlite3", "NAME": "/tmp/a'b"})
    with pytest.raises(ValueError):
        dovecot.sql_connect({"ENGINE": "django.db.backends.mysql", "NAME": "x"})


def test_smarthost_with_login(tmp_path: Path) -> None:
    conf = conf_for(
        tmp_path, smarthost="smtp.provider.de:587", smarthost_user="u", smarthost_password="p"
    )
    main = postfix.render_main(conf, config_dir=tmp_path, spool=tmp_path, log_dir=tmp_path)  # type: ignore[arg-type]
    assert "relayhost = [smtp.provider.de]:587" in main
    assert "smtp_sasl_auth_enable = yes" in main
    assert "smtp_tls_security_level = encrypt" in main
    assert postfix.render_smarthost_password(conf) == "[smtp.provider.de]:587 u:p\n"  # type: ignore[arg-type]


def test_direct_delivery_and_dev_ports(tmp_path: Path) -> None:
    conf = conf_for(tmp_path)
    main = postfix.render_main(conf, config_dir=tmp_path, spool=tmp_path, log_dir=tmp_path)  # type: ignore[arg-type]
    assert "relayhost" not in main
    master = postfix.render_master(conf)  # type: ignore[arg-type]
    assert master.startswith("# Generated")
    assert "127.0.0.1:2525 inet" in master and "127.0.0.1:1587 inet" in master
    assert "smtpd_tls_auth_only=yes" in master


def test_master_user_only_from_loopback() -> None:
    line = dovecot.master_users_line("secret")
    assert line.startswith("schulhof-webmail:{SSHA512}")
    assert "allow_nets=127.0.0.1/32,::1/128" in line
    assert "secret" not in line


def test_long_data_folders_get_a_short_socket_folder(tmp_path: Path) -> None:
    short = conf_for(Path("/srv/s"))
    assert dovecot.base_dir(short) == Path("/srv/s/mail/run/dovecot")  # type: ignore[arg-type]
    long = conf_for(tmp_path / ("x" * 80))
    base = dovecot.base_dir(long)  # type: ignore[arg-type]
    assert base.name.startswith("schulhof-dovecot-") and len(str(base)) < 60

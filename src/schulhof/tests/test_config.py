import stat
from pathlib import Path

import pytest

from schulhof.config import ConfigError, load_config, load_secrets


def test_defaults(tmp_path):
    config = load_config({}, base_dir=tmp_path)
    assert config.bind == "127.0.0.1"
    assert config.web_port == 8000
    assert config.data_dir == tmp_path / "var"
    assert config.database_url == ""
    assert config.base_url == "http://127.0.0.1:8000"


def test_toml_file_then_environment_override(tmp_path):
    path = tmp_path / "schulhof.toml"
    path.write_text(
        '[server]\nweb_port = 9000\nbind = "0.0.0.0"\npublic_url = "https://portal.schule.de/"\n'
        '[paths]\ndata_dir = "/srv/schulhof"\n',
        encoding="utf-8",
    )
    config = load_config(
        {"SCHULHOF_CONFIG": str(path), "SCHULHOF_WEB_PORT": "9100"}, base_dir=tmp_path
    )
    assert config.web_port == 9100
    assert config.bind == "0.0.0.0"
    assert str(config.data_dir) == "/srv/schulhof"
    assert config.base_url == "https://portal.schule.de"


def test_database_url_from_environment(tmp_path):
    config = load_config({"DATABASE_URL": "postgresql://u:p@db/schulhof"}, base_dir=tmp_path)
    assert config.database_url == "postgresql://u:p@db/schulhof"


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[server]\nweb_prot = 1\n", "unknown setting"),
        ("[paths]\nweb_port = 1\n", "unknown setting"),
        ("[server]\nweb_port = 70000\n", "between 1 and 65535"),
        ('[server]\nweb_port = "acht"\n', "Invalid value"),
        ("web_port = 1\n", "must be a [section]"),
        ("[server\n", "Cannot read"),
    ],
)
def test_invalid_files_are_refused_with_a_reason(tmp_path, toml, message):
    path = tmp_path / "schulhof.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError, match=message.replace("[", r"\[")):
        load_config({"SCHULHOF_CONFIG": str(path)}, base_dir=tmp_path)


def test_invalid_environment_value(tmp_path):
    with pytest.raises(ConfigError, match="SCHULHOF_DEBUG"):
        load_config({"SCHULHOF_DEBUG": "vielleicht"}, base_dir=tmp_path)


def test_missing_explicit_config_file(tmp_path):
    with pytest.raises(ConfigError, match="missing file"):
        load_config({"SCHULHOF_CONFIG": str(tmp_path / "nope.toml")}, base_dir=tmp_path)


def test_secrets_generated_once_with_private_mode(tmp_path):
    config = load_config({"SCHULHOF_DATA_DIR": str(tmp_path / "data")}, base_dir=tmp_path)
    first = load_secrets(config)
    second = load_secrets(config)
    assert first == second
    assert len(first["secret_key"]) >= 50
    mode = stat.S_IMODE(config.secrets_path.stat().st_mode)
    assert mode == 0o600


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SCHULHOF_MAIL_HOSTNAME", "mail.schule.de\nmydestination = x"),
        ("SCHULHOF_MAIL_HOSTNAME", "nicht gültig"),
        ("SCHULHOF_SMARTHOST_PASSWORD", "geheim\nrelayhost = böse"),
        ("SCHULHOF_SMARTHOST", "smtp.example.org 587"),
    ],
)
def test_mail_values_that_would_break_the_generated_configs(
    tmp_path: Path, name: str, value: str
) -> None:
    with pytest.raises(ConfigError):
        load_config({name: value}, base_dir=tmp_path)

import os
import subprocess
import sys
import tempfile

import pytest

DATA_DIR = tempfile.mkdtemp(prefix="schulhof-cli-test-")


def schulhof(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["SCHULHOF_DATA_DIR"] = DATA_DIR
    return subprocess.run(
        [sys.executable, "-m", "schulhof", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


def test_help_lists_every_subcommand():
    result = schulhof("--help")
    assert result.returncode == 0
    for command in ("run", "demo", "check", "manage", "user-add", "issue-first-password"):
        assert command in result.stdout


@pytest.mark.parametrize(
    "command",
    [
        "run",
        "worker",
        "demo",
        "setup",
        "check",
        "user-add",
        "issue-first-password",
        "set-password",
        "user-lock",
    ],
)
def test_every_subcommand_has_help(command):
    result = schulhof(command, "--help")
    assert result.returncode == 0, result.stderr
    assert "usage" in result.stdout.lower()


def test_no_command_prints_help_and_fails():
    result = schulhof()
    assert result.returncode == 2
    assert "COMMAND" in result.stdout

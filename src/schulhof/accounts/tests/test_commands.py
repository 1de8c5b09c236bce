import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from schulhof.accounts.authentication import Outcome, authenticate
from schulhof.accounts.models import Status, User
from schulhof.accounts.tests.factories import GroupFactory

pytestmark = pytest.mark.django_db


def run(*args, stdin=""):
    out = io.StringIO()
    import sys

    old = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        call_command(*args, stdout=out)
    finally:
        sys.stdin = old
    return out.getvalue()


def test_user_add_json():
    GroupFactory(name="5a", slug="5a", klasse=True)
    out = run(
        "user_add",
        "--first-name",
        "Zoë",
        "--last-name",
        "Dubois",
        "--role",
        "pupil",
        "--group",
        "5a",
        "--json",
    )
    data = json.loads(out)
    assert data["username"] == "zoe.dubois"
    assert data["email"] == "zoe.dubois@schule.test"
    assert len(data["first_password"]) == 6 and data["first_password"].isdigit()
    user = User.objects.get(username="zoe.dubois")
    assert user.memberships_groups.filter(slug="5a").exists()
    run("consent", "zoe.dubois", "--kuerzel", "MÜL")
    assert authenticate("zoe.dubois", data["first_password"], protocol="web").must_change_password


def test_user_add_unknown_group_writes_nothing():
    with pytest.raises(CommandError, match="No group"):
        run("user_add", "--first-name", "A", "--last-name", "B", "--role", "pupil", "--group", "9z")
    assert not User.objects.people().exists()


def test_issue_first_password_and_set_password(pupil):
    data = json.loads(run("issue_first_password", "paul.pupil", "--json"))
    assert authenticate("paul.pupil", data["first_password"], protocol="web").ok
    with pytest.raises(CommandError, match="zu kurz"):
        run("set_password", "paul.pupil", stdin="kurz\n")
    out = run("set_password", "paul.pupil", stdin="Ein-sehr-gutes-Passwort-99\n")
    assert "set" in out
    pupil.refresh_from_db()
    assert not pupil.first_password_pending
    assert authenticate("paul.pupil", "Ein-sehr-gutes-Passwort-99", protocol="imap").ok


def test_user_lock_until(pupil):
    until = (timezone.localdate() + timedelta(days=5)).isoformat()
    run("user_lock", "paul.pupil", "--until", until, "--reason", "Regelverstoß")
    pupil.refresh_from_db()
    assert pupil.status == Status.LOCKED and pupil.locked_until is not None
    assert authenticate("paul.pupil", "Richtig-Gutes-Passwort-42", protocol="web").outcome == (
        Outcome.LOCKED
    )
    with pytest.raises(CommandError, match="future"):
        run("user_lock", "paul.pupil", "--until", "2000-01-01")
    with pytest.raises(CommandError, match="No user"):
        run("user_lock", "nobody.here")

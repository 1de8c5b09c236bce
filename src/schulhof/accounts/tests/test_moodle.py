import csv
import io

import pytest
from django.core.management import call_command

from schulhof.accounts.models import Status
from schulhof.accounts.moodle import cohort_id, moodle_csv
from schulhof.accounts.tests.factories import make_user

pytestmark = pytest.mark.django_db


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_cohort_ids_never_look_like_numbers():
    assert cohort_id("5a") == "klasse-5a"
    assert cohort_id("10") == "klasse-10"
    assert cohort_id("Q1 Kurs") == "klasse-Q1-Kurs"
    assert cohort_id("") == ""


def test_csv_in_moodles_upload_format():
    make_user(pupil=True, username="zoe.dubois", first_name="Zoë", last_name="Dubois", klasse="10")
    make_user(
        pupil=True,
        username="anna-lena.mueller",
        first_name='Anna-Lena, genannt "Lenchen"',
        last_name="Müller",
        klasse="5a",
    )
    make_user(
        teacher=True,
        username="jan-peter.vries",
        first_name="Jan-Peter",
        last_name="Vries",
        name_particle="de",
        klasse="5a",
    )
    make_user(pupil=True, username="lea.weg", status=Status.LEFT, klasse="5a")
    make_user(staff=True, username="monika.schreiber")
    text = moodle_csv()
    assert text.startswith("username,firstname,lastname,email,cohort1\n")
    parsed = rows(text)
    by_name = {row["username"]: row for row in parsed}
    assert set(by_name) == {"zoe.dubois", "anna-lena.mueller", "jan-peter.vries"}
    assert by_name["zoe.dubois"] == {
        "username": "zoe.dubois",
        "firstname": "Zoë",
        "lastname": "Dubois",
        "email": "zoe.dubois@schule.test",
        "cohort1": "klasse-10",
    }
    # Commas and quotes survive through proper quoting.
    assert by_name["anna-lena.mueller"]["firstname"] == 'Anna-Lena, genannt "Lenchen"'
    assert '"Anna-Lena, genannt ""Lenchen"""' in text
    # Teachers have no class cohort; the name particle belongs to the last name.
    assert by_name["jan-peter.vries"]["lastname"] == "de Vries"
    assert by_name["jan-peter.vries"]["cohort1"] == ""


def test_cli_writes_utf8_file(tmp_path):
    make_user(
        pupil=True, username="emre.oeztuerk", first_name="Emre", last_name="Öztürk", klasse="5a"
    )
    target = tmp_path / "moodle.csv"
    call_command("moodle_export", "--output", str(target), stderr=io.StringIO())
    data = target.read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")
    assert "Öztürk".encode() in data
    out = io.StringIO()
    call_command("moodle_export", stdout=out)
    assert out.getvalue() == data.decode("utf-8")

import io
from datetime import date, timedelta

import pytest
from django.utils import timezone
from pypdf import PdfReader

from schulhof.accounts import letters
from schulhof.accounts.letters import CredentialLetter, credential_letters_pdf, letter_for
from schulhof.accounts.models import Membership
from schulhof.accounts.tests.factories import GroupFactory, make_user
from schulhof.core.models import SchoolSettings


def make_letter(**overrides):
    values = {
        "school_name": "Gesamtschule Am Rhein",
        "full_name": "Łukasz Kowalski",
        "username": "lukasz.kowalski",
        "first_password": "038417",
        "portal_url": "https://portal.gesamtschule-am-rhein.de",
        "class_name": "5a",
        "issued_on": date(2026, 2, 3),
        "valid_until": date(2026, 2, 17),
        "issuer_kuerzel": "MÜL",
    }
    values.update(overrides)
    return CredentialLetter(**values)


def pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def test_letter_text_is_extractable():
    pdf = credential_letters_pdf([make_letter()])
    assert pdf.startswith(b"%PDF")
    (text,) = pages_text(pdf)
    for expected in (
        "lukasz.kowalski",
        "038417",
        "Łukasz Kowalski",
        "Ihre Zugangsdaten für Gesamtschule Am",
        "https://portal.gesamtschule-am-rhein.de",
        "Klasse 5a",
        "So melden Sie sich zum ersten Mal an",
        "bis zum 17.02.2026",
        "Ausgestellt am 03.02.2026 von MÜL",
    ):
        assert expected in text, expected


@pytest.mark.parametrize(
    ("full_name", "username"),
    [
        ("Şükrü Yılmaz", "suekrue.yilmaz"),
        ("Nguyễn Thị Hương", "thi-huong.nguyen"),
        ("Αλέξανδρος Παπαδόπουλος", "alexandros.papadopoulos"),
        ("Мария Иванова", "mariya.ivanova"),
    ],
)
def test_names_in_any_script_render_as_text(full_name, username):
    (text,) = pages_text(
        credential_letters_pdf([make_letter(full_name=full_name, username=username)])
    )
    assert full_name in text
    assert username in text


def test_batch_has_one_page_per_letter_in_order():
    batch = [
        make_letter(
            full_name="Łukasz Kowalski", username="lukasz.kowalski", first_password="111111"
        ),
        make_letter(full_name="Şükrü Yılmaz", username="suekrue.yilmaz", first_password="222222"),
        make_letter(full_name="Nguyễn Thị Hương", username="huong.nguyen", first_password="333333"),
    ]
    pdf = credential_letters_pdf(batch)
    texts = pages_text(pdf)
    assert len(texts) == 3
    for letter, text in zip(batch, texts, strict=True):
        assert letter.full_name in text
        assert letter.username in text
        assert letter.first_password in text
    assert PdfReader(io.BytesIO(pdf)).metadata.title == "Zugangsdaten (3 Briefe)"


def test_single_letter_has_a_title_and_no_expiry_line_without_date():
    pdf = credential_letters_pdf([make_letter(valid_until=None, class_name="")])
    assert PdfReader(io.BytesIO(pdf)).metadata.title == "Zugangsdaten für Łukasz Kowalski"
    (text,) = pages_text(pdf)
    assert "bis zum" not in text
    assert "Klasse" not in text


def test_no_letters_is_an_error():
    with pytest.raises(ValueError):
        credential_letters_pdf([])


def test_missing_font_names_the_package(monkeypatch, tmp_path):
    monkeypatch.setattr(letters, "FONT_DIR", tmp_path)
    monkeypatch.setattr(letters, "_FONT_FILES", {"SchulhofTestMissing": "DejaVuSans.ttf"})
    with pytest.raises(RuntimeError, match="fonts-dejavu-core"):
        credential_letters_pdf([make_letter()])


@pytest.mark.django_db
def test_letter_for_fills_from_settings_class_and_issuer(settings):
    school = SchoolSettings.get()
    school.school_name = "Gymnasium Nord"
    school.portal_url = "https://portal.gym-nord.de"
    school.save()
    pupil = make_user(pupil=True, first_name="Şükrü", last_name="Yılmaz", klasse="7b")
    Membership.objects.create(user=pupil, group=GroupFactory(name="7a", slug="7a", klasse=True))
    Membership.objects.create(user=pupil, group=GroupFactory(name="AG Chor", slug="ag-chor"))
    pupil.first_password_expires = timezone.now() + timedelta(days=14)
    teacher = make_user(teacher=True, kuerzel="MÜL")

    letter = letter_for(pupil, "123456", issuer=teacher)

    assert letter.school_name == "Gymnasium Nord"
    assert letter.full_name == "Şükrü Yılmaz"
    assert letter.username == pupil.username
    assert letter.first_password == "123456"
    assert letter.portal_url == "https://portal.gym-nord.de"
    assert letter.class_name == "7a"  # the first class by name
    assert letter.issued_on == timezone.localdate()
    assert letter.valid_until == timezone.localdate(pupil.first_password_expires)
    assert letter.issuer_kuerzel == "MÜL"


@pytest.mark.django_db
def test_letter_for_falls_back_to_base_url_and_initials(settings):
    settings.SCHULHOF_BASE_URL = "http://schulhof.example:8000"
    pupil = make_user(pupil=True)
    teacher = make_user(teacher=True, first_name="jan-peter", last_name="de Vries", kuerzel="")

    letter = letter_for(pupil, "123456", issuer=teacher)

    assert letter.portal_url == "http://schulhof.example:8000"
    assert letter.issuer_kuerzel == "JD"
    assert letter.class_name == ""
    assert letter.valid_until is None

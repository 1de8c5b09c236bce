import io
from datetime import date

import pytest
from pypdf import PdfReader

from schulhof.accounts.consent_pdf import (
    ConsentForm,
    consent_forms_pdf,
    default_policy_text,
    form_for,
    usage_policy_text,
)
from schulhof.accounts.tests.factories import make_user
from schulhof.core.models import SchoolSettings

GUARDIAN = "Unterschrift Erziehungsberechtigte(r)"
PUPIL = "Unterschrift Schüler/Schülerin"
TODAY = date(2026, 3, 10)


def pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def form(**overrides):
    values = {
        "school_name": "Lessing-Gymnasium Musterstadt",
        "class_name": "5a",
        "full_name": "Zoë Dubois",
        "username": "zoe.dubois",
        "guardian_line": True,
        "pupil_line": False,
    }
    values.update(overrides)
    return ConsentForm(**values)


def test_form_page_has_class_name_and_the_school_part():
    pdf = consent_forms_pdf([form()], policy_text=None)
    (text,) = pages_text(pdf)
    for expected in (
        "Einwilligung in die Nutzung von Schulhof",
        "Klasse:",
        "5a",
        "Zoë Dubois",
        "Vor- und Nachname",
        "Ort, Datum",
        "Von der Schule auszufüllen.",
        "Benutzername und Erstpasswort wurden an den Schüler / die Schülerin",
        "Kürzel",
        "zoe.dubois",
    ):
        assert expected in text, expected


@pytest.mark.parametrize(("guardian", "pupil"), [(True, False), (True, True), (False, True)])
def test_signature_lines_only_where_printed(guardian, pupil):
    pdf = consent_forms_pdf([form(guardian_line=guardian, pupil_line=pupil)], policy_text=None)
    (text,) = pages_text(pdf)
    assert (GUARDIAN in text) is guardian
    assert (PUPIL in text) is pupil
    assert ("Vollendung des 18. Lebensjahrs" in text) is guardian
    assert ("Vollendung des 15. Lebensjahrs" in text) is pupil


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("birth_date", "guardian", "pupil"),
    [
        (date(2012, 3, 10), True, False),  # 14
        (date(2011, 3, 30), True, True),  # 14, turns 15 within the return window
        (date(2011, 3, 10), True, True),  # 15
        (date(2008, 3, 11), True, True),  # 17
        (date(2008, 3, 10), False, True),  # 18
        (None, True, True),  # unknown
    ],
)
def test_form_lines_follow_the_age(birth_date, guardian, pupil):
    user = make_user(pupil=True, birth_date=birth_date)
    result = form_for(user, class_name="9b", school_name="X", today=TODAY)
    assert (result.guardian_line, result.pupil_line) == (guardian, pupil)


@pytest.mark.django_db
def test_class_pdf_has_the_usage_policy_before_each_form():
    school = SchoolSettings.get()
    school.school_name = "Gesamtschule Nord"
    school.mail_domain = "gesamtschule-nord.de"
    school.portal_url = "https://portal.gesamtschule-nord.de"
    school.save()
    policy = usage_policy_text()
    assert "IServ" not in policy
    assert "vorname.nachname@gesamtschule-nord.de" in policy
    assert "https://portal.gesamtschule-nord.de" in policy
    forms = [form(full_name="Leon Schmidt"), form(full_name="Ελένη Παπαδοπούλου")]
    texts = pages_text(consent_forms_pdf(forms, policy_text=policy))
    joined = "\n".join(texts)
    assert joined.count("Präambel") == 2
    assert "Ελένη Παπαδοπούλου" in joined
    form_pages = [i for i, text in enumerate(texts) if "Von der Schule auszufüllen" in text]
    assert len(form_pages) == 2
    # Each form comes after its policy pages; the first page is policy, not a form.
    assert form_pages[0] > 0 and "Präambel" in texts[0]
    assert "Präambel" in texts[form_pages[0] + 1]


@pytest.mark.django_db
def test_the_school_setting_replaces_the_default_policy():
    school = SchoolSettings.get()
    school.usage_policy_text = "# Unsere Regeln\n\nSei nett zu {schule}."
    school.school_name = "Gesamtschule Nord"
    school.save()
    text = usage_policy_text()
    assert text == "# Unsere Regeln\n\nSei nett zu Gesamtschule Nord."
    pages = pages_text(consent_forms_pdf([form()], policy_text=text))
    assert "Unsere Regeln" in pages[0] and "#" not in pages[0]
    assert "Präambel" not in "\n".join(pages)


def test_default_policy_names_schulhof_not_iserv():
    text = default_policy_text()
    assert "IServ" not in text
    assert "Schulhof" in text and "Einige Wochen nach Beendigung der Schullaufbahn" in text


def test_no_forms_is_an_error():
    with pytest.raises(ValueError):
        consent_forms_pdf([], policy_text=None)

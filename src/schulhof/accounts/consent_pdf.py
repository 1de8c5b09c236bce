"""The consent form "Einwilligung in die Nutzung" per pupil, after the school's usage policy.

One PDF per class: for each pupil the usage policy (the information sheet the family keeps)
and then the form with class and name filled in. The signature lines follow the age: the
guardians' line for pupils under 18, the pupil's own line from 15 (also when the pupil turns
15 within :data:`RETURN_WINDOW_DAYS`, so that a form returned after the birthday is
complete). Fonts and colours are those of the credential letters.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from schulhof.accounts.consent import signature_rule
from schulhof.accounts.letters import (
    BOX_BACKGROUND,
    BRAND,
    MARGIN_X,
    MUTED,
    SANS,
    SANS_BOLD,
    _register_fonts,
)
from schulhof.accounts.models import User
from schulhof.core.models import SchoolSettings

DEFAULT_POLICY_FILE = Path(__file__).parent / "data" / "nutzungsordnung.txt"
#: A form is usually returned within a few weeks: the pupil's line is printed when they turn
#: 15 within this many days.
RETURN_WINDOW_DAYS = 30
CONTENT_WIDTH = A4[0] - 2 * MARGIN_X


@dataclass(frozen=True)
class ConsentForm:
    """What one pupil's form says."""

    school_name: str
    class_name: str
    full_name: str
    username: str
    guardian_line: bool
    pupil_line: bool


def form_for(user: User, *, class_name: str, school_name: str, today: date) -> ConsentForm:
    now = signature_rule(user, today)
    soon = signature_rule(user, today + timedelta(days=RETURN_WINDOW_DAYS))
    return ConsentForm(
        school_name=school_name,
        class_name=class_name,
        full_name=user.full_name,
        username=user.username,
        guardian_line=now.show_guardian,
        pupil_line=now.show_pupil or soon.pupil_required,
    )


@cache
def default_policy_text() -> str:
    return DEFAULT_POLICY_FILE.read_text(encoding="utf-8")


def usage_policy_text(school: SchoolSettings | None = None) -> str:
    """The school's usage policy (the setting, else the one shipped with Schulhof) with
    ``{schule}``, ``{portal}`` and ``{domain}`` filled in."""
    school = school or SchoolSettings.get()
    text = school.usage_policy_text.strip() or default_policy_text()
    replacements = {
        "{schule}": school.school_name,
        "{portal}": school.portal_url or settings.SCHULHOF_BASE_URL,
        "{domain}": school.mail_domain,
    }
    for token, value in replacements.items():
        text = text.replace(token, value)
    return text


class _Styles:
    def __init__(self) -> None:
        base = ParagraphStyle("base", fontName=SANS, fontSize=10, leading=13.5)
        self.base = base
        self.policy = ParagraphStyle("policy", parent=base, fontSize=9.5, leading=13, spaceAfter=5)
        self.school = ParagraphStyle("school", parent=base, fontName=SANS_BOLD, textColor=BRAND)
        self.title = ParagraphStyle(
            "title", parent=base, fontName=SANS_BOLD, fontSize=17, leading=22, spaceAfter=4 * mm
        )
        self.h2 = ParagraphStyle(
            "h2",
            parent=base,
            fontName=SANS_BOLD,
            fontSize=12,
            leading=16,
            spaceBefore=3 * mm,
            spaceAfter=1.5 * mm,
        )
        self.h3 = ParagraphStyle(
            "h3",
            parent=base,
            fontName=SANS_BOLD,
            fontSize=10.5,
            leading=14,
            spaceBefore=2 * mm,
            spaceAfter=1 * mm,
        )
        self.label = ParagraphStyle("label", parent=base, fontSize=9, textColor=MUTED)
        self.field = ParagraphStyle("field", parent=base, fontName=SANS_BOLD, fontSize=13)
        self.note = ParagraphStyle("note", parent=base, fontSize=8.5, leading=11, textColor=MUTED)


def policy_flowables(text: str, styles: _Styles) -> list[Flowable]:
    """Plain text to paragraphs: blank lines separate paragraphs, lines starting with ``#``,
    ``##`` or ``###`` are headings."""
    story: list[Flowable] = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = [line.rstrip() for line in block.strip().splitlines()]
        if not lines:
            continue
        heading = re.match(r"^(#{1,3})\s+(.*)$", lines[0])
        if heading and len(lines) == 1:
            style = {1: styles.title, 2: styles.h2, 3: styles.h3}[len(heading.group(1))]
            story.append(Paragraph(escape(heading.group(2)), style))
            continue
        story.append(Paragraph("<br/>".join(escape(line) for line in lines), styles.policy))
    return story


def _filled_field(label: str, value: str, caption: str, styles: _Styles) -> Table:
    """ "Klasse: 5a" with the value on an underline, as on the paper form."""
    rows = [[Paragraph(escape(label), styles.base), Paragraph(escape(value), styles.field)]]
    if caption:
        rows.append(["", Paragraph(escape(caption), styles.label)])
    table = Table(rows, colWidths=[32 * mm, CONTENT_WIDTH - 32 * mm])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("LINEBELOW", (1, 0), (1, 0), 0.7, colors.black),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, 0), 2),
                ("TOPPADDING", (0, 1), (-1, 1), 1),
            ]
        )
    )
    return table


def _signature_line(caption: str, styles: _Styles, width: float) -> Table:
    table = Table(
        [[""], [Paragraph(caption, styles.label)]], colWidths=[width], rowHeights=[14 * mm, None]
    )
    table.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (0, 0), 0.7, colors.black),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 1), (0, 1), 1.5),
            ]
        )
    )
    table.hAlign = "LEFT"
    return table


def _school_box(form: ConsentForm, styles: _Styles) -> Table:
    rows = [
        [Paragraph(escape(_("Von der Schule auszufüllen.")), styles.h3)],
        [
            Paragraph(
                escape(
                    _(
                        "Benutzername und Erstpasswort wurden an den Schüler / die Schülerin "
                        "übergeben."
                    )
                ),
                styles.base,
            )
        ],
        [
            Paragraph(
                escape(_("Benutzername: %(username)s") % {"username": form.username}),
                styles.label,
            )
        ],
        [
            Paragraph(
                escape(_("Datum: ______________    Kürzel: ______________")),
                ParagraphStyle("blanks", parent=styles.base, leading=22),
            )
        ],
    ]
    table = Table(rows, colWidths=[CONTENT_WIDTH])
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), BOX_BACKGROUND),
                ("BOX", (0, 0), (-1, -1), 0.8, BRAND),
                ("LEFTPADDING", (0, 0), (-1, -1), 4 * mm),
                ("RIGHTPADDING", (0, 0), (-1, -1), 4 * mm),
                ("TOPPADDING", (0, 0), (0, 0), 3 * mm),
                ("BOTTOMPADDING", (0, -1), (0, -1), 3 * mm),
            ]
        )
    )
    return table


def form_flowables(form: ConsentForm, styles: _Styles) -> list[Flowable]:
    """The form page."""
    story: list[Flowable] = [
        Paragraph(escape(form.school_name), styles.school),
        Spacer(1, 8 * mm),
        Paragraph(escape(_("Einwilligung in die Nutzung von Schulhof")), styles.title),
        _filled_field(_("Klasse:"), form.class_name or "–", "", styles),
        Spacer(1, 4 * mm),
        _filled_field(_("Schüler/in:"), form.full_name, _("Vor- und Nachname"), styles),
        Spacer(1, 8 * mm),
        Paragraph(
            escape(
                _(
                    "Ich habe/wir haben die Nutzungsordnung der Schulplattform Schulhof "
                    "(%(school)s) gelesen. Ich erkläre mich/Wir erklären uns mit den darin "
                    "enthaltenen Nutzungsbedingungen einverstanden."
                )
                % {"school": form.school_name}
            ),
            styles.base,
        ),
        Spacer(1, 2 * mm),
        _signature_line(escape(_("Ort, Datum")), styles, 80 * mm),
    ]
    footnotes: list[str] = []
    if form.guardian_line:
        footnotes.append(_("bei Schülerinnen und Schülern bis zur Vollendung des 18. Lebensjahrs"))
        story.append(
            _signature_line(
                "%s<super>%d</super>"
                % (escape(_("Unterschrift Erziehungsberechtigte(r)")), len(footnotes)),
                styles,
                140 * mm,
            )
        )
    if form.pupil_line:
        footnotes.append(_("bei Schülerinnen und Schülern ab Vollendung des 15. Lebensjahrs"))
        story.append(
            _signature_line(
                "%s<super>%d</super>"
                % (escape(_("Unterschrift Schüler/Schülerin")), len(footnotes)),
                styles,
                120 * mm,
            )
        )
    story += [Spacer(1, 10 * mm), _school_box(form, styles), Spacer(1, 8 * mm)]
    story.append(
        KeepTogether(
            [
                Paragraph("<super>%d</super> %s" % (number, escape(text)), styles.note)
                for number, text in enumerate(footnotes, start=1)
            ]
        )
    )
    return story


def consent_forms_pdf(forms: Sequence[ConsentForm], *, policy_text: str | None) -> bytes:
    """For each form: the usage policy (unless ``policy_text`` is None), then the form on a
    page of its own."""
    if not forms:
        raise ValueError("no forms to print")
    _register_fonts()
    styles = _Styles()
    buffer = io.BytesIO()
    if len(forms) == 1:
        title = _("Einwilligung für %(name)s") % {"name": forms[0].full_name}
    else:
        title = _("Einwilligungen Klasse %(name)s") % {"name": forms[0].class_name}
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=title,
        author=forms[0].school_name,
        subject=_("Einwilligung in die Nutzung"),
        creator="Schulhof",
        lang="de-DE",
    )
    story: list[Flowable] = []
    for index, form in enumerate(forms):
        if index:
            story.append(PageBreak())
        if policy_text is not None:
            story += policy_flowables(policy_text, styles)
            story.append(PageBreak())
        story += form_flowables(form, styles)
    document.build(story)
    return buffer.getvalue()

"""Credential letters: one A4 page per person with username, first password and first steps.

The PDF is built in memory (no temporary files) with reportlab. Every piece of text is real
text in embedded DejaVu fonts, so names in any script render and a PDF text extractor (or a
screen reader) finds username and password. Nothing here stores or logs a password.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
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

from schulhof.accounts.models import Group, GroupKind, User
from schulhof.accounts.passwords import PASSWORD_TIP
from schulhof.core.models import SchoolSettings

#: Where Debian's fonts-dejavu-core puts the fonts (DejaVu covers Latin, Greek and Cyrillic).
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_PACKAGE = "fonts-dejavu-core"
SANS = "SchulhofSans"
SANS_BOLD = "SchulhofSans-Bold"
MONO = "SchulhofMono"
_FONT_FILES = {
    SANS: "DejaVuSans.ttf",
    SANS_BOLD: "DejaVuSans-Bold.ttf",
    MONO: "DejaVuSansMono.ttf",
}

MARGIN_X = 20 * mm
FOOTER_Y = 14 * mm
BRAND = colors.HexColor("#0b5c6b")
MUTED = colors.HexColor("#4f5d63")
BOX_BACKGROUND = colors.HexColor("#e3f1f3")


@dataclass(frozen=True)
class CredentialLetter:
    """What one letter says. ``valid_until`` is None when the first password does not expire."""

    school_name: str
    full_name: str
    username: str
    first_password: str
    portal_url: str
    class_name: str
    issued_on: date
    valid_until: date | None
    issuer_kuerzel: str


def _register_fonts() -> None:
    """Register the DejaVu fonts once per process; a clear error names the missing package."""
    registered = pdfmetrics.getRegisteredFontNames()
    for name, filename in _FONT_FILES.items():
        if name in registered:
            continue
        path = FONT_DIR / filename
        if not path.is_file():
            raise RuntimeError(
                "Font %s is missing: install the Debian package %s (apt-get install %s)."
                % (path, FONT_PACKAGE, FONT_PACKAGE)
            )
        pdfmetrics.registerFont(TTFont(name, str(path)))
    pdfmetrics.registerFontFamily(SANS, normal=SANS, bold=SANS_BOLD, italic=SANS, boldItalic=SANS)


def _date(value: date) -> str:
    return value.strftime("%d.%m.%Y")


class _Styles:
    def __init__(self) -> None:
        base = ParagraphStyle(
            "base", fontName=SANS, fontSize=10.5, leading=14.5, textColor=colors.black
        )
        self.base = base
        self.school = ParagraphStyle("school", parent=base, fontName=SANS_BOLD, textColor=BRAND)
        self.heading = ParagraphStyle(
            "heading", parent=base, fontName=SANS_BOLD, fontSize=19, leading=24, spaceAfter=4 * mm
        )
        self.name = ParagraphStyle("name", parent=base, fontName=SANS_BOLD, fontSize=14, leading=18)
        self.class_name = ParagraphStyle("class", parent=base, fontSize=11.5, textColor=MUTED)
        self.label = ParagraphStyle("label", parent=base, fontSize=9.5, textColor=MUTED)
        self.username = ParagraphStyle(
            "username", parent=base, fontName=MONO, fontSize=15, leading=19
        )
        self.password = ParagraphStyle(
            "password", parent=base, fontName=MONO, fontSize=30, leading=36
        )
        self.url = ParagraphStyle("url", parent=base, fontName=MONO, fontSize=11.5, leading=15)
        self.subheading = ParagraphStyle(
            "subheading",
            parent=base,
            fontName=SANS_BOLD,
            fontSize=13,
            leading=17,
            spaceAfter=2 * mm,
        )
        self.step = ParagraphStyle(
            "step",
            parent=base,
            leftIndent=7 * mm,
            bulletIndent=0,
            bulletFontName=SANS_BOLD,
            spaceAfter=2 * mm,
            alignment=TA_LEFT,
        )
        self.note = ParagraphStyle("note", parent=base, fontSize=10, leading=14)
        self.footer = ParagraphStyle("footer", parent=base, fontSize=9.5, textColor=MUTED)


class _PageFooter(Flowable):
    """The issue line at the foot of the page it ends, wherever the text above it stops."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
        self.line_width = 0.0

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.line_width = available_width
        return (0, 0)

    def draw(self) -> None:
        canvas = self.canv
        # The canvas is translated to this flowable's position (the text's left edge); the
        # line goes to a fixed height above the page's bottom edge.
        _origin_x, origin_y = canvas.absolutePosition(0, 0)
        left, right, bottom = 0, self.line_width, FOOTER_Y - origin_y
        canvas.saveState()
        canvas.setStrokeColor(MUTED)
        canvas.setLineWidth(0.6)
        canvas.line(left, bottom + 5 * mm, right, bottom + 5 * mm)
        canvas.setFillColor(MUTED)
        canvas.setFont(SANS, 9.5)
        canvas.drawString(left, bottom, self.text)
        canvas.restoreState()


def _credentials_box(letter: CredentialLetter, styles: _Styles) -> Table:
    rows = [
        [Paragraph(escape(_("Benutzername")), styles.label)],
        [Paragraph(escape(letter.username), styles.username)],
        [Paragraph(escape(_("Erstpasswort")), styles.label)],
        [Paragraph(escape(letter.first_password), styles.password)],
        [Paragraph(escape(_("Adresse des Portals")), styles.label)],
        [Paragraph(escape(letter.portal_url), styles.url)],
    ]
    table = Table(rows, colWidths=[A4[0] - 2 * MARGIN_X - 2])
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), BOX_BACKGROUND),
                ("BOX", (0, 0), (-1, -1), 1.2, BRAND),
                ("LEFTPADDING", (0, 0), (-1, -1), 5 * mm),
                ("RIGHTPADDING", (0, 0), (-1, -1), 5 * mm),
                ("TOPPADDING", (0, 0), (-1, -1), 0.6 * mm),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0.6 * mm),
                ("TOPPADDING", (0, 0), (0, 0), 4 * mm),
                ("BOTTOMPADDING", (0, 1), (0, 1), 3 * mm),
                ("BOTTOMPADDING", (0, 3), (0, 3), 3 * mm),
                ("BOTTOMPADDING", (0, -1), (0, -1), 4 * mm),
            ]
        )
    )
    return table


def _letter_story(letter: CredentialLetter, styles: _Styles) -> list[Flowable]:
    story: list[Flowable] = [
        Paragraph(escape(letter.school_name), styles.school),
        Spacer(1, 10 * mm),
        Paragraph(
            escape(_("Ihre Zugangsdaten für %(school)s") % {"school": letter.school_name}),
            styles.heading,
        ),
        Paragraph(escape(letter.full_name), styles.name),
    ]
    if letter.class_name:
        story.append(
            Paragraph(escape(_("Klasse %(name)s") % {"name": letter.class_name}), styles.class_name)
        )
    story += [Spacer(1, 6 * mm), _credentials_box(letter, styles), Spacer(1, 8 * mm)]

    if letter.valid_until is not None:
        validity = _(
            "Wählen Sie sofort ein eigenes Passwort. Das Erstpasswort gilt nur für die erste "
            "Anmeldung und bis zum %(date)s."
        ) % {"date": _date(letter.valid_until)}
    else:
        validity = _(
            "Wählen Sie sofort ein eigenes Passwort. Das Erstpasswort gilt nur für die erste "
            "Anmeldung."
        )
    steps = [
        _("Öffnen Sie das Portal im Browser: %(url)s") % {"url": letter.portal_url},
        _("Geben Sie Ihren Benutzernamen und das Erstpasswort ein."),
        validity,
        str(PASSWORD_TIP),
    ]
    steps_block: list[Flowable] = [
        Paragraph(escape(_("So melden Sie sich zum ersten Mal an")), styles.subheading)
    ]
    steps_block += [
        Paragraph(escape(text), styles.step, bulletText="%d." % number)
        for number, text in enumerate(steps, start=1)
    ]
    story.append(KeepTogether(steps_block))
    story += [
        Spacer(1, 4 * mm),
        Paragraph(
            escape(
                _(
                    "Die App und E-Mail-Programme (zum Beispiel auf dem Handy) funktionieren erst, "
                    "nachdem Sie sich einmal im Browser angemeldet und ein eigenes Passwort "
                    "gewählt haben."
                )
            ),
            styles.note,
        ),
        Spacer(1, 3 * mm),
        Paragraph(
            escape(
                _(
                    "Geben Sie Ihr Passwort niemandem weiter. Wenn Sie vermuten, dass jemand es "
                    "kennt, ändern Sie es sofort im Portal."
                )
            ),
            styles.note,
        ),
        _PageFooter(
            _("Ausgestellt am %(date)s von %(kuerzel)s")
            % {"date": _date(letter.issued_on), "kuerzel": letter.issuer_kuerzel}
        ),
    ]
    return story


def credential_letters_pdf(letters: Sequence[CredentialLetter]) -> bytes:
    """One A4 page per letter, in the given order, as PDF bytes."""
    if not letters:
        raise ValueError("no letters to print")
    _register_fonts()
    styles = _Styles()
    buffer = io.BytesIO()
    school_name = letters[0].school_name
    if len(letters) == 1:
        title = _("Zugangsdaten für %(name)s") % {"name": letters[0].full_name}
    else:
        title = _("Zugangsdaten (%(count)d Briefe)") % {"count": len(letters)}
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=20 * mm,
        bottomMargin=24 * mm,
        title=title,
        author=school_name,
        subject=_("Zugangsdaten für das Schulportal"),
        creator="Schulhof",
        lang="de-DE",
    )
    story: list[Flowable] = []
    for index, letter in enumerate(letters):
        if index:
            story.append(PageBreak())
        story += _letter_story(letter, styles)
    document.build(story)
    return buffer.getvalue()


def _initials(user: User) -> str:
    return ("%s%s" % (user.first_name[:1], user.last_name[:1])).upper()


def portal_url() -> str:
    """The portal address users are told: the school's setting, else the server's own."""
    return SchoolSettings.get().portal_url or settings.SCHULHOF_BASE_URL


def letter_for(user: User, first_password: str, *, issuer: User) -> CredentialLetter:
    """The letter for ``user`` with the password just issued, signed with the issuer's Kürzel
    (or initials when they have none)."""
    school = SchoolSettings.get()
    class_group = (
        Group.objects.filter(kind=GroupKind.CLASS, membership__user=user).order_by("name").first()
    )
    expires = user.first_password_expires
    return CredentialLetter(
        school_name=school.school_name,
        full_name=user.full_name,
        username=user.username,
        first_password=first_password,
        portal_url=school.portal_url or settings.SCHULHOF_BASE_URL,
        class_name=class_group.name if class_group else "",
        issued_on=timezone.localdate(),
        valid_until=timezone.localdate(expires) if expires else None,
        issuer_kuerzel=issuer.kuerzel or _initials(issuer),
    )


def issue_letters_pdf(pupils: Sequence[User], *, issuer: User) -> bytes:
    """Issue a new first password to each of ``pupils`` (through the action, audited) and
    return their credential letters as one PDF. One transaction: if the PDF cannot be built,
    no password has changed."""
    from django.db import transaction

    from schulhof.accounts.actions import do_issue_first_password

    letters: list[CredentialLetter] = []
    with transaction.atomic():
        for pupil in pupils:
            first_password = do_issue_first_password(pupil, acting_user=issuer)
            letters.append(letter_for(pupil, first_password, issuer=issuer))
        return credential_letters_pdf(letters)

"""Tables of the import: saved column mappings, stored previews, and old usernames.

Written only through ``schoolimport.actions``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from schulhof.accounts.models import Role


class ImportRole(models.TextChoices):
    """Who a file lists: pupils or teachers (staff and admins are never imported)."""

    PUPIL = Role.PUPIL.value, _("Schüler/innen")
    TEACHER = Role.TEACHER.value, _("Lehrkräfte")


class HeaderMode(models.TextChoices):
    AUTO = "auto", _("automatisch erkennen")
    YES = "yes", _("erste Zeile ist eine Kopfzeile")
    NO = "no", _("keine Kopfzeile")


class ImportProfile(models.Model):
    """A saved column mapping for exports of other software than SchILD-NRW.

    ``columns`` maps a field key of ``schoolimport.profiles.FIELDS`` to the column's heading
    (files with a heading row) or its number counted from 1 (files without one).
    """

    name = models.CharField(_("Name"), max_length=100, unique=True)
    source = models.SlugField(
        _("Quelle"),
        max_length=50,
        help_text=_(
            "Kurze Kennung der Herkunft, z. B. „magellan-schueler“. Personen werden über "
            "Quelle und Kennung wiedererkannt; ändern Sie die Quelle später nicht mehr."
        ),
    )
    role = models.CharField(_("Personen"), max_length=16, choices=ImportRole.choices)
    separator = models.CharField(_("Trennzeichen"), max_length=2, blank=True)
    encoding = models.CharField(_("Zeichenkodierung"), max_length=20, blank=True)
    header = models.CharField(
        _("Kopfzeile"), max_length=8, choices=HeaderMode.choices, default=HeaderMode.AUTO
    )
    columns = models.JSONField(_("Spalten"), default=dict)
    # Values of the status column that mean "has left" (comma separated, case-insensitive).
    left_values = models.CharField(
        _("Status-Werte für Abgang"), max_length=200, blank=True, default="8,9"
    )
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("Importprofil")
        verbose_name_plural = _("Importprofile")

    def __str__(self) -> str:
        return self.name


class RunStatus(models.TextChoices):
    PREVIEWED = "previewed", _("Vorschau")
    APPLIED = "applied", _("übernommen")
    DISCARDED = "discarded", _("verworfen")


class ImportRunQuerySet(models.QuerySet["ImportRun"]):
    def open(self) -> ImportRunQuerySet:
        return self.filter(status=RunStatus.PREVIEWED)

    def older_than(self, moment: Any) -> ImportRunQuerySet:
        return self.filter(created__lt=moment)


class ImportRun(models.Model):
    """One uploaded file and its preview. Applying uses exactly these bytes and options, and
    only if a fresh diff still equals the stored one (``fingerprint``)."""

    created = models.DateTimeField(default=timezone.now, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    status = models.CharField(
        max_length=16, choices=RunStatus.choices, default=RunStatus.PREVIEWED, db_index=True
    )
    filename = models.CharField(max_length=255)
    # The uploaded bytes; emptied once the run is applied or discarded (data minimisation).
    data = models.BinaryField(default=b"")
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    # "builtin:<key>" or "profile:<pk>", and the options the preview was made with.
    layout_key = models.CharField(max_length=60)
    layout_label = models.CharField(max_length=150)
    source = models.CharField(max_length=50)
    role = models.CharField(max_length=16, choices=ImportRole.choices)
    encoding = models.CharField(max_length=20, blank=True)
    full_import = models.BooleanField(default=True)
    preview = models.JSONField(default=dict)
    fingerprint = models.CharField(max_length=64)
    applied_at = models.DateTimeField(null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    result = models.JSONField(default=dict, blank=True)

    objects = ImportRunQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("Importlauf")
        verbose_name_plural = _("Importläufe")

    def __str__(self) -> str:
        return "%s (%s)" % (self.filename, self.status)

    @property
    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = self.preview.get("counts", {})
        return counts


class UsernameAlias(models.Model):
    """A username a person had before a name change. Their old mail address keeps working
    (the mail module delivers to aliases); the name itself is never issued again."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="username_aliases"
    )
    username = models.CharField(max_length=150, unique=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["username"]
        verbose_name = _("Früherer Benutzername")
        verbose_name_plural = _("Frühere Benutzernamen")

    def __str__(self) -> str:
        return self.username

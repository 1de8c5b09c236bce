"""Core tables: the audit log, the school's policy settings, the task queue and the scheduler."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from schulhof.core.audit import AuditEvent

GIB = 1024**3
domain_validator = RegexValidator(
    r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$",
    _(
        "Bitte eine Domain wie „schule.de“ angeben "
        "(nur Kleinbuchstaben, Ziffern, Punkte, Bindestriche)."
    ),
)


class AuditLogEntryQuerySet(models.QuerySet["AuditLogEntry"]):
    def older_than(self, cutoff: Any) -> AuditLogEntryQuerySet:
        return self.filter(created__lt=cutoff)

    def for_user(self, user: Any) -> AuditLogEntryQuerySet:
        return self.filter(models.Q(acting_user=user) | models.Q(modified_user=user))


class AuditLogEntry(models.Model):
    """One state change or security event. Written only by ``core.actions.log_event``."""

    created = models.DateTimeField(default=timezone.now, db_index=True)
    # A value of AuditEvent. Deliberately without ``choices``: modules add event types as they
    # grow, and a choices list would need a migration for each one. log_event validates.
    event_type = models.CharField(max_length=64, db_index=True)
    # Who did it: a person, or the explicit system actor for work nobody triggered by hand.
    acting_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    modified_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    modified_group = models.ForeignKey(
        "accounts.Group", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    client_address = models.GenericIPAddressField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)

    objects = AuditLogEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("Protokolleintrag")
        verbose_name_plural = _("Protokolleinträge")

    def __str__(self) -> str:
        return "%s %s" % (self.created.isoformat(), self.event_type)

    @property
    def event_label(self) -> str:
        """The event type's German description (the raw value if it is no longer known)."""
        try:
            return str(AuditEvent(self.event_type).label)
        except ValueError:
            return self.event_type


class SchoolSettings(models.Model):
    """The school's policy, one row, edited by admins in the portal."""

    school_name = models.CharField(_("Name der Schule"), max_length=200, default="Schulhof")
    mail_domain = models.CharField(
        _("E-Mail-Domain"),
        max_length=253,
        default="schule.test",
        validators=[domain_validator],
        help_text=_("Adressen haben die Form vorname.nachname@Domain."),
    )
    portal_url = models.CharField(
        _("Adresse des Portals"),
        max_length=300,
        blank=True,
        help_text=_("Wie Nutzer das Portal erreichen, z. B. https://portal.schule.de"),
    )
    quota_pupil_gib = models.PositiveIntegerField(
        _("Speicherplatz Schüler (GB)"), default=2, validators=[MinValueValidator(1)]
    )
    quota_teacher_gib = models.PositiveIntegerField(
        _("Speicherplatz Lehrkräfte (GB)"), default=10, validators=[MinValueValidator(1)]
    )
    quota_staff_gib = models.PositiveIntegerField(
        _("Speicherplatz Mitarbeitende (GB)"), default=10, validators=[MinValueValidator(1)]
    )
    leaver_grace_days = models.PositiveIntegerField(
        _("Löschfrist nach Abgang (Tage)"),
        default=42,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    first_password_valid_days = models.PositiveIntegerField(
        _("Gültigkeit von Erstpasswörtern (Tage)"),
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
    )
    strict_password_check = models.BooleanField(
        _("Passwörter gegen Wörterbuch und Muster prüfen"), default=True
    )
    consent_required = models.BooleanField(
        _("Schülerkonten erst nach erfasster Einwilligung nutzbar"), default=True
    )
    log_retention_months = models.PositiveIntegerField(
        _("Aufbewahrung von Protokollen (Monate)"),
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(24)],
    )
    max_upload_mib = models.PositiveIntegerField(
        _("Größte Datei beim Hochladen (MiB, 0 = unbegrenzt)"),
        default=4096,
        validators=[MaxValueValidator(1024 * 1024)],
        help_text=_("Gilt im Portal und im Netzlaufwerk (WebDAV)."),
    )
    trash_retention_days = models.PositiveIntegerField(
        _("Papierkorb automatisch leeren nach (Tagen)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    require_2fa_for_staff = models.BooleanField(
        _("Zwei-Faktor-Anmeldung für Verwaltung und Admins vorschreiben"), default=False
    )
    usage_policy_text = models.TextField(
        _("Nutzungsordnung"),
        blank=True,
        help_text=_(
            "Wird vor dem Einwilligungsformular gedruckt. Leer: die mitgelieferte Nutzungsordnung."
        ),
    )
    is_demo = models.BooleanField(default=False, editable=False)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("Schuleinstellungen")
        verbose_name_plural = _("Schuleinstellungen")

    def __str__(self) -> str:
        return self.school_name

    @classmethod
    def get(cls) -> SchoolSettings:
        """The single settings row, created with defaults on first use."""
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj

    def quota_bytes_for_role(self, role: str) -> int:
        gib = {
            "pupil": self.quota_pupil_gib,
            "teacher": self.quota_teacher_gib,
        }.get(role, self.quota_staff_gib)
        return gib * GIB


class TaskStatus(models.TextChoices):
    QUEUED = "queued", _("wartet")
    RUNNING = "running", _("läuft")
    DONE = "done", _("erledigt")
    FAILED = "failed", _("fehlgeschlagen")


class Task(models.Model):
    """A unit of background work in the database-backed queue (see ``core.tasks``)."""

    name = models.CharField(max_length=200, db_index=True)
    kwargs = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=16, choices=TaskStatus.choices, default=TaskStatus.QUEUED, db_index=True
    )
    run_after = models.DateTimeField(default=timezone.now, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=3)
    created = models.DateTimeField(default=timezone.now)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=200, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["run_after", "id"]

    def __str__(self) -> str:
        return "%s #%s (%s)" % (self.name, self.pk, self.status)


class PeriodicJobState(models.Model):
    """When each periodic job last ran and is due next; shared by all workers."""

    name = models.CharField(max_length=200, primary_key=True)
    last_run = models.DateTimeField(null=True, blank=True)
    next_run = models.DateTimeField()

    def __str__(self) -> str:
        return self.name


class WorkerHeartbeat(models.Model):
    """A worker process's sign of life; /healthz calls the worker dead when it is too old."""

    worker_id = models.CharField(max_length=200, primary_key=True)
    started = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return self.worker_id

"""The mail module's own tables: the sending limits and a log of sent messages for them.

Mailboxes, addresses and group lists are not stored here: they follow from accounts and
groups (see ``addresses``), and Dovecot reads users through the SQL view
``schulhof_mail_users`` (migration 0002).
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class MailPolicy(models.Model):
    """Sending limits per role, one row, edited by admins. Teachers, staff and admins share
    the higher limits; pupils have low ones by default (mass mail is forbidden)."""

    pupil_recipients_per_message = models.PositiveIntegerField(
        _("Schüler/innen: Empfänger je Nachricht"),
        default=20,
        validators=[MinValueValidator(1), MaxValueValidator(100000)],
    )
    pupil_recipients_per_hour = models.PositiveIntegerField(
        _("Schüler/innen: Empfänger je Stunde"),
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(1000000)],
    )
    staff_recipients_per_message = models.PositiveIntegerField(
        _("Lehrkräfte und Mitarbeitende: Empfänger je Nachricht"),
        default=2000,
        validators=[MinValueValidator(1), MaxValueValidator(100000)],
    )
    staff_recipients_per_hour = models.PositiveIntegerField(
        _("Lehrkräfte und Mitarbeitende: Empfänger je Stunde"),
        default=5000,
        validators=[MinValueValidator(1), MaxValueValidator(1000000)],
    )

    class Meta:
        verbose_name = _("E-Mail-Regeln")

    def __str__(self) -> str:
        return str(_("E-Mail-Regeln"))

    @classmethod
    def get(cls) -> MailPolicy:
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj


class SentMail(models.Model):
    """One message a user submitted, with its number of recipients (group addresses count
    as one each here; the limits are about what a sender typed)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    created = models.DateTimeField(default=timezone.now, db_index=True)
    recipients = models.PositiveIntegerField()
    # Postfix's queue id, so a repeated report of the same message counts once.
    queue_id = models.CharField(max_length=64, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "created"])]

    def __str__(self) -> str:
        return "%s: %d" % (self.user_id, self.recipients)


class AutoReply(models.Model):
    """A person's automatic reply while away ("Abwesenheitsnotiz"). Dovecot sends it, as a
    Sieve ``vacation`` script that :mod:`schulhof.mail.autoreply` writes from this row; it
    answers each sender once every ``AutoReply.DAYS`` days, and never mail to group lists,
    mailing lists or other automatic mail."""

    DAYS = 7

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mail_auto_reply"
    )
    enabled = models.BooleanField(_("Abwesenheitsnotiz eingeschaltet"), default=False)
    start = models.DateField(_("Ab"), null=True, blank=True)
    end = models.DateField(_("Bis einschließlich"), null=True, blank=True)
    subject = models.CharField(_("Betreff"), max_length=200)
    message = models.TextField(_("Text"), max_length=4000)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("Abwesenheitsnotiz")

    def __str__(self) -> str:
        return "%s: %s" % (self.user_id, "an" if self.enabled else "aus")

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.start and self.end and self.end < self.start:
            raise ValidationError({"end": _("Das Ende liegt vor dem Beginn.")})

    def is_active_on(self, day: date) -> bool:
        """Whether replies go out on ``day`` (switched on, and the day in the period)."""
        if not self.enabled:
            return False
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)

    def is_over(self, day: date) -> bool:
        return self.end is not None and self.end < day

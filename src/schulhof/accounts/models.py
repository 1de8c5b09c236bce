"""People, groups and memberships: the accounts every other module relies on."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

SYSTEM_USERNAME = "system"


class Role(models.TextChoices):
    PUPIL = "pupil", _("Schüler/in")
    TEACHER = "teacher", _("Lehrkraft")
    STAFF = "staff", _("Mitarbeiter/in")
    ADMIN = "admin", _("Administrator/in")
    # The explicit actor for work nobody started by hand (jobs, imports run by the scheduler).
    SYSTEM = "system", _("System")


class Status(models.TextChoices):
    ACTIVE = "active", _("aktiv")
    LOCKED = "locked", _("gesperrt")
    LEFT = "left", _("abgegangen")
    DELETED = "deleted", _("gelöscht")


class UserQuerySet(models.QuerySet["User"]):
    def people(self) -> UserQuerySet:
        """Everyone but the system actor."""
        return self.exclude(role=Role.SYSTEM)

    def active(self) -> UserQuerySet:
        return self.filter(status=Status.ACTIVE)

    def pupils(self) -> UserQuerySet:
        return self.filter(role=Role.PUPIL)

    def teachers(self) -> UserQuerySet:
        return self.filter(role=Role.TEACHER)


class UserManager(BaseUserManager["User"]):
    def get_queryset(self) -> UserQuerySet:
        return UserQuerySet(self.model, using=self._db)

    def people(self) -> UserQuerySet:
        return self.get_queryset().people()

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(username=username)


class User(AbstractBaseUser):
    """A person with an account: pupil, teacher, staff member or admin."""

    username = models.CharField(_("Benutzername"), max_length=150, unique=True)
    first_name = models.CharField(_("Vorname(n)"), max_length=150)
    last_name = models.CharField(_("Nachname"), max_length=150)
    name_particle = models.CharField(_("Namenszusatz"), max_length=50, blank=True)
    birth_date = models.DateField(_("Geburtsdatum"), null=True, blank=True)
    role = models.CharField(_("Rolle"), max_length=16, choices=Role.choices, db_index=True)
    status = models.CharField(
        _("Status"), max_length=16, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    status_reason = models.CharField(_("Grund"), max_length=500, blank=True)
    locked_until = models.DateTimeField(_("Gesperrt bis"), null=True, blank=True)
    left_on = models.DateField(_("Abgangsdatum"), null=True, blank=True)
    # Identity in the school administration software (SchILD: Interne ID / GUID).
    external_source = models.CharField(max_length=50, blank=True)
    external_id = models.CharField(max_length=100, blank=True)
    first_password_pending = models.BooleanField(_("Hat Erstpasswort"), default=False)
    first_password_expires = models.DateTimeField(null=True, blank=True)
    kuerzel = models.CharField(_("Kürzel"), max_length=10, blank=True)
    date_joined = models.DateTimeField(_("Angelegt"), default=timezone.now)
    totp_secret = models.CharField(max_length=64, blank=True)
    totp_enabled = models.BooleanField(_("Zwei-Faktor-Anmeldung"), default=False)
    # The last accepted 30-second time step: a code is accepted once (no replay).
    totp_last_step = models.BigIntegerField(null=True, blank=True)
    # A leaver's account and all their data are deleted on this day (left_on + the school's
    # grace period, fixed when they were marked as left). None: no deletion scheduled.
    deletion_due = models.DateField(_("Löschung am"), null=True, blank=True, db_index=True)

    objects = UserManager()

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS = ["first_name", "last_name"]

    class Meta:
        ordering = ["last_name", "first_name", "username"]
        verbose_name = _("Benutzer")
        verbose_name_plural = _("Benutzer")
        constraints = [
            models.UniqueConstraint(
                fields=["external_source", "external_id"],
                condition=~models.Q(external_id=""),
                name="accounts_user_unique_external_identity",
            )
        ]

    def __str__(self) -> str:
        return self.username

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.status == Status.ACTIVE

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def full_name(self) -> str:
        family = " ".join(part for part in (self.name_particle, self.last_name) if part)
        return "%s %s" % (self.first_name, family)

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.first_name

    def email_address(self, mail_domain: str) -> str:
        return "%s@%s" % (self.username, mail_domain)


class IssuedUsername(models.Model):
    """Every username ever issued, kept after deletion so it is never given to someone else."""

    username = models.CharField(max_length=150, unique=True)
    issued = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.username


class GroupKind(models.TextChoices):
    CLASS = "class", _("Klasse")
    YEAR = "year", _("Jahrgang")
    COURSE = "course", _("Kurs")
    ROLE = "role", _("Rollengruppe")
    CUSTOM = "custom", _("Gruppe")


class GroupQuerySet(models.QuerySet["Group"]):
    def classes(self) -> GroupQuerySet:
        return self.filter(kind=GroupKind.CLASS)

    def led_by(self, user: Any) -> GroupQuerySet:
        return self.filter(leaders=user)


class Group(models.Model):
    """A class, year group, course, role group or custom group."""

    name = models.CharField(_("Name"), max_length=100)
    # Stable technical name: the group's mail address local part and folder name.
    slug = models.SlugField(_("Kurzname"), max_length=100, unique=True)
    kind = models.CharField(_("Art"), max_length=16, choices=GroupKind.choices, db_index=True)
    description = models.CharField(_("Beschreibung"), max_length=300, blank=True)
    # A class belongs to its year group (5a → Jahrgang 5).
    parent = models.ForeignKey(
        "self",
        verbose_name=_("Übergeordnete Gruppe"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="children",
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="memberships_groups"
    )
    # Class teachers lead their class; advisors (Beratungslehrer) lead their year group.
    leaders = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="led_groups"
    )
    has_folder = models.BooleanField(_("Gruppenordner"), default=False)
    has_mail = models.BooleanField(_("Gruppen-E-Mail-Adresse"), default=False)
    external_source = models.CharField(max_length=50, blank=True)
    external_id = models.CharField(max_length=100, blank=True)
    created = models.DateTimeField(default=timezone.now)

    objects = GroupQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("Gruppe")
        verbose_name_plural = _("Gruppen")

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    group = models.ForeignKey(Group, on_delete=models.CASCADE)
    added = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "group"], name="accounts_membership_unique")
        ]

    def __str__(self) -> str:
        return "%s in %s" % (self.user_id, self.group_id)


def get_system_actor() -> User:
    """The explicit actor for audit entries of work that no person started."""
    user, _created = User.objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={
            "first_name": "Schulhof",
            "last_name": "System",
            "role": Role.SYSTEM,
            "status": Status.LOCKED,
            "status_reason": "system actor, cannot log in",
            "password": "!",
        },
    )
    return user


class Protocol(models.TextChoices):
    WEB = "web", _("Portal")
    WEBDAV = "webdav", _("WebDAV")
    CALDAV = "caldav", _("CalDAV")
    IMAP = "imap", _("IMAP")
    SMTP = "smtp", _("SMTP")
    API = "api", _("App/API")


class LoginAttemptQuerySet(models.QuerySet["LoginAttempt"]):
    def failures(self) -> LoginAttemptQuerySet:
        """Attempts whose password was checked and failed (refusals while throttled are not
        counted again, or throttling would feed on itself)."""
        return self.filter(success=False).exclude(reason__in=["throttled", "second_factor"])

    def since(self, moment: Any) -> LoginAttemptQuerySet:
        return self.filter(created__gte=moment)


class LoginAttempt(models.Model):
    """One login attempt on any protocol: the basis of throttling and the login history."""

    created = models.DateTimeField(default=timezone.now, db_index=True)
    # As typed (lower-cased), so that guessing unknown names is throttled too.
    username = models.CharField(max_length=150, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True
    )
    client_address = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    protocol = models.CharField(max_length=16, choices=Protocol.choices)
    success = models.BooleanField(default=False)
    reason = models.CharField(max_length=32, blank=True)

    objects = LoginAttemptQuerySet.as_manager()

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return "%s %s %s" % (self.created.isoformat(), self.username, self.success)


class UserSession(models.Model):
    """A signed-in browser or app: listed on the profile page, ended by "log out everywhere"."""

    session_key = models.CharField(max_length=40, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    created = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)
    client_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-last_seen"]

    def __str__(self) -> str:
        return "%s (%s)" % (self.user_id, self.created.isoformat())


class GrantKind(models.TextChoices):
    ROLE = "role", _("Rolle")
    GROUP = "group", _("Gruppe")
    # IServ's "alle Gruppen außer …": members of any group except the excluded ones.
    ALL_GROUPS_EXCEPT = "all_groups_except", _("Alle Gruppen außer …")


class PrivilegeGrant(models.Model):
    """A named privilege (see ``accounts.privileges``) granted to a role or to groups."""

    privilege = models.CharField(_("Recht"), max_length=100, db_index=True)
    kind = models.CharField(_("Vergeben an"), max_length=32, choices=GrantKind.choices)
    role = models.CharField(_("Rolle"), max_length=16, choices=Role.choices, blank=True)
    group = models.ForeignKey(
        Group, verbose_name=_("Gruppe"), on_delete=models.CASCADE, null=True, blank=True
    )
    excluded_groups = models.ManyToManyField(
        Group, verbose_name=_("Ausgenommene Gruppen"), blank=True, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["privilege", "kind"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind="role", group__isnull=True) & ~models.Q(role="")
                    | models.Q(kind="group", group__isnull=False, role="")
                    | models.Q(kind="all_groups_except", group__isnull=True, role="")
                ),
                name="accounts_privilegegrant_target_matches_kind",
            )
        ]

    def __str__(self) -> str:
        return "%s → %s" % (self.privilege, self.role or self.group_id or self.kind)


class SanctionQuerySet(models.QuerySet["Sanction"]):
    def in_force(self, now: Any = None) -> SanctionQuerySet:
        """Sanctions that apply now: started, not lifted, and without or before their end."""
        now = now or timezone.now()
        return self.filter(starts_at__lte=now, lifted_at__isnull=True).filter(
            models.Q(ends_at__isnull=True) | models.Q(ends_at__gt=now)
        )

    def expired_unrecorded(self, now: Any = None) -> SanctionQuerySet:
        now = now or timezone.now()
        return self.filter(ends_at__lte=now, lifted_at__isnull=True, end_recorded=False)


class Sanction(models.Model):
    """A restriction of a rule breaker: chosen modules blocked, with a reason, until an end
    date or permanently. It ends by itself when ``ends_at`` has passed."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sanctions"
    )
    # Keys from accounts.sanctions.BLOCKABLE (e.g. "mail_send", "files_write").
    blocked = models.JSONField(_("Gesperrte Bereiche"), default=list)
    reason = models.CharField(_("Grund"), max_length=500)
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField(_("Endet am"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    # The scheduler audits the natural end once.
    end_recorded = models.BooleanField(default=False)

    objects = SanctionQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at"]

    def __str__(self) -> str:
        return "%s: %s" % (self.user_id, ", ".join(self.blocked))


class ConsentRecord(models.Model):
    """The signed "Einwilligung in die Nutzung" of a pupil, as received by the school.

    Guardians sign for pupils under 18, the pupil from 15 (both between 15 and 17), each
    judged by the age on the day the form was received; ``accounts.consent`` checks this.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consent_record"
    )
    received_on = models.DateField(_("Eingegangen am"))
    guardian_signed = models.BooleanField(_("Unterschrift Erziehungsberechtigte"), default=False)
    pupil_signed = models.BooleanField(_("Unterschrift Schüler/in"), default=False)
    # The Kürzel written on the form; stays when the person who typed it in leaves.
    kuerzel = models.CharField(_("Kürzel"), max_length=10)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("Einwilligung")
        verbose_name_plural = _("Einwilligungen")

    def __str__(self) -> str:
        return "%s (%s)" % (self.user_id, self.received_on.isoformat())


class HandoverRecord(models.Model):
    """Username and first password were handed over to the pupil on this day (the school's
    part of the consent form: date and Kürzel)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="handover_record"
    )
    handed_over_on = models.DateField(_("Übergeben am"))
    kuerzel = models.CharField(_("Kürzel"), max_length=10)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("Übergabe der Zugangsdaten")
        verbose_name_plural = _("Übergaben der Zugangsdaten")

    def __str__(self) -> str:
        return "%s (%s)" % (self.user_id, self.handed_over_on.isoformat())

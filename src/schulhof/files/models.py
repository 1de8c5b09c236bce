"""The files module's tables: the metadata index, the trash, the quota ledger, reservations,
and the WebDAV locks and dead properties.

The files themselves are ordinary files under ``DATA_DIR/files`` (see ``files.storage``);
these tables describe them for fast listing, search and quota, and never hold content.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SpaceKind(models.TextChoices):
    USER = "user", _("Eigene Dateien")
    GROUP = "group", _("Gruppenordner")


class FileEntry(models.Model):
    """One file or folder of a space in the index. ``path`` is the canonical, NFC-normalised,
    ``/``-separated path inside the space (never empty: the root has no row)."""

    space_kind = models.CharField(max_length=8, choices=SpaceKind.choices)
    space_key = models.CharField(max_length=150)
    path = models.CharField(max_length=2400)
    # The parent folder's path ("" for entries in the root): listing is one indexed query.
    parent = models.CharField(max_length=2400)
    name = models.CharField(max_length=255)
    # casefold()ed name for search by name.
    name_fold = models.CharField(max_length=255)
    is_dir = models.BooleanField(default=False)
    size = models.BigIntegerField(default=0)
    modified = models.DateTimeField(default=timezone.now)
    # Changes with every change of content (and of a folder's metadata); quoted in HTTP.
    etag = models.CharField(max_length=64)
    content_type = models.CharField(max_length=200, blank=True)
    # Clients' bookkeeping files (.DS_Store, ._*, ~$*.docx): hidden in the web.
    hidden = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["space_kind", "space_key", "path"], name="files_entry_unique_path"
            )
        ]
        indexes = [models.Index(fields=["space_kind", "space_key", "parent"])]

    def __str__(self) -> str:
        return "%s:%s/%s" % (self.space_kind, self.space_key, self.path)


class TrashItem(models.Model):
    """A file or folder deleted into the trash. Its content lies under
    ``DATA_DIR/files/trash/<kind>s/<key>/<id>``; it still counts for the quota."""

    space_kind = models.CharField(max_length=8, choices=SpaceKind.choices)
    space_key = models.CharField(max_length=150)
    original_path = models.CharField(max_length=2400)
    name = models.CharField(max_length=255)
    is_dir = models.BooleanField(default=False)
    # Bytes of all files inside (for the quota and the listing).
    size = models.BigIntegerField(default=0)
    deleted = models.DateTimeField(default=timezone.now, db_index=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-deleted", "-id"]
        indexes = [models.Index(fields=["space_kind", "space_key"])]

    def __str__(self) -> str:
        return "%s:%s trash %s" % (self.space_kind, self.space_key, self.original_path)


class QuotaLedger(models.Model):
    """What one quota owner (a user's personal space or a group folder) uses.

    ``used`` counts the bytes of indexed files, of the trash and of running uploads'
    reservations. It only changes through conditional UPDATEs in ``files.quota``, so parallel
    uploads cannot push it past the limit."""

    space_kind = models.CharField(max_length=8, choices=SpaceKind.choices)
    space_key = models.CharField(max_length=150)
    used = models.BigIntegerField(default=0)
    # A per-user (or per-group) limit instead of the role default; None = the default.
    limit_override = models.BigIntegerField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["space_kind", "space_key"], name="files_ledger_unique")
        ]

    def __str__(self) -> str:
        return "%s:%s %d" % (self.space_kind, self.space_key, self.used)


class Reservation(models.Model):
    """Quota held by an upload that is being written. If the writing process dies, the
    recovery (``files.quota.recover``) finds the row, deletes the temporary file and gives the
    bytes back."""

    ledger = models.ForeignKey(QuotaLedger, on_delete=models.CASCADE, related_name="reservations")
    bytes = models.BigIntegerField(default=0)
    # The temporary file, relative to DATA_DIR/files; the writer holds an flock on it.
    temp_path = models.TextField()
    created = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return "%s %d" % (self.temp_path, self.bytes)


class DavLock(models.Model):
    """A WebDAV lock (class 2), shared by all web workers. ``root`` is the locked resource's
    internal reference URL; ``data`` holds WsgiDAV's lock dictionary."""

    token = models.CharField(max_length=100, primary_key=True)
    # No index: percent-encoded URLs can be longer than a b-tree entry, and there are few
    # live locks (expired ones are purged).
    root = models.TextField()
    data = models.JSONField(default=dict)
    expire = models.FloatField(db_index=True)

    def __str__(self) -> str:
        return self.token


class DavProperty(models.Model):
    """A dead WebDAV property (PROPPATCH) of a resource, keyed by its reference URL."""

    ref_url = models.TextField()
    # sha256 of ref_url: percent-encoded URLs can be longer than a b-tree index entry.
    ref_hash = models.CharField(max_length=64)
    name = models.CharField(max_length=500)
    value = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ref_hash", "name"], name="files_davprop_unique")
        ]

    def __str__(self) -> str:
        return "%s %s" % (self.ref_url, self.name)

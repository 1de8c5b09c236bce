"""The quota ledger: what a user (files + mail) or a group folder uses, enforced atomically.

How enforcement works (see ``docs/dev/files.md``):

- Each quota owner has one ``QuotaLedger`` row. ``used`` counts indexed files, the trash and
  the reservations of running uploads.
- Growing ``used`` is one conditional UPDATE, ``SET used = used + n WHERE used + n <= allowed``
  (``allowed`` = limit − mail). The database serialises these, so parallel uploads can never
  push ``used`` past the limit together; one of them gets :class:`QuotaExceeded`.
- An upload reserves its bytes (all at once when the size is known, in steps otherwise)
  before writing them, in the same transaction as a ``Reservation`` row that names its
  temporary file. On success the reservation is settled against the real size; on failure it
  is given back. If the process dies, :func:`recover` finds reservations whose temporary file
  is no longer locked by a living writer, deletes the file and gives the bytes back.
- :func:`recount` recomputes ``used`` exactly from the index, the trash and live reservations.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import shutil
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from schulhof.files import disk
from schulhof.files.errors import QuotaExceeded, TooLarge
from schulhof.files.models import FileEntry, QuotaLedger, Reservation, TrashItem

if TYPE_CHECKING:
    from schulhof.accounts.models import User
    from schulhof.files.storage import Space, Usage

logger = logging.getLogger(__name__)

MIB = 1024**2
GIB = 1024**3

MailUsageProvider = Callable[["User"], int]
_mail_providers: list[MailUsageProvider] = []


def register_mail_usage_provider(func: MailUsageProvider) -> MailUsageProvider:
    """Register a function that returns the bytes a user's mail takes (the mail module does,
    from Dovecot's quota). Until one is registered, mail counts 0."""
    if func not in _mail_providers:
        _mail_providers.append(func)
    return func


def mail_usage(user: User) -> int:
    """Bytes of the user's mail, summed over the registered providers."""
    total = 0
    for provider in _mail_providers:
        try:
            total += max(0, int(provider(user)))
        except Exception:
            # A mail server that is down must not block file uploads; it is logged.
            logger.exception("mail usage provider %r failed for %s", provider, user.pk)
    return total


# --- Ledger and limits -------------------------------------------------------------------


def ledger_for(space: Space) -> QuotaLedger:
    """The ledger row of a space's quota owner, created (at 0) on first use."""
    ledger = QuotaLedger.objects.filter(space_kind=space.kind, space_key=space.key).first()
    if ledger is not None:
        return ledger
    try:
        with transaction.atomic():
            return QuotaLedger.objects.create(space_kind=space.kind, space_key=space.key)
    except IntegrityError:
        return QuotaLedger.objects.get(space_kind=space.kind, space_key=space.key)


def _owner(space: Space) -> User | None:
    from schulhof.accounts.models import User

    if space.kind != "user":
        return None
    return User.objects.filter(username=space.key).first()


def default_limit(space: Space, user: User | None = None) -> int:
    """The limit without override: the role default for users (pupils 2 GB by default), the
    teachers' default for group folders (documented in docs/admin/files.md)."""
    from schulhof.core.models import SchoolSettings

    settings_row = SchoolSettings.get()
    if space.kind == "user":
        user = user or _owner(space)
        return settings_row.quota_bytes_for_role(user.role if user else "pupil")
    return settings_row.quota_teacher_gib * GIB


def limit_for(space: Space, ledger: QuotaLedger, user: User | None = None) -> int:
    """The effective limit in bytes: the override or the default."""
    if ledger.limit_override is not None:
        return ledger.limit_override
    return default_limit(space, user)


def usage(space: Space, user: User | None = None) -> Usage:
    """Usage of a space's quota owner (see ``storage.Usage``)."""
    from schulhof.files.storage import Usage

    ledger = ledger_for(space)
    user = user or _owner(space)
    mail = mail_usage(user) if (space.kind == "user" and user is not None) else 0
    files = max(0, ledger.used)
    return Usage(files=files, mail=mail, used=files + mail, limit=limit_for(space, ledger, user))


def _allowed(space: Space, ledger: QuotaLedger) -> int:
    """Bytes the files of this owner may take: the limit minus mail."""
    user = _owner(space)
    mail = mail_usage(user) if user is not None else 0
    return limit_for(space, ledger, user) - mail


def _refusal(space: Space, ledger: QuotaLedger, needed: int) -> QuotaExceeded:
    free = max(0, _allowed(space, ledger) - QuotaLedger.objects.get(pk=ledger.pk).used)
    params = {"needed": filesizeformat(needed), "free": filesizeformat(free)}
    if space.kind == "group":
        params["group"] = space.title
        return QuotaExceeded(
            _(
                "Nicht genug Speicherplatz im Gruppenordner „%(group)s“: benötigt "
                "%(needed)s, frei %(free)s."
            )
            % params
        )
    return QuotaExceeded(
        _(
            "Nicht genug Speicherplatz: benötigt %(needed)s, frei %(free)s. Löschen Sie "
            "Dateien oder leeren Sie den Papierkorb."
        )
        % params
    )


def charge(space: Space, ledger: QuotaLedger, nbytes: int) -> None:
    """Add ``nbytes`` to the ledger if they fit (one conditional UPDATE), else raise
    :class:`QuotaExceeded` and change nothing. Negative amounts are credited."""
    if nbytes <= 0:
        credit(ledger, -nbytes)
        return
    allowed = _allowed(space, ledger)
    updated = QuotaLedger.objects.filter(pk=ledger.pk, used__lte=allowed - nbytes).update(
        used=F("used") + nbytes
    )
    if updated != 1:
        raise _refusal(space, ledger, nbytes)


def credit(ledger: QuotaLedger, nbytes: int) -> None:
    """Give ``nbytes`` back (a delete, a smaller overwrite)."""
    if nbytes:
        QuotaLedger.objects.filter(pk=ledger.pk).update(used=F("used") - nbytes)


def check_upload_size(nbytes: int) -> None:
    """Raise :class:`TooLarge` if ``nbytes`` exceeds the school's maximum upload size."""
    from schulhof.core.models import SchoolSettings

    limit_mib = getattr(SchoolSettings.get(), "max_upload_mib", 0) or 0
    if limit_mib and nbytes > limit_mib * MIB:
        raise TooLarge(
            _("Die Datei ist zu groß: höchstens %(limit)s pro Datei.")
            % {"limit": filesizeformat(limit_mib * MIB)}
        )


# --- Reservations ------------------------------------------------------------------------


def reserve(space: Space, ledger: QuotaLedger, nbytes: int, temp_path: str) -> Reservation:
    """Reserve ``nbytes`` for an upload writing to ``temp_path`` (relative to the files
    root); raises :class:`QuotaExceeded`. The row and the bytes are committed together."""
    with transaction.atomic():
        charge(space, ledger, max(0, nbytes))
        return Reservation.objects.create(ledger=ledger, bytes=max(0, nbytes), temp_path=temp_path)


def grow(space: Space, reservation: Reservation, nbytes: int) -> None:
    """Reserve ``nbytes`` more for a running upload (unknown size); :class:`QuotaExceeded`."""
    with transaction.atomic():
        charge(space, reservation.ledger, nbytes)
        Reservation.objects.filter(pk=reservation.pk).update(bytes=F("bytes") + nbytes)
    reservation.bytes += nbytes


def settle(space: Space, reservation: Reservation, final_delta: int) -> None:
    """Inside the caller's transaction: turn the reservation into the final change of
    ``used`` (new size − replaced size). More than reserved must fit (conditional);
    less is given back. Raises :class:`QuotaExceeded` (the caller's transaction rolls back)."""
    charge(space, reservation.ledger, final_delta - reservation.bytes)
    Reservation.objects.filter(pk=reservation.pk).delete()


def cancel(reservation: Reservation) -> None:
    """Give a failed upload's reservation back (once, even if called twice)."""
    with transaction.atomic():
        deleted, _rows = Reservation.objects.filter(pk=reservation.pk).delete()
        if deleted:
            credit(reservation.ledger, reservation.bytes)


def lock_temp_file(fd: int) -> None:
    """The writer holds this lock until the upload is settled; :func:`recover` only cleans
    up temporary files whose lock is free (their writer has died)."""
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def _writer_alive(temp_path: str) -> bool | None:
    """True if a living process holds the temporary file's lock, False if it is free (the
    file is deleted then), None if there is no such file."""
    full = disk.files_root() / temp_path
    try:
        fd = os.open(full, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                return True
            raise
        if os.path.isdir(full) and not os.path.islink(full):
            # A folder copy's temporary tree; rmtree never follows symlinks.
            shutil.rmtree(full, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(full)
        return False
    finally:
        os.close(fd)


# A writer creates its temporary file right after committing the reservation; a reservation
# without a file younger than this is left alone.
MISSING_FILE_GRACE = timedelta(minutes=2)


def recover() -> int:
    """Clean up after writers that died (SIGKILL, power loss): delete their temporary files
    and give their reserved bytes back. Safe to run at any time, in every process, while
    uploads are running. Returns the number of reservations released."""
    released = 0
    now = timezone.now()
    for reservation in Reservation.objects.select_related("ledger").order_by("pk"):
        alive = _writer_alive(reservation.temp_path)
        if alive:
            continue
        if alive is None and reservation.created > now - MISSING_FILE_GRACE:
            continue
        with transaction.atomic():
            deleted, _rows = Reservation.objects.filter(pk=reservation.pk).delete()
            if deleted:
                credit(reservation.ledger, reservation.bytes)
                released += 1
                logger.warning(
                    "Released %d bytes of an interrupted upload (%s)",
                    reservation.bytes,
                    reservation.temp_path,
                )
    return released


def recount(space: Space) -> int:
    """Set ``used`` exactly: indexed files + trash + live reservations. Returns the new value."""
    ledger = ledger_for(space)
    with transaction.atomic():
        files = (
            FileEntry.objects.filter(
                space_kind=space.kind, space_key=space.key, is_dir=False
            ).aggregate(total=Sum("size"))["total"]
            or 0
        )
        trash = (
            TrashItem.objects.filter(space_kind=space.kind, space_key=space.key).aggregate(
                total=Sum("size")
            )["total"]
            or 0
        )
        reserved = (
            Reservation.objects.filter(ledger=ledger).aggregate(total=Sum("bytes"))["total"] or 0
        )
        used = int(files) + int(trash) + int(reserved)
        QuotaLedger.objects.filter(pk=ledger.pk).update(used=used)
    return used

"""WebDAV state in the database, shared by all web workers: locks (class 2) and dead
properties, keyed by the reference URLs of ``files.dav`` (``/u/<user>/…``, ``/g/<slug>/…``)."""

from __future__ import annotations

import hashlib
import time
from typing import Any

from django.db import transaction
from django.db.models.functions import Left
from wsgidav.lock_man.lock_manager import generate_lock_token, normalize_lock_root, validate_lock

from schulhof.files.models import DavLock, DavProperty


def delete_by_prefix(model: Any, field: str, prefix: str) -> None:
    """Delete rows whose ``field`` is ``prefix`` (without trailing slash) or below it."""
    base = prefix.rstrip("/")
    rows = model.objects.annotate(_p=Left(field, len(base) + 1)).filter(_p=base + "/")
    rows.delete()
    model.objects.filter(**{field: base}).delete()
    model.objects.filter(**{field: base + "/"}).delete()


def _hash(ref: str) -> str:
    return hashlib.sha256(ref.encode("utf-8")).hexdigest()


def _props_below(ref: str) -> Any:
    base = ref.rstrip("/")
    return DavProperty.objects.annotate(_p=Left("ref_url", len(base) + 1)).filter(_p=base + "/")


def move_properties(src: str, dst: str) -> None:
    src_base, dst_base = src.rstrip("/"), dst.rstrip("/")
    with transaction.atomic():
        rows = list(DavProperty.objects.filter(ref_url__in=[src_base, src_base + "/"]))
        rows += list(_props_below(src))
        for row in rows:
            new = dst_base + row.ref_url[len(src_base) :]
            DavProperty.objects.filter(ref_hash=_hash(new), name=row.name).delete()
            row.ref_url = new
            row.ref_hash = _hash(new)
            row.save(update_fields=["ref_url", "ref_hash"])


def copy_properties(src: str, dst: str, *, recursive: bool) -> None:
    src_base, dst_base = src.rstrip("/"), dst.rstrip("/")
    rows = list(DavProperty.objects.filter(ref_url__in=[src_base, src_base + "/"]))
    if recursive:
        rows += list(_props_below(src))
    with transaction.atomic():
        for row in rows:
            new = dst_base + row.ref_url[len(src_base) :]
            DavProperty.objects.update_or_create(
                ref_hash=_hash(new), name=row.name, defaults={"ref_url": new, "value": row.value}
            )


# --- Property store ----------------------------------------------------------------------


class DatabasePropertyManager:
    """Dead properties (PROPPATCH) in the database, shared by all web workers."""

    def __repr__(self) -> str:
        return "DatabasePropertyManager"

    def get_properties(self, norm_url: str, environ: Any = None) -> list[str]:
        return list(
            DavProperty.objects.filter(ref_hash=_hash(norm_url)).values_list("name", flat=True)
        )

    def get_property(self, norm_url: str, name: str, environ: Any = None) -> str | None:
        row = DavProperty.objects.filter(ref_hash=_hash(norm_url), name=name).first()
        return row.value if row else None

    def write_property(
        self,
        norm_url: str,
        name: str,
        property_value: bytes | str,
        dry_run: bool = False,
        environ: Any = None,
    ) -> None:
        if dry_run:
            return
        value = (
            property_value.decode("utf-8") if isinstance(property_value, bytes) else property_value
        )
        DavProperty.objects.update_or_create(
            ref_hash=_hash(norm_url), name=name, defaults={"ref_url": norm_url, "value": value}
        )

    def remove_property(
        self, norm_url: str, name: str, dry_run: bool = False, environ: Any = None
    ) -> None:
        if not dry_run:
            DavProperty.objects.filter(ref_hash=_hash(norm_url), name=name).delete()

    def remove_properties(self, norm_url: str, environ: Any = None) -> None:
        DavProperty.objects.filter(ref_hash=_hash(norm_url)).delete()

    def copy_properties(self, src_url: str, dest_url: str, environ: Any = None) -> None:
        copy_properties(src_url, dest_url, recursive=False)

    def move_properties(
        self, src_url: str, dest_url: str, with_children: bool, environ: Any = None
    ) -> None:
        move_properties(src_url, dest_url)


# --- Lock storage ------------------------------------------------------------------------


class DatabaseLockStorage:
    """WebDAV locks in the database, so that every web worker (and every node) sees them.
    Implements the interface of ``wsgidav.lock_man.lock_storage.LockStorageDict``."""

    LOCK_TIME_OUT_DEFAULT = 604800  # one week
    LOCK_TIME_OUT_MAX = 4 * 604800

    def __repr__(self) -> str:
        return "DatabaseLockStorage"

    def open(self) -> None:
        """Nothing to open: the database is there."""

    def close(self) -> None:
        """Nothing to close."""

    def cleanup(self) -> None:
        """Delete expired locks."""
        DavLock.objects.filter(expire__gte=0, expire__lt=time.time()).delete()

    def clear(self) -> None:
        DavLock.objects.all().delete()

    @staticmethod
    def _to_row(lock: dict[str, Any]) -> dict[str, Any]:
        data = dict(lock)
        owner = data.get("owner")
        if isinstance(owner, bytes):
            data["owner"] = owner.decode("utf-8")
            data["_owner_bytes"] = True
        return data

    @staticmethod
    def _from_row(data: dict[str, Any]) -> dict[str, Any]:
        lock = dict(data)
        if lock.pop("_owner_bytes", False):
            lock["owner"] = lock["owner"].encode("utf-8")
        return lock

    def get(self, token: str) -> dict[str, Any] | None:
        row = DavLock.objects.filter(token=token).first()
        if row is None:
            return None
        if 0 <= row.expire < time.time():
            DavLock.objects.filter(token=token).delete()
            return None
        return self._from_row(row.data)

    def create(self, path: str, lock: dict[str, Any]) -> dict[str, Any]:
        path = normalize_lock_root(path)
        lock["root"] = path
        timeout = lock.get("timeout")
        timeout = float(timeout) if timeout is not None else self.LOCK_TIME_OUT_DEFAULT
        if timeout < 0 or timeout > self.LOCK_TIME_OUT_MAX:
            timeout = self.LOCK_TIME_OUT_MAX
        lock["timeout"] = timeout
        lock["expire"] = time.time() + timeout
        validate_lock(lock)
        lock["token"] = generate_lock_token()
        DavLock.objects.create(
            token=lock["token"], root=path, data=self._to_row(lock), expire=lock["expire"]
        )
        return lock

    def refresh(self, token: str, *, timeout: float) -> dict[str, Any]:
        row = DavLock.objects.get(token=token)
        if timeout < 0 or timeout > self.LOCK_TIME_OUT_MAX:
            timeout = self.LOCK_TIME_OUT_MAX
        lock = self._from_row(row.data)
        lock["timeout"] = timeout
        lock["expire"] = time.time() + timeout
        DavLock.objects.filter(token=token).update(data=self._to_row(lock), expire=lock["expire"])
        return lock

    def delete(self, token: str) -> bool:
        deleted, _rows = DavLock.objects.filter(token=token).delete()
        return bool(deleted)

    def get_lock_list(
        self, path: str, *, include_root: bool, include_children: bool, token_only: bool
    ) -> list[Any]:
        path = normalize_lock_root(path)
        now = time.time()
        rows: list[DavLock] = []
        if include_root:
            rows += list(DavLock.objects.filter(root=path))
        if include_children:
            prefix = path.rstrip("/") + "/"
            rows += list(DavLock.objects.annotate(_p=Left("root", len(prefix))).filter(_p=prefix))
        result: list[Any] = []
        for row in rows:
            if 0 <= row.expire < now:
                continue
            result.append(row.token if token_only else self._from_row(row.data))
        return result

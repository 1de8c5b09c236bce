"""Health checks shared by /healthz and ``schulhof check``."""

import os
import tempfile

from django.conf import settings
from django.db import connection

from schulhof.core.tasks import worker_alive


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        return False


def data_dir_writable() -> bool:
    try:
        with tempfile.NamedTemporaryFile(dir=settings.DATA_DIR, prefix=".healthz-") as handle:
            handle.write(b"ok")
            handle.flush()
            os.fsync(handle.fileno())
        return True
    except OSError:
        return False


def health_checks() -> dict[str, bool]:
    checks = {"database": database_ok(), "data_dir": data_dir_writable()}
    checks["worker"] = checks["database"] and worker_alive()
    return checks

"""Settings for the test suite: a throw-away data folder per process, fast password hashing."""

import os
import tempfile

# Always a fresh folder: tests must never touch a developer's real data.
os.environ["SCHULHOF_DATA_DIR"] = tempfile.mkdtemp(prefix="schulhof-test-")
os.environ["SCHULHOF_TESTING"] = "1"

from schulhof.settings import *  # noqa: F403
from schulhof.settings import PASSWORD_HASHERS as PRODUCTION_HASHERS

# Argon2 costs ~50 ms per hash by design; tests that measure hashing re-enable it explicitly.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PRODUCTION_HASHERS]

# The mail servers (Dovecot) read users from the test database: SQLite must be a file.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(os.environ["SCHULHOF_DATA_DIR"], "test.sqlite3")
    }

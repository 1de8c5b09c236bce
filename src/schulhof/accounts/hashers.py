"""Password hashing parameters.

Argon2id with OWASP's recommended minimum (19 MiB memory, 2 iterations, 1 lane) instead of
Django's heavier default (100 MiB, 2 iterations, 8 lanes): a school imports 1,300 accounts
with first passwords at once on a small server, and every web/IMAP/DAV login pays the cost.
The parameters are stored in each hash, so older hashes keep verifying (and are upgraded on
the next successful login); Dovecot reads the same encoded hashes.
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class SchulhofArgon2PasswordHasher(Argon2PasswordHasher):
    # Same algorithm name as Django's hasher: existing "argon2$…" hashes stay valid.
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1

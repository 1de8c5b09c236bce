"""First passwords hashed in a process pool with the installation's hasher."""

import pytest
from django.contrib.auth.hashers import check_password, identify_hasher
from django.test import override_settings

from schulhof.schoolimport import hashing


def test_small_batches_hash_in_process():
    pairs = hashing.first_passwords(3)
    assert len({clear for clear, _hash in pairs}) >= 2
    for clear, hashed in pairs:
        assert len(clear) == 6 and clear.isdigit()
        assert check_password(clear, hashed)


@override_settings(
    PASSWORD_HASHERS=[
        "schulhof.accounts.hashers.SchulhofArgon2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
)
def test_pool_hashes_with_argon2(monkeypatch):
    monkeypatch.setattr(hashing, "POOL_THRESHOLD", 2)
    passwords = ["123456", "654321", "000000", "999999"]
    hashes = hashing.hash_passwords(passwords, workers=2)
    assert len(set(hashes)) == 4  # own salts
    for clear, hashed in zip(passwords, hashes, strict=True):
        assert identify_hasher(hashed).algorithm == "argon2"
        assert check_password(clear, hashed)
    assert not check_password("123457", hashes[0])


@pytest.mark.parametrize("count", [0, 1, 40])
def test_order_is_kept(count, monkeypatch):
    passwords = [str(100000 + n) for n in range(count)]
    hashes = hashing.hash_passwords(passwords, workers=2)
    assert [
        check_password(clear, hashed) for clear, hashed in zip(passwords, hashes, strict=True)
    ] == [True] * count


def test_this_process_hashes_chunks_no_worker_has_started():
    # Spawned workers need a good part of a second to start; MD5 takes microseconds, so
    # this process takes (most) chunks from the end of the queue itself: their tasks end
    # up cancelled.
    passwords = [str(100000 + n) for n in range(400)]
    pending = hashing.PendingHashes(passwords, workers=2)
    hashes = pending.result()
    assert any(future.cancelled() for future in pending._futures)
    assert all(
        check_password(clear, hashed) for clear, hashed in zip(passwords, hashes, strict=True)
    )
    assert pending._pool is None  # shut down


def test_pool_is_shut_down_when_the_caller_gives_up():
    with pytest.raises(RuntimeError), hashing.start_first_passwords(40, workers=2) as pending:
        assert pending._hashes._pool is not None
        raise RuntimeError("file unreadable")
    assert pending._hashes._pool is None

import pytest
from django.db import OperationalError

from schulhof.core.testing import retry_on_deadlock


class FakeDriverError(Exception):
    def __init__(self, sqlstate: str):
        super().__init__("deadlock detected" if sqlstate == "40P01" else "other")
        self.sqlstate = sqlstate


def failing(sqlstate: str, times: int, calls: list[int]):
    def run() -> str:
        calls.append(1)
        if len(calls) <= times:
            raise OperationalError("error") from FakeDriverError(sqlstate)
        return "done"

    return run


def test_a_deadlocked_flush_is_run_again_until_it_succeeds() -> None:
    calls: list[int] = []
    assert retry_on_deadlock(failing("40P01", 2, calls), pause=0) == "done"
    assert len(calls) == 3


def test_other_database_errors_are_not_retried() -> None:
    calls: list[int] = []
    with pytest.raises(OperationalError):
        retry_on_deadlock(failing("57014", 1, calls), pause=0)
    assert len(calls) == 1


def test_retries_are_bounded() -> None:
    calls: list[int] = []
    with pytest.raises(OperationalError):
        retry_on_deadlock(failing("40P01", 100, calls), attempts=3, pause=0)
    assert len(calls) == 3

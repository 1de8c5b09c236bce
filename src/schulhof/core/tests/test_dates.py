from datetime import UTC, datetime

import pytest

from schulhof.core.dates import months_before


@pytest.mark.parametrize(
    ("moment", "months", "expected"),
    [
        (datetime(2026, 8, 31, tzinfo=UTC), 6, datetime(2026, 2, 28, tzinfo=UTC)),
        (datetime(2028, 8, 31, tzinfo=UTC), 6, datetime(2028, 2, 29, tzinfo=UTC)),
        (datetime(2026, 3, 15, 9, 30, tzinfo=UTC), 6, datetime(2025, 9, 15, 9, 30, tzinfo=UTC)),
        (datetime(2026, 1, 1, tzinfo=UTC), 1, datetime(2025, 12, 1, tzinfo=UTC)),
        (datetime(2026, 1, 1, tzinfo=UTC), 0, datetime(2026, 1, 1, tzinfo=UTC)),
    ],
)
def test_months_before(moment, months, expected):
    assert months_before(moment, months) == expected


def test_months_before_refuses_negative():
    with pytest.raises(ValueError):
        months_before(datetime(2026, 1, 1, tzinfo=UTC), -1)

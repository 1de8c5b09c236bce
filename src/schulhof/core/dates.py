"""Calendar arithmetic that timedelta cannot express."""

import calendar
from datetime import datetime


def months_before(moment: datetime, months: int) -> datetime:
    """The same wall-clock moment ``months`` calendar months earlier, the day clamped to the
    month's length (31 Aug minus 6 months is 28/29 Feb)."""
    if months < 0:
        raise ValueError("months must not be negative")
    index = moment.year * 12 + (moment.month - 1) - months
    year, month = divmod(index, 12)
    month += 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)

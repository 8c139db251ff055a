"""Small helpers used across the apps."""
import secrets
import string
from datetime import date, datetime, time, timedelta

from django.utils import timezone

_ALPHABET = string.ascii_uppercase + string.digits


def generate_reference(prefix: str, length: int = 8) -> str:
    """A human-friendly unique-enough reference such as ``ORD-7K2M9QXA``."""
    body = "".join(secrets.choice(_ALPHABET) for _ in range(length))
    return f"{prefix}-{body}"


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """Aware datetimes [start, end) covering ``day`` in the current time zone."""
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(day, time.min), tz)
    return start, start + timedelta(days=1)


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """Aware datetimes [start 00:00, day after end 00:00) for an inclusive date range."""
    if end < start:
        raise ValueError("end date is before start date")
    return day_bounds(start)[0], day_bounds(end)[1]


def daterange(start: date, end: date):
    """Every date from start to end inclusive."""
    current = start
    while current <= end:
        yield current
        current += timedelta(days=1)


def parse_positive_int(value: object, default: int | None = None) -> int:
    """Parse query-string integers; raise ValueError on junk or values below 1."""
    if value in (None, ""):
        if default is None:
            raise ValueError("a positive integer is required")
        return default
    number = int(str(value))
    if number < 1:
        raise ValueError(f"expected a positive integer, got {number}")
    return number

"""Months and years as the township counts them: boundaries in local time, turned into UTC instants."""

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
YEAR_RE = re.compile(r"^(\d{4})$")
FIRST_YEAR, LAST_YEAR = 2000, 2100


class BadPeriod(ValueError):
    """A month or year that cannot be read (shown to the user as is)."""


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        return f"{self.year}年{self.month}月"

    def shift(self, months: int) -> "Month":
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)

    def bounds(self, tz: str) -> tuple[datetime, datetime]:
        """[start, end) of the month in local time `tz`, as aware UTC datetimes."""
        return local_midnight(self.year, self.month, tz), local_midnight(*_next(self.year, self.month), tz)


def _next(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def local_midnight(year: int, month: int, tz: str) -> datetime:
    """The first instant of the month's first day in `tz`, in UTC."""
    return datetime(year, month, 1, tzinfo=ZoneInfo(tz)).astimezone(UTC)


def parse_month(text: str | None) -> Month:
    """'2026-10' -> Month(2026, 10); anything else raises BadPeriod."""
    match = MONTH_RE.match((text or "").strip())
    if not match:
        raise BadPeriod(f"not a month: {text!r} (expected YYYY-MM, e.g. 2026-10)")
    year, month = int(match[1]), int(match[2])
    if not 1 <= month <= 12 or not FIRST_YEAR <= year <= LAST_YEAR:
        raise BadPeriod(f"not a month: {text!r} (month 01-12, year {FIRST_YEAR}-{LAST_YEAR})")
    return Month(year, month)


def parse_year(text: str | int | None) -> int:
    """'2026' -> 2026; anything else raises BadPeriod."""
    match = YEAR_RE.match(str(text if text is not None else "").strip())
    if not match or not FIRST_YEAR <= int(match[1]) <= LAST_YEAR:
        raise BadPeriod(f"not a year: {text!r} (expected YYYY, {FIRST_YEAR}-{LAST_YEAR})")
    return int(match[1])


def year_months(year: int) -> list[Month]:
    return [Month(year, m) for m in range(1, 13)]


def current_month(tz: str, now: datetime | None = None) -> Month:
    local = (now or datetime.now(UTC)).astimezone(ZoneInfo(tz))
    return Month(local.year, local.month)

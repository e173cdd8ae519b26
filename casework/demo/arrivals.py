"""When the township's cases come in: how many a day, on which days and at which hours, over how long."""

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

MONTHS = 14
ORDERS_PER_DAY = 2.5  # about 1,100 orders in fourteen months
DISPUTES_PER_DAY = 0.33
HOURLY = (1, 1, 0, 0, 0, 1, 2, 5, 9, 10, 10, 9, 6, 7, 9, 10, 9, 8, 7, 6, 5, 4, 3, 2)  # by local hour, 0-23


def arrivals(rng: random.Random, start: datetime, now: datetime, zone: ZoneInfo) -> Iterator[tuple[datetime, str]]:
    """Orders and disputes as they came in, in time order: more on weekdays, mostly in the daytime."""
    day = start.astimezone(zone).date()
    while True:
        for when, kind in _one_day(rng, day, zone):
            if when > now:
                return
            if when >= start:
                yield when, kind
        day += timedelta(days=1)


def _one_day(rng: random.Random, day: date, zone: ZoneInfo) -> list[tuple[datetime, str]]:
    """A day's orders and (on weekdays only) disputes, in time order."""
    weekday = day.weekday() < 5
    orders = _poisson(rng, ORDERS_PER_DAY * (1.15 if weekday else 0.6))
    arrived = [(_daytime(rng, day, zone), "order") for _ in range(orders)]
    if weekday:
        arrived += [(_daytime(rng, day, zone), "dispute") for _ in range(_poisson(rng, DISPUTES_PER_DAY * 1.4))]
    return sorted(arrived)


def _daytime(rng: random.Random, day: date, zone: ZoneInfo) -> datetime:
    hour = rng.choices(range(24), weights=HOURLY)[0]
    return datetime(day.year, day.month, day.day, hour, rng.randint(0, 59), tzinfo=zone).astimezone(UTC)


def _poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method; fine for the small means here."""
    limit, k, p = pow(2.718281828459045, -mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def months_before(now: datetime, months: int) -> datetime:
    """The same moment `months` months earlier (on day 28 at the latest, which every month has)."""
    year, month = divmod(now.year * 12 + now.month - 1 - months, 12)
    return now.replace(year=year, month=month + 1, day=min(now.day, 28))

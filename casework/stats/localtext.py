"""Stored UTC instants written as the township reads them ('YYYY-MM-DD HH:MM' local), by the database.

An export lists tens of thousands of orders with four times each; turning each into local text in
Python costs more than the query. PostgreSQL converts with its own time zone data. SQLite has none,
so the zone's UTC offsets over the span the caller names are looked up here (zoneinfo) and written
into the SQL as a CASE over the instants where the offset changes; Asia/Shanghai has one offset.
"""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import String, case, func, literal

from ..models import UTCDateTime

MINUTE_FORMAT_SQLITE = "%Y-%m-%d %H:%M"
MINUTE_FORMAT_POSTGRESQL = "YYYY-MM-DD HH24:MI"


def local_minute(column, tz: str, span: tuple[datetime, datetime], dialect: str):
    """SQL giving `column` (a UTC instant) as local 'YYYY-MM-DD HH:MM' text in zone `tz`; NULL stays NULL.

    On SQLite the offsets are exact within `span` (aware UTC); outside it the nearest edge's offset is
    used, so name a span that holds every value shown."""
    if dialect == "postgresql":
        local = func.timezone(tz, func.timezone("UTC", column))
        return func.to_char(local, MINUTE_FORMAT_POSTGRESQL, type_=String)
    # SQLite keeps 'YYYY-MM-DD HH:MM:SS.ffffff' and rounds the fraction to milliseconds (23:30:59.9999
    # would show 23:31): the whole seconds alone are read, and minutes are cut as Python cuts them.
    seconds = func.substr(column, 1, 19)
    return func.strftime(MINUTE_FORMAT_SQLITE, seconds, _offset_modifier(column, tz, span), type_=String)


def _offset_modifier(column, tz: str, span: tuple[datetime, datetime]):
    """SQLite's date modifier ('+480 minutes') for the zone's offset at `column`'s instant."""
    changes = offset_changes(tz, *span)
    first = literal(_modifier(changes[0][1]))
    if len(changes) == 1:
        return first
    whens = [(column < literal(at, UTCDateTime), _modifier(before)) for (_, before), (at, _) in _pairs(changes)]
    return case(*whens, else_=_modifier(changes[-1][1]))


def _pairs(changes):
    return zip(changes, changes[1:], strict=False)


def _modifier(minutes: int) -> str:
    return f"{minutes:+d} minutes"


def offset_changes(tz: str, start: datetime, end: datetime) -> list[tuple[datetime, int]]:
    """[(from, offset in minutes)]: the zone's offset at `start`, then each change up to `end`, exact
    to the second (zones change on whole minutes; a day's scan finds every change, a bisection its instant)."""
    zone = ZoneInfo(tz)
    changes = [(start, _offset(zone, start))]
    day = timedelta(days=1)
    t = start
    while t < end:
        nxt = min(t + day, end)
        if _offset(zone, nxt) != changes[-1][1]:
            at = _first_change(zone, t, nxt)
            changes.append((at, _offset(zone, at)))
        t = nxt
    return changes


def _offset(zone: ZoneInfo, instant: datetime) -> int:
    return int(instant.astimezone(zone).utcoffset().total_seconds() // 60)


def _first_change(zone: ZoneInfo, low: datetime, high: datetime) -> datetime:
    """The first second in (low, high] whose offset differs from low's (one change in between)."""
    before = _offset(zone, low)
    lo, hi = int(low.timestamp()), int(high.timestamp())
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _offset(zone, datetime.fromtimestamp(mid, UTC)) == before:
            lo = mid
        else:
            hi = mid
    return datetime.fromtimestamp(hi, UTC)

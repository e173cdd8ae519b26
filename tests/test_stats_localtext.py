"""Local times written by the database (exports): the zone's offset and its changes, on either engine."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from casework.extensions import db
from casework.models import Case
from casework.stats.localtext import local_minute, offset_changes

BERLIN_SPRING = datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 02:00 CET becomes 03:00 CEST
BERLIN_AUTUMN = datetime(2026, 10, 25, 1, 0, tzinfo=UTC)  # 03:00 CEST becomes 02:00 CET
YEAR_2026 = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))


def test_shanghai_has_one_offset():
    assert offset_changes("Asia/Shanghai", *YEAR_2026) == [(YEAR_2026[0], 480)]


def test_a_summer_time_zone_changes_at_the_exact_second():
    assert offset_changes("Europe/Berlin", *YEAR_2026) == [
        (YEAR_2026[0], 60),
        (BERLIN_SPRING, 120),
        (BERLIN_AUTUMN, 60),
    ]


def _formatted(app, make, tz: str, instants: list[datetime]) -> list[str]:
    ids = [make.order(received_at=t).id for t in instants]
    dialect = db.session.get_bind().dialect.name
    text = local_minute(Case.received_at, tz, YEAR_2026, dialect)
    rows = db.session.execute(select(Case.id, text).where(Case.id.in_(ids))).all()
    return [dict(rows)[i] for i in ids]


@pytest.mark.parametrize(
    "tz, instants, expected",
    [
        (
            "Asia/Shanghai",
            [datetime(2026, 10, 31, 15, 30, 59, 999999, tzinfo=UTC), datetime(2026, 10, 31, 16, 0, tzinfo=UTC)],
            ["2026-10-31 23:30", "2026-11-01 00:00"],
        ),
        (
            "Europe/Berlin",
            [
                BERLIN_SPRING - timedelta(seconds=1),
                BERLIN_SPRING,
                BERLIN_AUTUMN - timedelta(minutes=1),
                BERLIN_AUTUMN,
            ],
            ["2026-03-29 01:59", "2026-03-29 03:00", "2026-10-25 02:59", "2026-10-25 02:00"],
        ),
    ],
)
def test_the_database_writes_the_same_local_minute_as_python(app, make, tz, instants, expected):
    assert _formatted(app, make, tz, instants) == expected
    from zoneinfo import ZoneInfo

    assert [t.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M") for t in instants] == expected


def test_no_time_stays_empty(app, make):
    case_id = make.order(acknowledged_at=None).id
    text = local_minute(Case.acknowledged_at, "Asia/Shanghai", YEAR_2026, db.session.get_bind().dialect.name)
    assert db.session.execute(select(text).where(Case.id == case_id)).scalar_one() is None

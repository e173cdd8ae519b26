"""The township's time: UTC is stored, the configured zone (CASEWORK_TIMEZONE, Asia/Shanghai by default)
is what people read and what deadlines and month boundaries are counted in. The one reader of TIMEZONE."""

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app


def zone_name(config=None) -> str:
    """The TIMEZONE name of `config` (default: the current app's), e.g. 'Asia/Shanghai'."""
    return (current_app.config if config is None else config)["TIMEZONE"]


def local_zone(config=None) -> ZoneInfo:
    return ZoneInfo(zone_name(config))


def localtime(value: datetime | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored UTC instant as the township reads it (Asia/Shanghai by default); also one the history keeps as
    ISO 8601 text (a recounted deadline's previous_due_at)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return "" if value is None else value.astimezone(local_zone()).strftime(fmt)

"""Last month's statistics saved on the server once a month (CASEWORK_EXPORT_DIR), in every format.

The scheduler runs `archive_last_month` on the 2nd of each month (MONTHLY_EXPORT_DAY, at
MONTHLY_EXPORT_TIME local time): by then the month's last acknowledgement deadlines have passed, so
the files hold the figures the city will rank the township on. A file already there is never written
again (the figures of a closed month do not change; a file someone corrected by hand stays); a file
is written beside its final name and renamed into place, so a reader never sees half of one. The
start-up catch-up writes what a stopped server missed.
"""

import logging
import os
import tempfile
from datetime import UTC, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app

from ..clock import zone_name
from .exporters import MONTHLY_FORMATS, write_monthly
from .monthly import monthly_figures
from .periods import Month, current_month

log = logging.getLogger(__name__)


def export_dir() -> Path | None:
    """Where the monthly files go; None when CASEWORK_EXPORT_DIR is set empty (no archive)."""
    folder = current_app.config.get("EXPORT_DIR")
    return Path(folder) if folder else None


def archive_path(folder: Path, month: Month, fmt: str) -> Path:
    return folder / f"statistics-{month}.{fmt}"


def due_month(now: datetime) -> Month | None:
    """The month whose files are due at `now`: last month, once this month's export day and time have
    come; None before that."""
    tz = zone_name()
    local = now.astimezone(ZoneInfo(tz))
    day = int(current_app.config["MONTHLY_EXPORT_DAY"])
    at = time.fromisoformat(current_app.config["MONTHLY_EXPORT_TIME"])
    if (local.day, local.time()) < (day, at):
        return None
    return current_month(tz, now).shift(-1)


def archive_month(month: Month) -> list[Path]:
    """Write the month's statistics in every format that is not there yet; the paths written."""
    folder = export_dir()
    if folder is None:
        return []
    missing = [fmt for fmt in MONTHLY_FORMATS if not archive_path(folder, month, fmt).exists()]
    if not missing:
        return []
    folder.mkdir(parents=True, exist_ok=True)
    figures = monthly_figures(month)
    written = []
    for fmt in missing:
        final = archive_path(folder, month, fmt)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=f".{final.name}.", delete=False) as draft:
            partial = Path(draft.name)
        try:
            write_monthly(figures, fmt, partial)
            os.replace(partial, final)
        finally:
            partial.unlink(missing_ok=True)
        written.append(final)
    log.info("monthly statistics of %s saved: %s", month, ", ".join(p.name for p in written))
    return written


def archive_last_month(now: datetime | None = None) -> list[Path]:
    """The scheduled job and the start-up catch-up: last month's files, when they are due."""
    month = due_month(now or datetime.now(UTC))
    return [] if month is None else archive_month(month)

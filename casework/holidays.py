"""节假日安排: a year's official holiday schedule, entered on the page or imported as JSON, exported, and followed
by the open cases' deadlines.

The schedule comes from the State Council's notice (国务院办公厅关于某年部分节假日安排的通知): named holidays as date
ranges and the make-up working days (调休上班). Its JSON form, the one the page and `flask calendar` import and
export, is {"year": 2027, "holidays": [{"name": "春节", "from": "YYYY-MM-DD", "to": "YYYY-MM-DD"}],
"workdays": ["YYYY-MM-DD"]}.

A schedule is checked whole before anything is stored: a bad date, overlapping holidays, a make-up day inside a
holiday (or on a weekday) refuses all of it, naming the line of the file (or the form's field). Entries are
append-only (models.HolidaySchedule): the latest of a year is in force and every one keeps who entered it and
when. Services take the acting user first (None: the command line), flush and never commit.
"""

import json
from dataclasses import dataclass
from datetime import date, timedelta
from json.decoder import JSONObject
from json.scanner import py_make_scanner

from flask_babel import gettext

from . import deadlines
from . import permissions as perm
from .extensions import db
from .models import HolidaySchedule, User, utcnow
from .models.calendar import SCHEDULE_SOURCES
from .text import clean
from .workflow import N_, Forbidden, InvalidInput

HOLIDAY_NAMES = ("元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节")
NAME_LIMIT = 20
LONGEST_HOLIDAY = 15  # days; the longest official holiday so far is 9 (and 10 in 2020): more is a typo
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100
FILE_LIMIT = 64 * 1024  # a year's schedule is under 2 KB


class ScheduleRefused(InvalidInput):
    """A schedule refused whole: the message names the line of the file when it came from one, and `field` the
    form field it belongs to when it came from the page."""

    def __init__(self, message: str, field: str | None = None, line: int | None = None, **params):
        super().__init__(message, field, **params)
        self.line = line

    def text(self) -> str:
        problem = gettext(self.message, **self.params)
        return gettext("Line %(line)d: %(problem)s", line=self.line, problem=problem) if self.line else problem


@dataclass(frozen=True)
class Holiday:
    name: str
    first: date
    last: date

    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]

    def as_json(self) -> dict:
        return {"name": self.name, "from": self.first.isoformat(), "to": self.last.isoformat()}


@dataclass(frozen=True)
class Schedule:
    """A year's holidays (in date order) and make-up working days, checked."""

    year: int
    holidays: tuple[Holiday, ...]
    workdays: tuple[date, ...]

    def as_json(self) -> dict:
        """The import/export form (docs/deployment.md)."""
        return {
            "year": self.year,
            "holidays": [h.as_json() for h in self.holidays],
            "workdays": [d.isoformat() for d in self.workdays],
        }


# --- where an entry came from: a line of a file, a field of the form -----------------------------------------


class Located(dict):
    """A JSON object (a holiday) that knows its line in the file, or its field on the form."""

    line: int | None = None
    field: str | None = None


class LocatedText(str):
    """A JSON string (a make-up day) that knows its line, or its field on the form."""

    line: int | None = None
    field: str | None = None


def located(value, line: int | None = None, field: str | None = None):
    """`value` (a dict or a string) marked with where it came from; anything else unchanged."""
    kind = Located if isinstance(value, dict) else LocatedText if isinstance(value, str) else None
    if kind is None:
        return value
    marked = kind(value)
    marked.line, marked.field = line, field
    return marked


class _LineDecoder(json.JSONDecoder):
    """json, with every object and string marked with the line it starts on (the pure-Python scanner, which
    calls back into the decoder: a file of a few hundred lines)."""

    def __init__(self):
        super().__init__()
        self.parse_object = self._object
        self.parse_string = self._string
        self.scan_once = py_make_scanner(self)

    @staticmethod
    def _line(text: str, index: int) -> int:
        return text.count("\n", 0, index) + 1

    def _object(self, s_and_end, *args, **kwargs):
        text, end = s_and_end
        value, after = JSONObject(s_and_end, *args, **kwargs)
        return located(value, self._line(text, end)), after

    def _string(self, text, end, strict):
        value, after = json.decoder.scanstring(text, end, strict)
        return located(value, self._line(text, end)), after


# --- checking ------------------------------------------------------------------------------------------------

BAD_DATE = N_("Write the date as YYYY-MM-DD, a day that exists.")
NOT_A_WEEKEND = N_("A make-up working day falls on a Saturday or Sunday; %(day)s is neither.")
TOO_LARGE = N_("The file is too large for a year's schedule (at most %(kb)d KB).")


def _where(entry, part: str | None = None) -> dict:
    field = getattr(entry, "field", None)
    return {"line": getattr(entry, "line", None), "field": f"{field}-{part}" if field and part else field}


def _refuse(message: str, entry=None, part: str | None = None, **params) -> ScheduleRefused:
    return ScheduleRefused(message, **_where(entry, part), **params)


def _year(value, data) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not EARLIEST_YEAR <= value <= LATEST_YEAR:
        where = {"line": getattr(data, "line", None), "field": "year"}
        raise ScheduleRefused(
            N_("The year must be a number from %(first)d to %(last)d."), **where, first=EARLIEST_YEAR, last=LATEST_YEAR
        )
    return value


def _date(value, entry, part: str | None = None) -> date:
    text = value if isinstance(value, str) else ""
    if len(text) != 10 or not text[:4].isdigit():
        raise _refuse(BAD_DATE, entry, part)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _refuse(BAD_DATE, entry, part) from None


def _reach(year: int) -> tuple[date, date]:
    """The days a year's notice may name: its own, and December and January around it (元旦 may start on
    December 30, a make-up day for it may fall before the year)."""
    return date(year - 1, 12, 1), date(year + 1, 1, 31)


def _name(value, entry) -> str:
    name = clean(value if isinstance(value, str) else "").strip()
    if not name:
        raise _refuse(N_("Name the holiday (元旦, 春节 …)."), entry, "name")
    if len(name) > NAME_LIMIT:
        raise _refuse(N_("At most %(limit)d characters."), entry, "name", limit=NAME_LIMIT)
    return name


def _holiday(entry, year: int) -> Holiday:
    if not isinstance(entry, dict):
        raise _refuse(N_('A holiday is written {"name": …, "from": …, "to": …}.'), entry)
    name = _name(entry.get("name"), entry)
    first, last = _date(entry.get("from"), entry, "first"), _date(entry.get("to"), entry, "last")
    if last < first:
        raise _refuse(N_("The holiday ends before it begins."), entry, "last")
    if (last - first).days + 1 > LONGEST_HOLIDAY:
        raise _refuse(N_("A holiday of more than %(n)d days: check the dates."), entry, "last", n=LONGEST_HOLIDAY)
    start, end = _reach(year)
    if first < start or last > end or (first.year != year and last.year != year):
        raise _refuse(N_("This holiday is not in %(year)d."), entry, "first", year=year)
    return Holiday(name, first, last)


def _holidays(entries, year: int) -> tuple[Holiday, ...]:
    if not isinstance(entries, list) or not entries:
        raise ScheduleRefused(N_("Enter at least one holiday."), "holidays", getattr(entries, "line", None))
    taken: list[tuple[Holiday, object]] = []
    for entry in entries:
        holiday = _holiday(entry, year)
        for other, _ in taken:
            if holiday.first <= other.last and other.first <= holiday.last:
                raise _refuse(N_("This holiday overlaps %(name)s."), entry, "first", name=other.name)
        taken.append((holiday, entry))
    return tuple(sorted((h for h, _ in taken), key=lambda h: h.first))


def _workdays(entries, year: int, holidays: tuple[Holiday, ...]) -> tuple[date, ...]:
    if entries is None:
        return ()
    if not isinstance(entries, list):
        raise ScheduleRefused(N_("Make-up working days are a list of dates."), "workdays")
    start, end = _reach(year)
    days: set[date] = set()
    for entry in entries:
        day = _date(entry, entry)
        if not start <= day <= end:
            raise _refuse(N_("This make-up working day is not in %(year)d."), entry, year=year)
        if day.weekday() < 5:
            raise _refuse(NOT_A_WEEKEND, entry, day=day)
        if inside := next((h for h in holidays if h.first <= day <= h.last), None):
            raise _refuse(N_("%(day)s is inside the holiday %(name)s."), entry, day=day, name=inside.name)
        if day in days:
            raise _refuse(N_("%(day)s is written twice."), entry, day=day)
        days.add(day)
    return tuple(sorted(days))


def read_schedule(data) -> Schedule:
    """The schedule in `data` (the JSON form, decoded; entries may be `located`), checked whole: the first
    problem raises ScheduleRefused, naming where it is."""
    if not isinstance(data, dict):
        raise ScheduleRefused(N_('The file holds no schedule: {"year": …, "holidays": […], "workdays": […]}.'))
    year = _year(data.get("year"), data)
    holidays = _holidays(data.get("holidays"), year)
    return Schedule(year, holidays, _workdays(data.get("workdays"), year, holidays))


def parse_schedule_file(raw: bytes) -> Schedule:
    """A schedule from the bytes of a JSON file, checked whole (ScheduleRefused names the line)."""
    if len(raw) > FILE_LIMIT:
        raise ScheduleRefused(TOO_LARGE, kb=FILE_LIMIT // 1024)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ScheduleRefused(N_("The file is not UTF-8 text.")) from None
    try:
        data = _LineDecoder().decode(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        line = getattr(exc, "lineno", None)
        raise ScheduleRefused(N_("This is not valid JSON."), line=line) from None
    return read_schedule(data)


# --- entering, exporting -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entered:
    """What entering a schedule did: the entry in force, whether it changed anything, the deadlines recounted."""

    entry: HolidaySchedule
    changed: bool
    recounted: int = 0


def current_entry(year: int) -> HolidaySchedule | None:
    """The entry in force for `year` (its latest), or None when none was entered."""
    return db.session.scalars(
        db.select(HolidaySchedule).where(HolidaySchedule.year == year).order_by(HolidaySchedule.id.desc()).limit(1)
    ).first()


def entries(year: int) -> list[HolidaySchedule]:
    """Every entry of `year`, newest first: who entered what, and when."""
    query = db.select(HolidaySchedule).where(HolidaySchedule.year == year).order_by(HolidaySchedule.id.desc())
    return list(db.session.scalars(query))


def enter_schedule(actor: User | None, schedule: Schedule, *, source: str, at=None) -> Entered:
    """Put `schedule` in force for its year, as a new entry by `actor` (None: the command line), unless it is
    the one already in force. Deadlines follow it from now on, in this process at once and in others at their
    next request; the open cases whose deadlines it moves are recounted (recount_open_cases)."""
    if actor is not None and not perm.can_manage(actor):
        raise Forbidden(N_("Only administrators enter the holiday calendar."))
    if source not in SCHEDULE_SOURCES:
        raise ValueError(f"unknown source {source!r}")
    form = schedule.as_json()
    current = current_entry(schedule.year)
    if current is not None and (current.holidays, current.workdays) == (form["holidays"], form["workdays"]):
        return Entered(current, changed=False)
    entry = HolidaySchedule(
        year=schedule.year,
        holidays=form["holidays"],
        workdays=form["workdays"],
        source=source,
        entered_by=actor,
        entered_at=at or utcnow(),
    )
    db.session.add(entry)
    db.session.flush()
    deadlines.entered_schedules_changed()
    return Entered(entry, changed=True)


def import_schedule(actor: User | None, raw: bytes, *, source: str, at=None) -> Entered:
    """A JSON file's schedule, checked whole and entered (enter_schedule)."""
    return enter_schedule(actor, parse_schedule_file(raw), source=source, at=at)


def export_schedule(year: int) -> dict | None:
    """The schedule in force for `year` in its JSON form, or None when none was entered."""
    entry = current_entry(year)
    if entry is None:
        return None
    return {"year": entry.year, "holidays": entry.holidays, "workdays": entry.workdays}

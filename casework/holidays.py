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
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from json.decoder import JSONObject
from json.scanner import py_make_scanner

import chinese_calendar
from flask_babel import gettext
from sqlalchemy import and_, or_, select

from . import deadlines
from . import permissions as perm
from .clock import local_zone
from .deadlines import WorkCalendar
from .extensions import db
from .models import Case, CaseEvent, ExtensionRequest, HolidaySchedule, User, utcnow
from .models.calendar import RECOUNT, SCHEDULE_SOURCES
from .refusals import N_, Forbidden, InvalidInput
from .text import clean

log = logging.getLogger(__name__)
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
        if line:
            self.args = (f"Line {line}: {self.args[0]}",)

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


PARTS = {"name": "name", "first": "from", "last": "to"}  # a form row's field: the JSON key


def _where(entry, part: str | None = None) -> dict:
    """The line (of the value in question, else of its entry) and the form field a problem is shown at."""
    field = getattr(entry, "field", None)
    value = entry.get(PARTS[part]) if part and isinstance(entry, dict) else None
    line = getattr(value, "line", None) or getattr(entry, "line", None)
    return {"line": line, "field": f"{field}-{part}" if field and part else field}


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
    text = value.strip() if isinstance(value, str) else ""
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
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, an integer of over 4,300 digits; too deep
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
        select(HolidaySchedule).where(HolidaySchedule.year == year).order_by(HolidaySchedule.id.desc()).limit(1)
    ).first()


def entries(year: int) -> list[HolidaySchedule]:
    """Every entry of `year`, newest first: who entered what, and when."""
    query = select(HolidaySchedule).where(HolidaySchedule.year == year).order_by(HolidaySchedule.id.desc())
    return list(db.session.scalars(query))


def enter_schedule(actor: User | None, schedule: Schedule, *, source: str, at=None) -> Entered:
    """Put `schedule` in force for its year, as a new entry by `actor` (None: the command line), unless it is
    the one already in force. Deadlines follow it from now on in this app context, and in every other (of this
    process and others) that starts once it is committed; the open cases whose deadlines it moves are
    recounted (recount_open_cases)."""
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
    before = deadlines.calendar()
    db.session.add(entry)
    db.session.flush()
    after = deadlines.entered_schedules_changed()  # this context's only: the entry is not committed yet
    recounted = recount_open_cases(schedule.year, before, after, at=entry.entered_at)
    return Entered(entry, changed=True, recounted=recounted)


def import_schedule(actor: User | None, raw: bytes, *, source: str, at=None) -> Entered:
    """A JSON file's schedule, checked whole and entered (enter_schedule)."""
    return enter_schedule(actor, parse_schedule_file(raw), source=source, at=at)


def export_schedule(year: int) -> dict | None:
    """The schedule in force for `year` in its JSON form: the entry in force, else the package's; None when
    neither knows the year."""
    entry = current_entry(year)
    if entry is not None:
        return {"year": entry.year, "holidays": entry.holidays, "workdays": entry.workdays}
    if deadlines.package_knows(year):
        return package_schedule(year).as_json()
    return None


def schedule_json(data: dict) -> str:
    """The JSON text of a schedule, as exported (UTF-8, the names readable)."""
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


# chinesecalendar names its holidays in English; the notice's names are these.
PACKAGE_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}


def package_schedule(year: int) -> Schedule:
    """`year`'s schedule as chinesecalendar has it: consecutive days off of one holiday as one range, and the
    weekend days it works."""
    ranges: list[Holiday] = []
    workdays = []
    day = date(year, 1, 1)
    while day.year == year:
        off, name = chinese_calendar.get_holiday_detail(day)
        if off and name:
            name = PACKAGE_NAMES.get(name, name)
            if ranges and ranges[-1].name == name and ranges[-1].last == day - timedelta(days=1):
                ranges[-1] = Holiday(name, ranges[-1].first, day)
            else:
                ranges.append(Holiday(name, day, day))
        elif not off and day.weekday() >= 5:
            workdays.append(day)
        day += timedelta(days=1)
    return Schedule(year, tuple(ranges), tuple(workdays))


# --- open cases follow the calendar --------------------------------------------------------------------------


def recount_open_cases(year: int, before: WorkCalendar, after: WorkCalendar, *, at: datetime) -> int:
    """Recount the deadlines of the open cases that reach `year`'s days, from their start under the same rules,
    now that `after` replaces `before`: the due time (with the extensions granted since, by their working days)
    while it is still ahead, and the acknowledgement deadline of an order still awaiting it while that is ahead.

    Only deadlines the rules set are recounted: one that `before` does not give (a platform's 办理时限, rules
    changed since) is left as it is, and so is a deadline already past. Each change is a system event in the
    case's history with the previous times (statistics read a due time as it stood, stats.figures.due_as_of).
    Returns how many cases changed."""
    moved = _changed_days(year, before, after)
    if not moved:
        return 0
    # A changed day D moves a deadline only when the count went through it: received before D, due on or after
    since, until = before.end_of(moved[0] - timedelta(days=1)), before.end_of(moved[-1])
    awaiting = and_(Case.awaiting_acknowledgement, Case.ack_due_at > at)
    query = (
        select(Case)
        .where(Case.is_open, Case.received_at <= until)
        .where(or_(and_(Case.due_at > at, Case.due_at > since), and_(awaiting, Case.ack_due_at > since)))
        .order_by(Case.id)
        .execution_options(yield_per=500)
    )
    changed = 0
    for case in db.session.scalars(query):
        changed += _recount(case, before, after, at, year)
    db.session.flush()
    return changed


def _changed_days(year: int, before: WorkCalendar, after: WorkCalendar) -> list[date]:
    """The days `year`'s schedule may name (_reach) that `after` works and `before` does not, or the reverse."""
    first, last = _reach(year)
    days = (first + timedelta(days=i) for i in range((last - first).days + 1))
    return [day for day in days if before.is_workday(day, warn=False) != after.is_workday(day, warn=False)]


def _extensions(case: Case) -> list[int]:
    """The working days of the extensions granted to `case`, in the order they were granted."""
    query = (
        select(ExtensionRequest.working_days)
        .where(ExtensionRequest.case_id == case.id, ExtensionRequest.status == "granted")
        .order_by(ExtensionRequest.decided_at, ExtensionRequest.id)
    )
    return list(db.session.scalars(query))


def _due_by(calendar: WorkCalendar, case: Case, extensions: list[int]) -> datetime:
    """The due time the rules give `case` by `calendar`, extensions included."""
    _, due = deadlines.deadlines_for(
        case.request_type, case.urgency, case.received_at, category=case.category, calendar=calendar
    )
    for working_days in extensions:
        due = deadlines.extended_due(due, working_days, calendar=calendar)
    return due


def _ack_by(calendar: WorkCalendar, case: Case, due_at: datetime) -> datetime:
    """The acknowledgement deadline the rules give `case` by `calendar`, never after `due_at`."""
    ack, _ = deadlines.deadlines_for(
        case.request_type, case.urgency, case.received_at, category=case.category, deadline=due_at, calendar=calendar
    )
    return ack


def _recounted_due(case: Case, before: WorkCalendar, after: WorkCalendar, at: datetime) -> datetime | None:
    """The due time by `after`, when `before` gave the one the case has and it is still ahead."""
    if case.due_at is None or case.due_at <= at:
        return case.due_at
    extensions = _extensions(case) if case.extension_count else []
    return _due_by(after, case, extensions) if _due_by(before, case, extensions) == case.due_at else case.due_at


def _recounted_ack(case: Case, before: WorkCalendar, after: WorkCalendar, at: datetime, due_at) -> datetime | None:
    """The acknowledgement deadline by `after`, for an order still awaiting it, when `before` gave it and it
    is still ahead. Once an order is acknowledged its deadline was met or missed: that stays."""
    if not case.awaiting_acknowledgement or case.ack_due_at <= at:
        return case.ack_due_at
    return _ack_by(after, case, due_at) if _ack_by(before, case, case.due_at) == case.ack_due_at else case.ack_due_at


def _recount(case: Case, before: WorkCalendar, after: WorkCalendar, at: datetime, year: int) -> bool:
    due = _recounted_due(case, before, after, at)
    ack = _recounted_ack(case, before, after, at, due)
    if (due, ack) == (case.due_at, case.ack_due_at):
        return False
    data = {"year": year, "previous_due_at": _iso(case.due_at), "due_at": _iso(due)}
    if ack != case.ack_due_at:
        data |= {"previous_ack_due_at": _iso(case.ack_due_at), "ack_due_at": _iso(ack)}
    db.session.add(CaseEvent(case=case, action=RECOUNT, from_state=case.state, to_state=case.state, data=data, at=at))
    case.due_at, case.ack_due_at = due, ack
    return True


def _iso(instant: datetime | None) -> str | None:
    return instant.isoformat() if instant else None


# --- the year at a glance ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Day:
    """A day as the calendar counts it: 'workday', 'weekend', 'holiday' (a weekday off, or a day of a named
    holiday) or 'makeup' (a Saturday or Sunday worked); `name` is its holiday's."""

    day: date
    kind: str
    name: str = ""


def year_grid(year: int) -> list[list[list[Day | None]]]:
    """`year` month by month, week by week (Monday first, None outside the month), each day as deadlines count
    it now: the operator's settings, the schedule in force or the package, weekends for an unknown year."""
    calendar = deadlines.calendar()
    named = {d: h.name for h in _holidays_in_force(year) for d in h.days()}
    months = []
    for month in range(1, 13):
        first = date(year, month, 1)
        days = [first + timedelta(days=i) for i in range(31) if (first + timedelta(days=i)).month == month]
        cells = [None] * first.weekday() + [_day(d, calendar.is_workday(d), named.get(d, "")) for d in days]
        cells += [None] * (-len(cells) % 7)
        months.append([cells[i : i + 7] for i in range(0, len(cells), 7)])
    return months


def _day(day: date, worked: bool, name: str) -> Day:
    weekend = day.weekday() >= 5
    if worked:
        return Day(day, "makeup" if weekend else "workday")
    return Day(day, "holiday" if name or not weekend else "weekend", name)


def _holidays_in_force(year: int) -> list[Holiday]:
    data = export_schedule(year)
    if data is None:
        return []
    return [Holiday(h["name"], date.fromisoformat(h["from"]), date.fromisoformat(h["to"])) for h in data["holidays"]]


def source_of(year: int) -> str:
    """Where `year`'s working days come from: 'entered', 'package' or 'weekends'."""
    if current_entry(year) is not None:
        return "entered"
    return "package" if deadlines.package_knows(year) else "weekends"


# --- the reminder --------------------------------------------------------------------------------------------

REMINDER_MONTH = 12  # from 1 December, next year's deadlines are near
_reminded: set[int] = set()


def reminder_year(now: datetime) -> int | None:
    """Next year, from 1 December (local time), while it is known neither to the package nor to an entry: its
    deadlines are counted by weekends only until someone enters it. None otherwise. The log says so once per
    process."""
    today = now.astimezone(local_zone()).date()
    if today.month < REMINDER_MONTH or deadlines.calendar().knows(today.year + 1):
        return None
    if today.year + 1 not in _reminded:
        _reminded.add(today.year + 1)
        log.warning(
            "the %s holiday schedule has not been entered: deadlines in %s are counted by weekends only; "
            "enter it under Administration > Holiday calendar or with `flask calendar import`",
            today.year + 1,
            today.year + 1,
        )
    return today.year + 1

"""Working days and deadline rules: China's official calendar (with 调休 make-up days) and the rules in config.

Counting rule: a deadline of N working days ends at the end (23:59:59, local time) of the N-th working day
after the local day of receipt; a deadline of N hours is N elapsed hours after receipt. A platform-supplied
办理时限 wins over the rules.

Which days are worked, in this order: CALENDAR_EXTRA_WORKDAYS / CALENDAR_EXTRA_HOLIDAYS (the operator's last word,
for every year); then the schedule an administrator entered for the day's year (节假日安排: its holidays and
make-up days, weekends otherwise), which overrides the package for that year; then chinesecalendar; for a year
known to neither, Saturdays and Sundays are the days off and the log says so once per year.

Due-soon and overdue are worked out when read (due_state, and ack_state for the acknowledgement), never stored;
what overdue and awaiting acknowledgement mean is defined once, for Python and SQL, on Case (models/cases.py).
"""

import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
from flask import current_app, g
from sqlalchemy import func, select

from .clock import local_zone
from .extensions import db
from .models import Case, HolidaySchedule, utcnow

log = logging.getLogger(__name__)
END_OF_DAY = time(23, 59, 59)
_RULE = re.compile(r"^\s*(\d+)\s*(h|wd)\s*$")


@dataclass(frozen=True)
class Rule:
    """A deadline rule: `amount` elapsed hours (unit "h") or working days (unit "wd")."""

    amount: int
    unit: str

    @classmethod
    def parse(cls, text: str) -> "Rule":
        match = _RULE.match(str(text))
        if not match:
            raise ValueError(f"deadline rule {text!r} is neither '<n>h' nor '<n>wd'")
        return cls(int(match.group(1)), match.group(2))


@dataclass(frozen=True)
class EnteredDays:
    """The schedules administrators entered (the latest entry of each year): the years they decide, and the days
    they name (True: a make-up working day, False: a holiday). `version` is the newest entry's id."""

    years: frozenset[int] = frozenset()
    days: dict[date, bool] = field(default_factory=dict)
    version: int | None = None


def schedule_days(holidays: list[dict], workdays: list[str]) -> dict[date, bool]:
    """The days a schedule names, in its JSON form: every day of each holiday False, each make-up day True."""
    days: dict[date, bool] = {}
    for holiday in holidays:
        day, last = date.fromisoformat(holiday["from"]), date.fromisoformat(holiday["to"])
        while day <= last:
            days[day] = False
            day += timedelta(days=1)
    days.update({date.fromisoformat(d): True for d in workdays})
    return days


def package_knows(year: int) -> bool:
    """Whether the installed chinesecalendar has the official schedule of `year`."""
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


class WorkCalendar:
    """Working days in one time zone; answers are cached, so bulk intake pays one lookup per day."""

    def __init__(self, zone: ZoneInfo, extra_holidays=(), extra_workdays=(), entered: EnteredDays | None = None):
        self.zone = zone
        self._holidays = {date.fromisoformat(str(d)) for d in extra_holidays}
        self._workdays = {date.fromisoformat(str(d)) for d in extra_workdays}
        self.entered = entered or EnteredDays()
        self._known: dict[date, bool] = {}
        self._after: dict[tuple[date, int], date] = {}
        self.warned_years: set[int] = set()

    def is_workday(self, day: date, *, warn: bool = True) -> bool:
        """A working day by the overrides, the entered schedule, the package, or weekends for unknown years
        (logged once per year; not with `warn` False, for a day no deadline is counted through)."""
        if not warn and day not in self._known:
            return self._lookup(day, warn=False)
        if day not in self._known:
            self._known[day] = self._lookup(day)
        return self._known[day]

    def knows(self, year: int) -> bool:
        """Whether `year`'s official schedule is known: entered by an administrator or in the package."""
        return year in self.entered.years or package_knows(year)

    def _lookup(self, day: date, warn: bool = True) -> bool:
        if day in self._workdays:
            return True
        if day in self._holidays:
            return False
        if day in self.entered.days:
            return self.entered.days[day]
        if day.year in self.entered.years:
            return day.weekday() < 5
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            if warn and day.year not in self.warned_years:
                self.warned_years.add(day.year)
                log.warning(
                    "the holiday schedule of %s is known neither to chinesecalendar nor to the calendar page: "
                    "counting weekends only plus the configured overrides (CALENDAR_EXTRA_HOLIDAYS / "
                    "CALENDAR_EXTRA_WORKDAYS); enter it under Administration > Holiday calendar",
                    day.year,
                )
            return day.weekday() < 5

    def workday_after(self, day: date, n: int) -> date:
        """The n-th working day after `day` (n = 0: `day` itself)."""
        key = (day, n)
        if key not in self._after:
            current, left = day, n
            while left > 0:
                current += timedelta(days=1)
                left -= self.is_workday(current)
            self._after[key] = current
        return self._after[key]

    def workday_before(self, day: date, n: int = 1) -> date:
        """The n-th working day before `day`."""
        current = day
        while n > 0:
            current -= timedelta(days=1)
            n -= self.is_workday(current)
        return current

    def local_date(self, instant: datetime) -> date:
        return instant.astimezone(self.zone).date()

    def end_of(self, day: date) -> datetime:
        """The last second of a local day, as an aware UTC instant."""
        return datetime.combine(day, END_OF_DAY, self.zone).astimezone(UTC)

    def apply(self, rule: Rule, start: datetime) -> datetime:
        """When a rule started at `start` runs out."""
        if rule.unit == "h":
            return start + timedelta(hours=rule.amount)
        return self.end_of(self.workday_after(self.local_date(start), rule.amount))

    def shift(self, instant: datetime, working_days: int) -> datetime:
        """The same local time of day, `working_days` working days later (negative: earlier)."""
        local = instant.astimezone(self.zone)
        step = self.workday_after if working_days >= 0 else self.workday_before
        day = step(local.date(), abs(working_days))
        return datetime.combine(day, local.timetz().replace(tzinfo=None), self.zone).astimezone(UTC)


class Rules:
    """The configured deadline rules, parsed once per app."""

    def __init__(self, config):
        self.ack_by_urgency = {k: Rule.parse(v) for k, v in config["DEADLINE_ACK_BY_URGENCY"].items()}
        self.ack_default = Rule.parse(config["DEADLINE_ACK_DEFAULT"])
        self.due_by_category = {k: Rule.parse(v) for k, v in config["DEADLINE_DUE_BY_CATEGORY"].items()}
        self.due_by_type = {k: Rule.parse(v) for k, v in config["DEADLINE_DUE_BY_TYPE"].items()}
        self.due_default = Rule.parse(config["DEADLINE_DUE_DEFAULT"])
        self.due_soon_days = int(config["DUE_SOON_WORKING_DAYS"])
        self.ack_due_soon = timedelta(minutes=float(config["ACK_DUE_SOON_MINUTES"]))
        self._config = config
        self._shared = self._calendar(EnteredDays())

    @property
    def calendar(self) -> WorkCalendar:
        """The calendar this app context counts by: the one every thread of the process shares (the committed
        entries), or, once a schedule was entered in this context, the one with it (entered_schedules_changed)."""
        return g.get(_ENTERED) or self._shared

    def _calendar(self, entered: EnteredDays) -> WorkCalendar:
        zone, config = local_zone(self._config), self._config
        return WorkCalendar(zone, config["CALENDAR_EXTRA_HOLIDAYS"], config["CALENDAR_EXTRA_WORKDAYS"], entered)

    def follow_entered_schedules(self) -> None:
        """Rebuild the calendar when the entered schedules changed since it was built (their newest id): asked
        once per app context (a request, a job, a command), so every worker follows an entry made in another."""
        if g.get(_CHECKED) or g.get(_ENTERED):  # an entry of this context's may be uncommitted: never shared
            return
        g.setdefault(_CHECKED, True)
        with db.session.no_autoflush:
            version = db.session.scalar(select(func.max(HolidaySchedule.id)))
        if version != self._shared.entered.version:
            self._shared = self.with_entered(version)

    def with_entered(self, version: int | None) -> WorkCalendar:
        """A new calendar of the entries as this session sees them up to `version` (the newest id)."""
        calendar = self._calendar(_load_entered(version))
        calendar.warned_years = self._shared.warned_years  # the fallback is logged once per year and process
        return calendar

    def ack_rule(self, urgency: str | None) -> Rule:
        return self.ack_by_urgency.get(urgency or "", self.ack_default)

    def due_rule(self, request_type: str | None, category: str | None) -> Rule:
        """Utility categories (water, power, gas, heating) first, then the request type, then the default."""
        if category in self.due_by_category:
            return self.due_by_category[category]
        return self.due_by_type.get(request_type or "", self.due_default)


_CHECKED = "casework_calendar_checked"
_ENTERED = "casework_calendar_entered"


def _load_entered(version: int | None) -> EnteredDays:
    """The latest entry of every year entered, as the calendar reads it."""
    if version is None:
        return EnteredDays()
    latest = select(func.max(HolidaySchedule.id)).group_by(HolidaySchedule.year)
    with db.session.no_autoflush:
        entries = db.session.scalars(
            select(HolidaySchedule).where(HolidaySchedule.id.in_(latest)).order_by(HolidaySchedule.year)
        ).all()
    days: dict[date, bool] = {}
    for entry in entries:  # by year: a day a later year's schedule names too (元旦 from 12-30) is that year's
        days.update(schedule_days(entry.holidays, entry.workdays))
    return EnteredDays(frozenset(e.year for e in entries), days, version)


def rules() -> Rules:
    """This app's rules and calendar (built on first use, cached on the app; the calendar follows the entered
    schedules)."""
    ext = current_app.extensions
    if "casework.deadlines" not in ext:
        ext["casework.deadlines"] = Rules(current_app.config)
    ext["casework.deadlines"].follow_entered_schedules()
    return ext["casework.deadlines"]


def check_entered_schedules_again() -> None:
    """The next deadline of this app context checks the entered schedules again (one query): a long intake run
    asks before each batch, so the orders it imports after an entry was committed mid-run follow that entry."""
    g.pop(_CHECKED, None)


def entered_schedules_changed() -> WorkCalendar:
    """Called once a schedule is entered (flushed, not committed): this app context counts by the calendar with
    it from now on, and gets it back. The calendar the process shares is left alone, since the entry may yet be
    rolled back: every app context that starts after it is committed follows it (follow_entered_schedules)."""
    r = rules()
    with db.session.no_autoflush:
        version = db.session.scalar(select(func.max(HolidaySchedule.id)))
    calendar = r.with_entered(version)
    setattr(g, _ENTERED, calendar)
    return calendar


def calendar() -> WorkCalendar:
    return rules().calendar


def deadlines_for(
    request_type: str | None,
    urgency: str | None,
    received_at: datetime,
    *,
    category: str | None = None,
    deadline: datetime | None = None,
    calendar: WorkCalendar | None = None,
) -> tuple[datetime, datetime]:
    """(ack_due_at, due_at) for an order received at `received_at`; a platform `deadline` wins for due_at.
    Counted by `calendar` (the recount's before and after), else this app context's.

    The acknowledgement deadline never falls after the due time.
    """
    r = rules()
    calendar = calendar or r.calendar
    due_at = deadline or calendar.apply(r.due_rule(request_type, category), received_at)
    ack_due_at = calendar.apply(r.ack_rule(urgency), received_at)
    return min(ack_due_at, due_at), due_at


def extended_due(due_at: datetime, working_days: int, *, calendar: WorkCalendar | None = None) -> datetime:
    """The due time after an extension (延期) of `working_days` working days, counted by `calendar` (else this
    app context's)."""
    return (calendar or rules().calendar).shift(due_at, working_days)


def due_state(case: Case, now: datetime | None = None) -> str:
    """'overdue' after due_at (Case.overdue_at), 'due-soon' within DUE_SOON_WORKING_DAYS working days before it
    (the yellow card), else 'on-time'; 'none' for a resolved case or one without a due time."""
    if not case.deadline_running:
        return "none"
    now = now or utcnow()
    if case.overdue_at(now):
        return "overdue"
    r = rules()
    return "due-soon" if now >= r.calendar.shift(case.due_at, -r.due_soon_days) else "on-time"


def ack_state(case: Case, now: datetime | None = None) -> str:
    """For an order awaiting acknowledgement (Case.awaiting_acknowledgement): 'overdue' after ack_due_at,
    'due-soon' within ACK_DUE_SOON_MINUTES before it, else 'on-time'; 'none' for any other case."""
    if not case.awaiting_acknowledgement:
        return "none"
    now = now or utcnow()
    if case.ack_overdue_at(now):
        return "overdue"
    return "due-soon" if now >= case.ack_due_at - rules().ack_due_soon else "on-time"

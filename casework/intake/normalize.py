"""One order row as read (from a file or the feed) → the fields of a new case, or the reasons it cannot be.

Rows use the canonical keys of contracts.md (order_no, received_at, content, caller_name, caller_phone,
request_type, category, address, village, urgency, deadline); values are strings, datetimes or None.
Short fields are NFKC-folded (full-width letters, digits and brackets become ASCII); the content keeps its
Chinese punctuation and only has full-width letters, digits and spaces folded. Times without an offset
are read as the township's local time (Asia/Shanghai by default).

Every text value is cleaned (text.clean: no NUL, other C0 controls, DEL or lone surrogates) as it is
folded, so that whatever a row carries, what is checked and stored is text every database keeps; every
value stored is cut to its column's length, except the order number, which is refused when too long
(a cut number would be another order's).
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from ..clock import local_zone
from ..extensions import db
from ..models import Case, Village, utcnow
from ..refusals import N_
from ..text import clean, fold

FIELDS = (
    "order_no",
    "received_at",
    "content",
    "caller_name",
    "caller_phone",
    "request_type",
    "category",
    "address",
    "village",
    "urgency",
    "deadline",
)
MISSING_ORDER_NO = N_("The order number is missing.")
BAD_ORDER_NO = N_("The order number is longer than 40 characters or contains spaces.")
MISSING_RECEIVED = N_("The received time is missing.")
BAD_RECEIVED = N_("The received time cannot be read.")
FUTURE_RECEIVED = N_("The received time is in the future.")
MISSING_CONTENT = N_("The content is missing.")
# No longer given (a phone never blocks an order): kept so that rows refused for it before still show why.
BAD_PHONE = N_("The phone number cannot be read.")
BAD_URGENCY = N_("The urgency is not one of 一般, 紧急, 特急.")
BAD_DEADLINE = N_("The deadline cannot be read.")
EARLY_DEADLINE = N_("The deadline is before the received time.")
LATE_DEADLINE = N_("The deadline is more than a year after the received time.")

URGENCY_ALIASES = {
    "一般": ("普通", "正常", "一般件", "低", "较低", "不紧急", "非紧急"),
    "紧急": ("急", "加急", "较急", "紧急件", "比较紧急"),
    "特急": ("特急件", "特别紧急", "非常紧急", "十分紧急", "特提"),
}
TYPE_ALIASES = {"意见建议": "建议", "表扬": "感谢", "感谢表扬": "感谢", "表扬感谢": "感谢", "其它": "其他"}
NO_PHONE = {"", "无", "匿名", "保密", "未知", "-", "--", "—", "/", "null", "none"}
_DATE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[\sT]*(\d{1,2})\s*[:：时点]\s*(?:(\d{1,2})\s*[:：分]?\s*(?:(\d{1,2})(?:\.\d+)?\s*秒?)?)?)?\s*$"
)
_WIDE_ALNUM = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F) if chr(c - 0xFEE0).isalnum()} | {0x3000: 0x20}
_PHONE_SEPARATORS = re.compile(r"[\s\-()（）]")
_PHONE_LISTS = re.compile(r"[,;/、，；]")
_EXTENSION = re.compile(r"转|分机|ext\.?|#", re.IGNORECASE)
_MASKED_DIGITS = re.compile(r"^[0-9*]*[0-9][0-9*]*$")  # 138****1111: the platform hid part of it
# The lengths of the cases columns a row fills, read from the model so that they cannot drift apart.
LENGTH = {
    name: Case.__table__.c[name].type.length
    for name in ("number", "caller_name", "caller_phone", "category", "address", "request_type")
}
PHONE_LENGTH = LENGTH["caller_phone"]
FUTURE_TOLERANCE = timedelta(days=1)
LONGEST_DEADLINE = timedelta(days=366)
READABLE_YEARS = (1990, 2200)


@dataclass(frozen=True)
class Problem:
    """Why a row cannot be imported: the field to correct and a message (an English msgid)."""

    field: str
    message: str


def fold_text(value) -> str:
    """Long text, cleaned: full-width letters, digits and spaces folded; Chinese punctuation kept; trimmed."""
    if value is None:
        return ""
    return clean(str(value)).translate(_WIDE_ALNUM).strip()


def caller_phone(value) -> tuple[str, str | None]:
    """The caller's phone as the platform gave it, tidied ('' when none given), and that text as given when
    the phone leaves part of it out (several numbers, or too long), so that nothing given is lost.

    Never refused (domain.md §1): a plain number loses its separators and +86 (the first one if several),
    an extension stays after 转, a number the platform masked (138****1111) stays masked, and anything
    else is kept as written.
    """
    text = fold(value)
    if text.lower() in NO_PHONE:
        return "", None
    numbers = [part.strip() for part in _PHONE_LISTS.split(text) if part.strip()]
    phone = _one_phone(numbers[0]) if numbers else text
    return phone[:PHONE_LENGTH], text if len(numbers) > 1 or len(phone) > PHONE_LENGTH else None


def _one_phone(text: str) -> str:
    parts = _EXTENSION.split(text, maxsplit=1)
    number = _PHONE_SEPARATORS.sub("", parts[0])
    for prefix in ("+86", "0086"):
        number = number.removeprefix(prefix)
    if len(number) == 13 and number.startswith("861"):
        number = number[2:]
    if not (number.isascii() and _MASKED_DIGITS.match(number)):
        return text  # not a number we know how to write: kept as the platform wrote it
    extension = _PHONE_SEPARATORS.sub("", parts[1]) if len(parts) > 1 else ""
    return f"{number}转{extension}" if extension else number


def parse_time(value, zone: ZoneInfo, *, end_of_day: bool = False) -> datetime | None:
    """An aware UTC datetime from an export's way of writing it; None if it cannot be read.

    A date without a time is the start of that day, or its end (`end_of_day`, for deadlines).
    """
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, datetime.min.time())
        moment = moment.replace(hour=23, minute=59, second=59) if end_of_day else moment
    else:
        moment = _parse_text(fold(value), end_of_day)
        if moment is None:
            return None
    if not READABLE_YEARS[0] <= moment.year <= READABLE_YEARS[1]:
        return None  # year 1 or 9999 is a typing slip, and would overflow on the way to UTC
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def _parse_text(text: str, end_of_day: bool) -> datetime | None:
    match = _DATE.match(text)
    if match:
        y, mo, d, h, mi, s = (int(g) if g else None for g in match.groups())
        try:
            if h is None:
                return datetime(y, mo, d, 23, 59, 59) if end_of_day else datetime(y, mo, d)
            return datetime(y, mo, d, h, mi or 0, s or 0)
        except ValueError:
            return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None
    except ValueError:
        return None


def _cut(text: str, column: str) -> str:
    """`text` within its column's length (a name or an address cut short still says who or where)."""
    return text[: LENGTH[column]].rstrip()


class VillageFinder:
    """Finds the village from 所属村, else from the address: names and aliases, longest match first."""

    def __init__(self, villages: list[tuple[int, str, str]]):
        self.exact: dict[str, int] = {}
        for village_id, name, aliases in villages:
            names = [fold(name)] + [fold(a) for a in re.split(r"[,，、;；]", aliases or "") if fold(a)]
            for token in names:
                self.exact.setdefault(token, village_id)
        self.tokens = sorted(self.exact.items(), key=lambda item: -len(item[0]))
        self.short = {name.removesuffix("村"): vid for name, vid in self.exact.items() if len(name) > 2}

    @classmethod
    def from_db(cls) -> "VillageFinder":
        return cls(list(db.session.execute(select(Village.id, Village.name, Village.aliases))))

    def find(self, village_text: str, address: str) -> int | None:
        if village_text in self.exact:
            return self.exact[village_text]
        if village_text in self.short:
            return self.short[village_text]
        return self._search(village_text) or self._search(address)

    def _search(self, text: str) -> int | None:
        if text:
            for token, village_id in self.tokens:
                if token in text:
                    return village_id
        return None


class Normalizer:
    """Checks and cleans rows for one intake; holds what every row needs (villages, vocabularies, zone)."""

    def __init__(self, finder: VillageFinder, zone: ZoneInfo, request_types, urgencies, now: datetime):
        self.finder, self.zone, self.now = finder, zone, now
        self.request_types = set(request_types)
        self.urgency = {u: u for u in urgencies}
        for canonical, aliases in URGENCY_ALIASES.items():
            if canonical in self.urgency:
                self.urgency.update(dict.fromkeys(aliases, canonical))

    @classmethod
    def for_app(cls) -> "Normalizer":
        cfg = current_app.config
        return cls(VillageFinder.from_db(), local_zone(), cfg["REQUEST_TYPES"], cfg["URGENCIES"], utcnow())

    def row(self, raw: dict) -> tuple[dict | None, list[Problem]]:
        """The case fields of a good row (number, received_at, … village_id, deadline), or its problems."""
        problems: list[Problem] = []
        number = self._order_no(raw.get("order_no"), problems)
        received_at = self._received_at(raw.get("received_at"), problems)
        content = fold_text(raw.get("content"))
        if not content:
            problems.append(Problem("content", MISSING_CONTENT))
        urgency = self._urgency(raw.get("urgency"), problems)
        deadline = self._deadline(raw.get("deadline"), received_at, problems)
        if problems:
            return None, problems
        return self._fields(raw, number, received_at, content, urgency, deadline), []

    def _fields(self, raw, number, received_at, content, urgency, deadline) -> dict:
        address = _cut(fold(raw.get("address")), "address")
        phone, phone_given = caller_phone(raw.get("caller_phone"))
        given_type = fold(raw.get("request_type"))
        request_type = self._request_type(given_type)
        return {
            "number": number,
            "received_at": received_at,
            "content": content,
            "caller_name": _cut(fold(raw.get("caller_name")), "caller_name"),
            "caller_phone": phone,
            "request_type": request_type,
            "category": _cut(fold(raw.get("category")), "category"),
            "address": address,
            "village_id": self.finder.find(fold(raw.get("village")), address),
            "urgency": urgency,
            "deadline": deadline,
            "given_type": given_type if given_type and given_type != request_type else None,
            "given_phone": phone_given,
        }

    def _order_no(self, value, problems: list[Problem]) -> str:
        number = fold(value)
        if not number:
            problems.append(Problem("order_no", MISSING_ORDER_NO))
        elif len(number) > LENGTH["number"] or " " in number:
            problems.append(Problem("order_no", BAD_ORDER_NO))
        return number

    def _received_at(self, value, problems: list[Problem]) -> datetime | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            problems.append(Problem("received_at", MISSING_RECEIVED))
            return None
        moment = parse_time(value, self.zone)
        if moment is None:
            problems.append(Problem("received_at", BAD_RECEIVED))
        elif moment > self.now + FUTURE_TOLERANCE:
            problems.append(Problem("received_at", FUTURE_RECEIVED))
        return moment

    def _urgency(self, value, problems: list[Problem]) -> str:
        text = fold(value)
        if not text:
            return "一般"
        urgency = self.urgency.get(text) or self.urgency.get(text.removesuffix("件"))
        if urgency is None:
            problems.append(Problem("urgency", BAD_URGENCY))
        return urgency or ""

    def _request_type(self, text: str) -> str:
        """A known type, its usual variants (咨询类, 意见建议 …), else 其他 (the original goes in the history)."""
        for candidate in (text, text.removesuffix("类"), text.removesuffix("件"), TYPE_ALIASES.get(text, "")):
            if candidate in self.request_types:
                return candidate
        return "其他" if "其他" in self.request_types else _cut(text, "request_type")

    def _deadline(self, value, received_at: datetime | None, problems: list[Problem]) -> datetime | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        moment = parse_time(value, self.zone, end_of_day=True)
        if moment is None:
            problems.append(Problem("deadline", BAD_DEADLINE))
        elif received_at is not None and moment < received_at:
            problems.append(Problem("deadline", EARLY_DEADLINE))
        elif received_at is not None and moment > received_at + LONGEST_DEADLINE:
            problems.append(Problem("deadline", LATE_DEADLINE))
        return moment

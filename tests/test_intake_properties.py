"""Property-based tests of intake (issue 8): whatever a row, a ticket or a page holds, the normaliser answers
with fields or problems, ingest keeps every row once, and the feed parser answers with a page or a FeedError.

Values are drawn from arbitrary Unicode with control characters, lone surrogates, formula prefixes and
10,000-character strings, mixed with values that pass, so that rows are imported as well as refused.
"""

import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from casework.extensions import db
from casework.intake.feed import FeedClient, FeedError, Page, fetch_page, ticket_row
from casework.intake.ingest import ingest, raw_fields, row_digest
from casework.intake.normalize import (
    FIELDS,
    LENGTH,
    PHONE_LENGTH,
    Normalizer,
    Problem,
    VillageFinder,
    caller_phone,
    fold_text,
    parse_time,
)
from casework.models import Case, RejectedRow
from casework.text import clean, fold

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# --- what rows are made of ------------------------------------------------------------------------------

hostile_char = st.one_of(
    st.characters(),
    st.characters(max_codepoint=0x1F),  # C0 controls, NUL first
    st.characters(categories=["Cs"]),  # lone surrogates
    st.sampled_from(["\x7f", "\u2028", "\ufeff", "\u3000", "ｅ", "１", "（", "㍿", "ﬁ", " "]),
)
hostile_text = st.one_of(
    st.text(hostile_char, max_size=30),
    st.tuples(st.sampled_from(FORMULA_STARTS), st.text(hostile_char, max_size=20)).map("".join),
    st.tuples(st.text(hostile_char, min_size=1, max_size=3), st.just(10_000)).map(lambda t: (t[0] * t[1])[:10_000]),
)
good_time = st.datetimes(datetime(2025, 1, 1), datetime(2026, 12, 1)).map(lambda d: d.strftime("%Y-%m-%d %H:%M"))
good_no = st.integers(1, 10**12).map(lambda n: f"GD{n:012d}")
dirty_good_no = st.tuples(good_no, st.sampled_from(["\x00", "\x1b", "\ud800", "\x7f", "１"])).map("".join)
any_value = st.one_of(st.none(), hostile_text, st.integers(), st.floats(), st.booleans(), st.datetimes(), st.dates())
# A row that passes the checks, with hostile text in every field that is not checked and in its content.
passing = {
    "order_no": st.one_of(good_no, dirty_good_no),
    "received_at": good_time,
    "content": st.tuples(st.just("路灯不亮"), hostile_text).map("".join),
    "urgency": st.sampled_from(["", "一般", "紧急", "特急件", None]),
    "deadline": st.none(),
}
# A row of anything: mostly refused.
anything = {key: any_value for key in FIELDS} | {"order_no": st.one_of(good_no, hostile_text)}


@st.composite
def raw_rows(draw, max_size: int = 8) -> list[dict]:
    rows = []
    for line in range(2, 2 + draw(st.integers(0, max_size))):
        row = {key: draw(any_value) for key in FIELDS}
        checked = passing if draw(st.booleans()) else anything
        rows.append(row | {key: draw(value) for key, value in checked.items()} | {"line": line})
    return rows


def normalizer(other_type: bool = True) -> Normalizer:
    """The usual vocabularies; without 其他, an unknown request type is kept as given (cut to its column)."""
    finder = VillageFinder([(1, "东风村", "东风,东风社区"), (2, "红旗村", "")])
    types = ("咨询", "求助", "投诉", "举报", "建议", "感谢") + (("其他",) if other_type else ())
    return Normalizer(finder, SHANGHAI, types, ("一般", "紧急", "特急"), NOW)


def is_clean(value) -> bool:
    return not isinstance(value, str) or clean(value) == value


# --- the normaliser (no database) -----------------------------------------------------------------------


@given(raw_rows(max_size=2))
@example([{key: "\x00" * 10_000 for key in FIELDS} | {"line": 2}])
@example([{key: '=HYPERLINK("http://evil.example","x")' for key in FIELDS} | {"line": 2}])
def test_a_row_gives_clean_fields_within_their_columns_or_its_problems(rows):
    for raw in rows:
        fields, problems = normalizer(other_type=raw["line"] % 2 == 0).row(raw)

        if fields is None:
            assert problems and all(isinstance(p, Problem) and p.message for p in problems)
            continue
        assert problems == []
        assert all(is_clean(value) for value in fields.values())
        assert 0 < len(fields["number"]) <= LENGTH["number"] and " " not in fields["number"]
        for column in ("caller_name", "caller_phone", "category", "address", "request_type"):
            assert len(fields[column]) <= LENGTH[column]
        assert fields["content"] and fields["urgency"] in ("一般", "紧急", "特急")
        assert fields["received_at"].tzinfo is not None


@given(st.one_of(hostile_text, st.none(), st.integers(), st.floats()))
def test_fold_and_fold_text_give_clean_trimmed_text(value):
    for folded in (fold(value), fold_text(value)):
        assert isinstance(folded, str) and is_clean(folded)
        assert folded == folded.strip()


@given(st.one_of(hostile_text, st.none(), st.integers()))
@example("138\x0012345678")
@example("1" * 10_000)
def test_a_phone_is_clean_and_fits_its_column(value):
    phone, given = caller_phone(value)

    assert is_clean(phone) and len(phone) <= PHONE_LENGTH
    assert given is None or is_clean(given)


@given(st.one_of(hostile_text, st.none(), st.integers(), st.floats(), st.datetimes(), st.dates()), st.booleans())
@example("9999-12-31 23:59", False)
@example(datetime(1, 1, 1), True)
def test_a_time_is_read_as_utc_or_not_at_all(value, end_of_day):
    moment = parse_time(value, SHANGHAI, end_of_day=end_of_day)

    assert moment is None or (moment.tzinfo is UTC and 1989 <= moment.year <= 2200)


# --- ingest (the database, both of them) ----------------------------------------------------------------


def stored_strings() -> list[str]:
    cases = db.session.execute(
        select(Case.number, Case.content, Case.caller_name, Case.caller_phone, Case.category, Case.address)
    )
    kept = db.session.execute(select(RejectedRow.source_name, RejectedRow.reason, RejectedRow.raw))
    strings = [value for row in cases for value in row]
    for source, reason, raw in kept:
        strings += [source, reason, *raw.values()]
    return strings


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@settings(max_examples=20)
@given(rows=raw_rows())
def test_every_row_is_imported_or_kept_once_and_a_second_read_adds_nothing(app, rows):
    cases_before, kept_before = count(Case), count(RejectedRow)  # examples share the database

    first = ingest(rows, None, "export\x00.csv")
    db.session.commit()
    again = ingest(rows, None, "export\x00.csv")
    db.session.commit()

    assert first.fetched == first.new + first.duplicates + first.rejected == len(rows)
    assert (count(Case) - cases_before, count(RejectedRow) - kept_before) == (first.new, first.rejected)
    assert (again.fetched, again.new, again.rejected, again.duplicates) == (len(rows), 0, 0, len(rows))
    numbers = set(db.session.scalars(select(Case.number)))
    digests = set(db.session.scalars(select(RejectedRow.digest)))
    for raw in rows:
        imported = fold(raw["order_no"]) in numbers
        kept = row_digest(raw_fields(raw), raw["line"]) in digests
        assert imported or kept
    assert all(is_clean(value) for value in stored_strings())


# --- the feed's page parser, over real HTTP -------------------------------------------------------------


class _Body:
    """The bytes the local server answers every request with."""

    data = b"{}"


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the name http.server calls
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(_Body.data)))
        self.end_headers()
        self.wfile.write(_Body.data)

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture(scope="module")
def answering():
    """A local HTTP server answering whatever _Body holds; yields a client of it."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield FeedClient(f"http://127.0.0.1:{server.server_port}", "token", 5.0)
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


json_scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), hostile_text)
json_value = st.recursive(
    json_scalar, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3)
)
ticket = st.dictionaries(st.one_of(st.sampled_from(FIELDS), st.text(max_size=5)), json_value, max_size=12)
page_like = st.fixed_dictionaries(
    {"tickets": st.one_of(st.lists(ticket, max_size=4), json_value)},
    optional={"next": json_value},
)
body = st.one_of(
    page_like.map(json.dumps),
    json_value.map(json.dumps),
    st.binary(max_size=50).map(lambda b: b.decode("latin-1")),
)


def _encoded(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")  # a lone surrogate goes as the platform's bad bytes


@given(body)
@example('{"tickets": [], "next": ' + "[" * 100_000 + "]" * 100_000 + "}")
@example('{"tickets": [{"order_no": "A", "content": "\\u0000", "received_at": "\\ud800"}], "next": "1"}')
@example('{"tickets": [{"order_no": ' + "9" * 5000 + '}], "next": null}')
@example('{"tickets": [], "next": NaN}')
@example('{"tickets": [], "next": "a\\u0000b"}')
@example('{"tickets": [], "next": "\\ud800"}')
def test_a_page_is_read_or_refused_with_a_feed_error(answering, text):
    _Body.data = _encoded(text)
    try:
        page = fetch_page(answering, "", 10)
    except FeedError:
        return
    assert isinstance(page, Page) and (page.next is None or isinstance(page.next, str))
    assert page.next is None or clean(page.next) == page.next  # a cursor the database can store, as given
    for row in map(ticket_row, page.tickets):
        assert set(row) == {*FIELDS, "line"}
        assert all(value is None or isinstance(value, str) for value in row.values())

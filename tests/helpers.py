"""What the test files share: plain functions and constants. The fixtures are in conftest.py.

A helper that one test file uses stays in that file; one that several use lives here, so that no test file
imports another (importing a test module also hands pytest its tests a second time, in some setups).
"""

import csv
import io
import queue
import shutil
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pyotp
import pytest
from flask import g
from flask_babel import get_domain
from openpyxl import Workbook
from PIL import Image
from sqlalchemy import create_engine, event, func, select, text, update

from casework import deadlines, holidays, people, second_factor, sessions, workflow
from casework.audit import Origin
from casework.extensions import db
from casework.models import Case, CaseEvent, UserSession, utcnow
from casework.queue import QueueFilter, queue_page
from casework.refusals import InvalidInput

PASSWORD = "secret-pw"  # every user the factories make has it
TRANSLATIONS = Path(__file__).resolve().parent.parent / "casework" / "translations"

# --- logging in -------------------------------------------------------------------------------------------


def login_as(client, user) -> None:
    """Puts the user in the session (the login form itself is tested in test_auth.py)."""
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
    new_request()


def new_request() -> None:
    """Forget the user Flask-Login cached on `g`: the tests' app context outlives each request."""
    g.pop("_login_user", None)


def page(response) -> str:
    return response.get_data(as_text=True)


def login_through_form(client, username: str) -> None:
    """Logs the user in through the login form; fails the test unless the form lets them in."""
    r = client.post("/login", data={"username": username, "password": PASSWORD})
    assert r.status_code == 302


def forget_loaded_catalogs() -> None:
    """Flask-Babel caches loaded catalogs per locale in the one Babel object all test apps share."""
    get_domain().cache.clear()


# --- sessions ---------------------------------------------------------------------------------------------


def log_in(client, user) -> str:
    """Log in through the real form; the session cookie's value."""
    answer = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
    new_request()
    return client.get_cookie("session").value


def replay(client, cookie: str, path: str = "/my"):
    """The request a thief makes with a cookie copied earlier."""
    client.set_cookie("session", cookie)
    new_request()
    return client.get(path)


def sent_to_login(answer) -> bool:
    return answer.status_code == 302 and "/login" in answer.headers["Location"]


def rows_of(user) -> list[UserSession]:
    db.session.expire_all()
    return list(db.session.scalars(select(UserSession).where(UserSession.user_id == user.id)))


def set_back(cookie: str, **times: timedelta) -> None:
    """Move the session's created_at / last_seen_at into the past."""
    values = {name: utcnow() - ago for name, ago in times.items()}
    db.session.execute(update(UserSession).where(UserSession.key_hash == sessions.key_hash(cookie)).values(values))
    db.session.commit()


# --- administration -------------------------------------------------------------------------------------

GOOD_PW = "long-enough"


def refused(field: str, call, *args, **kw) -> str:
    """Run a service that must refuse the input at `field`; return the message."""
    with pytest.raises(InvalidInput) as info:
        call(*args, **kw)
    assert info.value.field == field
    db.session.rollback()
    return str(info.value)


def edit_village(actor, village, **kw):
    """Saves the village as it is but for `kw`, through the people service."""
    fields = dict(name=village.name, aliases=village.aliases, district=village.district)
    fields["default_cadre"] = village.default_cadre
    fields.update(kw)
    return people.update_village(actor, village, **fields)


# --- cases in every state, and who may act on them --------------------------------------------------------

# The roles a case meets (user_for gives each its user), the kinds of case, and the states the actions start from.
ROLES = ("admin", "dispatcher", "village_cadre", "other_cadre", "assignee", "leader")
KINDS = ("order", "dispute")
STATES = ("received", "assigned", "resolved")
MATRIX = [(r, k, s) for r in ROLES for k in KINDS for s in STATES]


def case_in(make, world, kind: str, state: str, **kw) -> Case:
    """A case of village v1 in the given state; assigned and resolved ones belong to cadre1."""
    fields = {"state": state}
    if kind == "dispute":
        fields.update(
            kind="dispute", number=f"JF2026-{make.n():05d}", tier="village", request_type="", category="邻里纠纷"
        )
    if state != "received":
        fields.update(assignee=world.cadre1, acknowledged_at=datetime(2026, 10, 10, 2, tzinfo=UTC))
    if state == "resolved":
        fields.update(result="已处理", resolved_at=datetime(2026, 10, 11, 2, tzinfo=UTC))
        if kind == "dispute":
            fields.update(outcome="withdrawn")
    fields.update(kw)
    return make.order(world.v1, **fields)


def user_for(world, role: str):
    """The user of the world who plays `role` towards a case of village v1 made by case_in."""
    return {
        "admin": world.admin,
        "dispatcher": world.dispatcher,
        "village_cadre": world.cadre1b,  # serves v1, not assigned
        "other_cadre": world.cadre3,  # serves v3 only
        "assignee": world.cadre1,  # serves v1 and holds assigned/resolved cases
        "leader": world.leader,
    }[role]


def expected_actions(role: str, kind: str, state: str) -> list[str]:
    """What the issue says each role may do, written out independently of the transitions table."""
    order = kind == "order"
    if role == "dispatcher":
        by_state = {
            "received": ["assign"],
            "assigned": ["reassign", "resolve"] + ([] if order else ["escalate"]) + ["urge"],
            "resolved": ["reopen"] + (["callback"] if order else []),
        }
        return by_state[state] + (["convert"] if order else []) + ["note"]
    if role == "assignee" and state == "assigned":
        return ["return", "resolve"] + ([] if order else ["escalate"]) + (["convert"] if order else []) + ["note"]
    if role in ("assignee", "village_cadre"):  # a cadre of the village (the assignee too, once resolved)
        return (["convert"] if order else []) + ["note"]
    return []  # admin, leader, a cadre of another village: nothing


def perform(action: str, case: Case, actor, world, **overrides):
    """Call the service for `action` with inputs that are valid for a case of village v1."""
    if action == "assign":
        return workflow.assign(case, actor, **({"assignee": world.cadre1} | overrides))
    if action == "reassign":
        return workflow.reassign(case, actor, **({"assignee": world.cadre1b} | overrides))
    if action == "return":
        return workflow.return_to_dispatcher(case, actor, **({"reason": "不是本村的"} | overrides))
    if action == "resolve":
        args = {"result": "已调解", "outcome": "settled", "agreement_terms": "赔偿500元，11月底前付清"}
        return workflow.resolve(case, actor, **(args | overrides))
    if action == "reopen":
        return workflow.reopen(case, actor, **({"reason": "来电人不满意"} | overrides))
    if action == "escalate":
        return workflow.escalate(case, actor, **({"assignee": world.cadre2} | overrides))
    if action == "callback":
        return workflow.record_callback(case, actor, **({"solved": True, "satisfaction": "satisfied"} | overrides))
    if action == "convert":
        args = {"category": "邻里纠纷", "content": "邻居占道", "parties": [{"name": "张三"}]}
        return workflow.convert_to_dispute(case, actor, **(args | overrides))
    if action == "note":
        return workflow.add_note(case, actor, **({"note": "已电话联系"} | overrides))
    raise AssertionError(action)


def valid_form(action: str, world, version: int) -> dict:
    """What the case page posts for `action` on a case of village v1 at `version`, valid for case_in's cases."""
    fields = {
        "assign": {"assignee": world.cadre1.id},
        "reassign": {"assignee": world.cadre1b.id},
        "return": {"reason": "不是本村的"},
        "resolve": {"result": "已调解", "outcome": "settled", "agreement_terms": "赔偿500元"},
        "reopen": {"reason": "来电人不满意"},
        "escalate": {"assignee": world.cadre2.id},
        "callback": {"solved": "yes", "satisfaction": "satisfied"},
        "note": {"note": "已电话联系"},
    }[action]
    return {f"{action}-{k}": v for k, v in (fields | {"version": version}).items()}


def events_of(case: Case) -> int:
    """How many events the case's history holds."""
    return db.session.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case.id))


# --- the queue --------------------------------------------------------------------------------------------

T0 = datetime(2026, 10, 10, 1, 0, tzinfo=UTC)  # the factory's first order is received a minute after
NOW = datetime(2026, 11, 1, tzinfo=UTC)  # the queue's "now", after every order the tests make


def numbers(page_or_cases) -> list[str]:
    """The order numbers of a queue page or a list of cases, in their order."""
    cases = getattr(page_or_cases, "cases", page_or_cases)
    return [c.number for c in cases]


def found(world, f: QueueFilter, user=None) -> set[str]:
    """The numbers the queue lists for `f`, to the dispatcher unless `user` is given."""
    return set(numbers(queue_page(user or world.dispatcher, f, limit=1000, now=NOW)))


def main_queries(world, f: QueueFilter, **page) -> list[tuple[str, object]]:
    """The SELECTs over cases that one page of the queue sends, with their parameters."""
    sent = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if "ORDER BY" in statement and "FROM cases" in statement:
            sent.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        queue_page(world.dispatcher, f, now=NOW, **page)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return sent


def plan(statement: str, parameters, in_order: bool = True) -> str:
    """The query plan. On PostgreSQL (whose few test rows it would rather scan) as if there were too many rows
    to scan and, `in_order`, to sort: is there an index for the search, and does it give the order by itself?"""
    with db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            return "\n".join(row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters))
        conn.exec_driver_sql("SET LOCAL enable_sort = " + ("off" if in_order else "on"))
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        return "\n".join(row[0] for row in conn.exec_driver_sql("EXPLAIN " + statement, parameters))


# --- two people at once -----------------------------------------------------------------------------------


class Person:
    """Someone at their own screen: a thread with its own app context, so its own session and connection."""

    def __init__(self, app):
        self._jobs: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._work, args=(app,), daemon=True)
        self._thread.start()

    def _work(self, app) -> None:
        with app.app_context():
            while (job := self._jobs.get()) is not None:
                fn, answer = job
                try:
                    answer.put((True, fn()))
                except Exception as exc:  # noqa: BLE001 - handed back to the test
                    db.session.rollback()
                    answer.put((False, exc))

    def start(self, fn) -> queue.Queue:
        """Begin `fn` without waiting for it (it may block on a lock)."""
        answer: queue.Queue = queue.Queue()
        self._jobs.put((fn, answer))
        return answer

    @staticmethod
    def outcome(answer: queue.Queue):
        ok, value = answer.get(timeout=30)
        if not ok:
            raise value
        return value

    def do(self, fn):
        return self.outcome(self.start(fn))

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def leave(self) -> None:
        self._jobs.put(None)
        self._thread.join(30)


def blocked_on_a_lock(url: str, person: Person, limit_s: float = 10) -> bool:
    """True once a connection waits on a row lock (the second writer); False if it never does."""
    engine = create_engine(url)
    query = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    try:
        with engine.connect() as conn:
            deadline = time.monotonic() + limit_s
            while time.monotonic() < deadline and person.is_alive():
                if conn.execute(query).scalar():
                    return True
                conn.rollback()  # pg_stat_activity is read once per transaction: look afresh next time
                time.sleep(0.01)
            return False
    finally:
        engine.dispose()


# --- dispute forms ----------------------------------------------------------------------------------------


def dispute_form(where, **overrides) -> dict:
    """A valid new-dispute form for a dispute in village `where` (two parties), with `overrides` on top."""
    data = {
        "village": where.id if where else 0,
        "category": "邻里纠纷",
        "source": "来访",
        "received_at": "",
        "address": "东风村三组",
        "content": "两户因排水沟堵塞发生争执",
        "parties-0-name": "王大山",
        "parties-0-contact": "13900001111",
        "parties-0-role": "申请人",
        "parties-1-name": "李小河",
        "parties-1-contact": "",
        "parties-1-role": "被申请人",
    }
    data.update(overrides)
    return data


def convert_form(order, **overrides) -> dict:
    """A valid form converting `order` into a dispute, at the order's version, with `overrides` on top."""
    data = dispute_form(order.village, version=order.version, content="两户因排水沟堵塞发生争执（由工单转来）")
    del data["source"]
    data.update(overrides)
    return data


# --- the holiday calendar ---------------------------------------------------------------------------------

SHANGHAI = ZoneInfo("Asia/Shanghai")

# A plausible 2027 schedule, not the State Council's (its notice was not at hand): the Spring Festival (初一 is
# Saturday 2027-02-06) off from Friday 02-05 to Saturday 02-13 with Sunday 02-14 and Saturday 02-20 worked, and
# the other holidays laid out as the notices of recent years lay them out.
SCHEDULE_2027 = {
    "year": 2027,
    "holidays": [
        {"name": "元旦", "from": "2027-01-01", "to": "2027-01-03"},
        {"name": "春节", "from": "2027-02-05", "to": "2027-02-13"},
        {"name": "清明节", "from": "2027-04-03", "to": "2027-04-05"},
        {"name": "劳动节", "from": "2027-05-01", "to": "2027-05-05"},
        {"name": "端午节", "from": "2027-06-09", "to": "2027-06-09"},
        {"name": "中秋节", "from": "2027-09-15", "to": "2027-09-15"},
        {"name": "国庆节", "from": "2027-10-01", "to": "2027-10-07"},
    ],
    "workdays": ["2027-02-14", "2027-02-20", "2027-05-08", "2027-09-26", "2027-10-09"],
}


def local(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def end_of(y, m, d) -> datetime:
    return local(y, m, d, 23, 59, 59).astimezone(UTC)


def due_of(received: datetime, request_type="求助") -> datetime:
    return deadlines.deadlines_for(request_type, "一般", received)[1]


def order(world, number: str, received: datetime, request_type="求助", **fields) -> Case:
    """An order of village v1 received at `received`, with the deadlines the calendar gives it then."""
    ack, due = deadlines.deadlines_for(request_type, "一般", received, deadline=fields.pop("deadline", None))
    case = workflow.receive_order(
        None,
        number=number,
        received_at=received,
        content="路灯不亮",
        village=world.v1,
        category="道路",
        request_type=request_type,
        ack_due_at=ack,
        due_at=due,
        **fields,
    )
    db.session.commit()
    return case


def enter_2027(world, at: datetime, data=SCHEDULE_2027) -> holidays.Entered:
    """The administrator enters `data` (SCHEDULE_2027) at `at`: the open cases it reaches are recounted."""
    entered = holidays.enter_schedule(world.admin, holidays.read_schedule(data), source="page", at=at)
    db.session.commit()
    return entered


# --- intake: rows and inbox files -------------------------------------------------------------------------


def row(n: int = 1, **kw) -> dict:
    """Order number n as ingest takes a row (its field names), from line n + 1 of its file."""
    fields = {
        "order_no": f"GD2026{n:07d}",
        "received_at": "2026-03-05 08:30",
        "content": f"路灯不亮，请尽快处理 {n}",
        "caller_name": "张三",
        "caller_phone": "138-1234-5678",
        "request_type": "求助",
        "category": "道路",
        "address": "东风村三组",
        "village": "",
        "urgency": "一般",
        "deadline": None,
        "line": n + 1,
    }
    fields.update(kw)
    return fields


HEADER = [
    "工单编号",
    "来电时间",
    "诉求内容",
    "来电人",
    "联系电话",
    "诉求类型",
    "问题分类",
    "事发地址",
    "所属村",
    "紧急程度",
]


def rows(n: int = 3, start: int = 1) -> list[list]:
    """n lines of an inbox file under HEADER, numbered from `start`."""
    return [
        [
            f"GD{i:08d}",
            "2026-03-05 08:30",
            f"路灯不亮，{i}号",
            "张三",
            "13812345678",
            "求助",
            "道路",
            "三组",
            "东风村",
            "一般",
        ]
        for i in range(start, start + n)
    ]


def write_csv(path: Path, header: list, body: list[list], encoding: str = "utf-8") -> Path:
    text = io.StringIO()
    csv.writer(text).writerows([header, *body])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.getvalue().encode(encoding))
    return path


def write_xlsx(path: Path, table: list[list]) -> Path:
    book = Workbook()
    sheet = book.active
    for line in table:
        sheet.append(line)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


# --- the second factor ------------------------------------------------------------------------------------

HERE = Origin.of("192.0.2.9", "pytest")
STEP = timedelta(seconds=30)


def enrolled(user, now=None) -> tuple[pyotp.TOTP, list[str]]:
    """The user with a second factor, set up as the pages do; their app (a pyotp.TOTP) and recovery codes.
    Enrolled with the code of two steps ago, so that the codes of now are still free to use."""
    now = now or utcnow()
    setup = second_factor.start(user)
    app = pyotp.TOTP(setup.secret)
    codes = second_factor.enrol(user, app.at(now - 2 * STEP), HERE, now=now - 2 * STEP)
    db.session.commit()
    return app, codes


# --- a browser --------------------------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


# --- photos -------------------------------------------------------------------------------------------------

EXIF_ORIENTATION, EXIF_IFD, GPS_IFD, DATE_TIME_ORIGINAL = 0x0112, 0x8769, 0x8825, 0x9003


def photo(fmt: str = "JPEG", size=(64, 48), color=(200, 30, 30), orientation=None, taken=None, gps=False) -> bytes:
    """A real image of `fmt`, its top-left corner blue (to see a rotation), with the EXIF asked for."""
    image = Image.new("RGB", size, color)
    image.paste((0, 0, 255), (0, 0, size[0] // 4, size[1] // 4))
    exif = Image.Exif()
    if orientation:
        exif[EXIF_ORIENTATION] = orientation
    if taken:
        exif[EXIF_IFD] = {DATE_TIME_ORIGINAL: taken}
    if gps:
        exif[GPS_IFD] = {1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 17.0)}
    out = io.BytesIO()
    image.save(out, fmt, exif=exif.tobytes())
    return out.getvalue()


# --- orders on their way to the platform -----------------------------------------------------------


def assigned_order(make, world, **kw):
    """An order of village v1 assigned to cadre1 by the dispatcher, committed."""
    order = make.order(world.v1, **kw)
    workflow.assign(order, world.dispatcher, assignee=world.cadre1)
    db.session.commit()
    return order


def resolved_order(make, world, result="路灯已修好", **kw):
    """An order of village v1 resolved by cadre1 with `result`, its reply waiting in the outbox, committed."""
    order = assigned_order(make, world, **kw)
    workflow.resolve(order, world.cadre1, result=result)
    db.session.commit()
    return order

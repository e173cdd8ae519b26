"""Hypothesis over every route of the web (issue 8, section 3): every form and every query string, with
hostile text (NUL, control characters, lone surrogates in percent-encoding, 10,000 characters, formula
prefixes, huge and negative numbers) sent as each role, logged in or not.

The invariant: no request answers 5xx, and a refusal (4xx) is one of our pages, with its message.

The routes come from app.url_map and the fields from the form classes themselves: a new route or form
that is not listed here fails the first two tests. Each example starts from a valid submission (so that
it reaches the services and the database) and makes a few of its fields hostile, absent or repeated.
"""

import operator
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from io import BytesIO
from urllib.parse import quote

import pytest
from flask import current_app
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from wtforms import FieldList, Form, FormField
from wtforms.fields.core import UnboundField

from casework import workflow
from casework.account.forms import EndSessionsForm
from casework.admin import forms as admin_forms
from casework.auth.forms import LoginForm, PasswordChangeForm
from casework.auth.two_factor import CodeForm, StartForm
from casework.cases import forms as case_forms
from casework.cases.forms import ACTION_FORMS
from casework.display import OUTCOME_LABELS, ROLE_LABELS, SATISFACTION_LABELS
from casework.disputes import forms as dispute_forms
from casework.extensions import db
from casework.forms import VersionedForm
from casework.holidays import HOLIDAY_NAMES
from casework.ids import row_id
from casework.intake.forms import DismissForm, RejectedRowForm
from casework.models import Case, District, RejectedRow, Reply, User, Village, utcnow
from casework.runs.forms import ConfirmRepliesForm
from tests.helpers import case_in, login_as, new_request

CI_EXAMPLES = 40  # the ci profile's max_examples: Surface.examples are scaled by the profile loaded
ANONYMOUS = "anonymous"
ROLES = (ANONYMOUS, "dispatcher", "cadre", "leader", "admin")
READERS = ("dispatcher", "leader")
STAFF = ("dispatcher", "cadre")


@dataclass(frozen=True)
class Surface:
    """What a route reads: who can reach it, its query parameters, and the form it posts (if any)."""

    reach: tuple[str, ...]
    query: tuple[str, ...] = ()
    form: type | None = None
    extra: tuple[str, ...] = ()  # posted names the view reads outside its form
    examples: int = 5
    skip: str = ""  # why the route is not attacked here
    files: tuple[str, ...] = ()  # names posted as uploaded files (the request is then multipart)


QUEUE_QUERY = ("state", "kind", "village", "category", "overdue", "ack_overdue", "problem", "q", "after", "before")
SURFACES = {
    "static": Surface(ROLES),
    "auth.index": Surface(ROLES, ("lang",)),
    "auth.login": Surface((ANONYMOUS,), ("next", "lang"), LoginForm, examples=15),
    "auth.logout": Surface(("dispatcher", *ROLES)),
    "auth.set_language": Surface(ROLES, ("next",)),
    "auth.change_password": Surface(("dispatcher", *STAFF), (), PasswordChangeForm, examples=15),
    "account.my_sessions": Surface(ROLES[1:]),
    "account.end_session": Surface(ROLES[1:], (), EndSessionsForm),
    "account.end_other_sessions": Surface(ROLES[1:], (), EndSessionsForm),
    "two_factor.account": Surface(ROLES[1:]),
    "two_factor.start": Surface(ROLES[1:], (), StartForm),
    "two_factor.confirm": Surface(ROLES[1:], (), CodeForm, examples=15),
    # Without a password just accepted (no pending login in the session) both send to the login page.
    "two_factor.login_code": Surface((ANONYMOUS,), (), CodeForm, examples=15),
    "two_factor.login_setup": Surface((ANONYMOUS,), (), CodeForm),
    "cases.queue": Surface(READERS, QUEUE_QUERY, examples=25),
    "cases.mine": Surface(STAFF),
    "cases.bulk_assign": Surface(("dispatcher",), QUEUE_QUERY, case_forms.BulkAssignForm, ("case_ids",), 15),
    "cases.show": Surface(STAFF),
    "cases.act": Surface(STAFF, examples=40),  # the form is the action's: see fields_of
    "disputes.new": Surface(STAFF, (), dispute_forms.DisputeForm, ("add_party",), 30),
    "disputes.convert": Surface(STAFF, (), dispute_forms.ConvertForm, ("add_party",), 20),
    "admin.users": Surface(("admin",)),
    "admin.new_user": Surface(("admin",), (), admin_forms.UserCreateForm, examples=20),
    "admin.edit_user": Surface(("admin",), (), admin_forms.UserEditForm, examples=20),
    "admin.reset_password": Surface(("admin",), (), admin_forms.PasswordForm),
    "admin.sign_out_everywhere": Surface(("admin",), (), EndSessionsForm),
    "admin.reset_two_factor": Surface(("admin",), (), admin_forms.TwoFactorResetForm),
    "admin.villages": Surface(("admin",)),
    "admin.new_village": Surface(("admin",), (), admin_forms.VillageForm, examples=15),
    "admin.edit_village": Surface(("admin",), (), admin_forms.VillageForm, examples=15),
    "admin.districts": Surface(("admin",)),
    "admin.new_district": Surface(("admin",), (), admin_forms.DistrictForm, examples=15),
    "admin.edit_district": Surface(("admin",), (), admin_forms.DistrictForm, examples=15),
    "admin.calendar": Surface(("admin",)),
    "admin.calendar_year": Surface(("admin",), (), admin_forms.CalendarForm, examples=15),
    "admin.calendar_import": Surface(("admin",), (), admin_forms.CalendarImportForm, files=("file",), examples=10),
    "admin.calendar_export": Surface(("admin",)),
    "admin.audit_log": Surface(("admin",), ("kind", "username", "ip", "from", "to", "after"), examples=15),
    "admin.unlock": Surface(("admin",), (), admin_forms.UnlockForm),
    "intake.rejected_list": Surface(("dispatcher",), ("after", "show")),
    "intake.rejected_edit": Surface(("dispatcher",)),
    "intake.rejected_reimport": Surface(("dispatcher",), (), RejectedRowForm, examples=25),
    "intake.rejected_dismiss": Surface(("dispatcher",), (), DismissForm),
    "runs.index": Surface(READERS, ("page", "run")),
    "runs.poll": Surface(("dispatcher",), skip="reads no parameter, and starts an intake run on a thread"),
    "runs.replies": Surface(READERS, ("after", "before")),
    "runs.replies_csv": Surface(("dispatcher",)),
    "runs.confirm_replies": Surface(("dispatcher",), (), ConfirmRepliesForm),
    "stats.dashboard": Surface(READERS, examples=3),
    "stats.month": Surface(READERS, ("month",)),
    "stats.month_export": Surface(READERS, examples=6),
    "stats.year": Surface(READERS, ("year",)),
    "stats.year_export": Surface(READERS, examples=6),
}
# Forms never posted on their own: bases of others, and rows posted in another form (parties, holidays).
ATTACKED_OTHERWISE = {
    VersionedForm,
    admin_forms.PersonForm,
    dispute_forms.PartyForm,
    admin_forms.HolidayRowForm,
}

# --- hostile values ----------------------------------------------------------------------------------

SPECIAL = (
    "\x00",
    "a\x00b",
    "\x00" * 3,
    '=HYPERLINK("http://evil.example","分类")',
    "\t=2+2",
    "-3+3",
    "@SUM(1,2)",
    "\r\n",
    " ",
    "",
    "0",
    "-1",
    "-99999999999999999999",
    "99999999999999999999",
    "2147483648",
    "1e309",
    "NaN",
    "9" * 400,
    "2026-02-30",
    "9999-12-31T23:59",
    "0001-01-01T00:00",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "%00",
    "\ud800",
    "\udfff",
    "\ufeff\u202e",
    "𝕏" * 3,
)
LENGTHS = (21, 41, 61, 201, 10_000)  # one past the columns' limits (String(20), (40), (60), (200)), and huge
LONG = st.builds(operator.mul, st.sampled_from(("a", "中", "\x00", "=", "9")), st.sampled_from(LENGTHS))
CONTROLS = st.text(st.characters(categories=("Cc", "Cs")), min_size=1, max_size=5)  # Cs: lone surrogates
HOSTILE = st.one_of(st.sampled_from(SPECIAL), LONG, CONTROLS, st.text(max_size=20))
CURSORS = st.builds(  # the keyset cursors ("a1791000000.000000_3"), damaged in each of their parts
    "{}{}_{}".format,
    st.sampled_from(("", "a", "z", "\x00")),
    st.one_of(st.floats(), st.integers(), st.just("")),
    st.one_of(st.integers(), st.just("")),
)


RARELY = st.sampled_from((False, False, False, True))


class Version:
    """A posted version: the one the case in the path has now, so that the form reaches the service."""


ABSENT = ()  # left out of a valid submission (the no-JavaScript "add a party" button)


def plausible_values(world) -> dict:
    """By field name (without its form prefix): what a valid submission sends."""
    config = current_app.config
    cases = [str(i) for i in db.session.scalars(select(Case.id))]
    return {
        "version": (Version,),
        "assignee": (world.cadre1.id, world.cadre2.id, "default"),
        "village": (world.v1.id, world.v2.id, 0),
        "note": ("已电话联系",),
        "reason": ("不是本村的",),
        "result": ("已调解",),
        "outcome": tuple(OUTCOME_LABELS),
        "agreement_terms": ("赔偿500元",),
        "performance_deadline": ("2027-01-31", ""),
        "failure_route": ("向法院起诉",),
        "solved": ("yes", "no"),
        "satisfaction": tuple(SATISFACTION_LABELS),
        "working_days": ("1", "3"),
        "username": ("dispatcher", st.from_regex(r"u[a-z0-9]{4,10}", fullmatch=True)),
        "password": ("secret-pw", "another-pw-1"),
        "current": ("secret-pw",),
        "new": ("another-pw-1", "short"),
        "repeated": ("another-pw-1",),
        "ip": ("127.0.0.1", ""),
        "from": ("2026-12-01", ""),
        "to": ("2026-12-31", ""),
        "next": ("/queue", ""),
        "name": ("甲", st.from_regex(r"新[a-z]{3,8}", fullmatch=True)),
        "first": ("2027-02-10", ""),
        "last": ("2027-02-16", ""),
        "workdays": ("2027-02-07\n2027-02-20", ""),
        "file": ('{"year": 2027, "holidays": [{"name": "春节", "from": "2027-02-10", "to": "2027-02-16"}]}',),
        "phone": ("13812345678", ""),
        "role": tuple(ROLE_LABELS),
        "parties-role": dispute_forms.PARTY_ROLES,
        "holidays-name": HOLIDAY_NAMES,
        "villages": (world.v1.id, world.v2.id),
        "active": ("y",),
        "aliases": ("", "东风,东风村"),
        "district": (world.north.id, 0),
        "default_cadre": (0, world.cadre1.id),
        "mediator": (world.cadre2.id, 0),
        "category": (config["DISPUTE_TYPES"][1], config["ORDER_CATEGORIES"][4]),
        "source": config["DISPUTE_SOURCES"][:2],
        "received_at": ("2026-11-30T08:15", "2026-11-30 08:15", ""),
        "address": ("东风村3组",),
        "content": ("邻居漏水",),
        "contact": ("13812345678", ""),
        "submission_key": (st.from_regex(r"[A-Za-z0-9_-]{24}", fullmatch=True),),
        "add_party": (ABSENT,),
        "order_no": (st.from_regex(r"GD2026[0-9]{6}", fullmatch=True),),
        "caller_name": ("张三",),
        "caller_phone": ("13812345678",),
        "request_type": config["REQUEST_TYPES"][:2],
        "urgency": config["URGENCIES"],
        "deadline": ("", "2026-12-31 17:00"),
        "case_ids": tuple(cases),
        "reply_ids": tuple(str(i) for i in db.session.scalars(select(Reply.id))) or ("1",),
        "state": ("received", "assigned", "resolved", ""),
        "kind": ("order", "dispute", ""),
        "overdue": ("1", ""),
        "ack_overdue": ("1", ""),
        "problem": ("1", ""),
        "q": ("路灯", "GD2026", ""),
        "after": (CURSORS, *cases),
        "before": (CURSORS, *cases),
        "page": ("1", "2"),
        "run": ("1",),
        "show": ("decided", ""),
        "month": ("2026-10", ""),
        "year": ("2026", ""),
        "lang": ("zh_CN", "en"),
        "code": ("123456", "123 456", "abcde-fghjk"),
    }


def plausible_of(name: str, township) -> tuple:
    """The plausible values of a posted name: a row's field by its list and name ("parties-0-role" is a
    party's role), any other by its name without the form's prefix ("resolve-result" is a result)."""
    row_field = re.sub(r"-\d+-", "-", name)
    return township.plausible.get(row_field) or township.plausible.get(name.rsplit("-", 1)[-1], ("",))


def one_of_values(values: tuple) -> st.SearchStrategy:
    plain = [v for v in values if not isinstance(v, st.SearchStrategy)]
    drawn = [v for v in values if isinstance(v, st.SearchStrategy)]
    return st.one_of(*([st.sampled_from(plain)] if plain else []), *drawn)


# --- the routes and their fields ---------------------------------------------------------------------


def form_fields(form_cls, prefix: str = "") -> list[str]:
    """The names a form reads from a POST; a list of sub-forms (the dispute's parties) as rows 0 and 1."""
    names = []
    for name in dir(form_cls):
        unbound = getattr(form_cls, name, None)
        if not isinstance(unbound, UnboundField):
            continue
        full = f"{prefix}-{name}" if prefix else name
        if issubclass(unbound.field_class, FieldList) and unbound.args[0].field_class is FormField:
            names += [f"{full}-{i}-{sub}" for i in (0, 1) for sub in form_fields(unbound.args[0].args[0])]
        else:
            names.append(full)
    return names


def fields_of(endpoint: str, surface: Surface, path_values: dict) -> list[str]:
    if endpoint == "cases.act":
        action = path_values["action"]
        if action not in ACTION_FORMS:
            return [f"{action}-note"]
        return sorted({name for form in ACTION_FORMS[action].values() for name in form_fields(form, prefix=action)})
    return (form_fields(surface.form) if surface.form else []) + list(surface.extra)


PATH_IDS = {"case_id": Case, "user_id": User, "village_id": Village, "district_id": District, "row_id": RejectedRow}
PATH_WORDS = {
    "action": tuple(ACTION_FORMS),
    "code": ("zh_CN", "en"),
    "month": ("2026-10", "2026-11"),
    "year": ("2026", "2027"),
    "fmt": ("xlsx", "csv", "json", "docx"),
    "filename": ("casework.css", "casework.js"),
    "session_id": ("1", "2"),  # a session of the one asking, or of someone else's (404)
}


def path_value(data, name: str, hostile: bool, rows: dict) -> str:
    """An existing row's id or a word the route knows; when hostile, an impossible id or hostile text.
    `rows`: the ids of each PATH_IDS model when the test began (draws never depend on the database now)."""
    if name in PATH_IDS:
        return str(data.draw(st.sampled_from([2**31, 10**20] if hostile else rows[name]), label=name))
    return data.draw(HOSTILE.filter(bool) if hostile else st.sampled_from(PATH_WORDS[name]), label=name)


def as_utf8(value) -> bytes:
    """UTF-8, except that a lone surrogate goes as its 3 UTF-8-like bytes (as a careless client sends it)."""
    return str(value).encode("utf-8", "surrogatepass")


def encode(value) -> str:
    return quote(as_utf8(value), safe="")


def urlencoded(pairs) -> str:
    return "&".join(f"{encode(k)}={encode(v)}" for k, v in pairs)


def fill_path(rule, path_values: dict) -> str:
    """The rule's path with each <converter:name> replaced by its (percent-encoded) value."""
    return re.sub(r"<(?:[^:<>]+:)?(\w+)>", lambda m: encode(path_values[m.group(1)]), rule.rule)


def current_version(path_values: dict) -> str:
    case_id = row_id(path_values.get("case_id"))
    case = db.session.get(Case, case_id) if case_id else None
    return str(case.version) if case else "1"


@dataclass
class Drawn:
    method: str
    path: str
    query: list
    form: list
    files: list


def draw_request(data, township, rule, surface: Surface) -> Drawn:
    """A valid submission to the route, with a few of its names (query or form) hostile, absent or repeated."""
    method = data.draw(st.sampled_from(sorted(rule.methods - {"HEAD", "OPTIONS"})), label="method")
    arguments = sorted(rule.arguments)
    odd = {data.draw(st.sampled_from(arguments), label="odd")} if arguments and data.draw(RARELY) else set()
    path_values = {name: path_value(data, name, name in odd, township.rows) for name in arguments}
    names = list(surface.query) + (fields_of(rule.endpoint, surface, path_values) if method == "POST" else [])
    hostile = data.draw(st.sets(st.sampled_from(names), min_size=1, max_size=3) if names else st.just(set()))
    pairs = []
    for name in names:
        if name in hostile:
            values = data.draw(st.lists(HOSTILE, max_size=3), label=name)
        else:
            value = data.draw(one_of_values(plausible_of(name, township)), label=name)
            values = [] if value is ABSENT else [current_version(path_values) if value is Version else value]
        pairs += [(name, v) for v in values]
    query = [(k, v) for k, v in pairs if k in surface.query]
    files = [(k, v) for k, v in pairs if k in surface.files]
    form = [(k, v) for k, v in pairs if k not in surface.query and k not in surface.files]
    return Drawn(method, fill_path(rule, path_values), query, form, files)


# --- the township the requests land in ---------------------------------------------------------------


@pytest.fixture
def township(world, make):
    """Cases in every state the forms act on (an order with a reply waiting, an extension asked for)
    and rejected rows to correct; `users` by the role names the examples draw."""
    for kind in ("order", "dispute"):
        for state in ("received", "assigned", "resolved"):
            case_in(make, world, kind, state)
    asked = case_in(make, world, "order", "assigned", due_at=datetime(2026, 12, 30, tzinfo=UTC))
    workflow.request_extension(asked, world.cadre1, reason="等配件", working_days=3, expected_version=asked.version)
    done = case_in(make, world, "order", "assigned")
    workflow.resolve(done, world.cadre1, result="已修好", expected_version=done.version)
    for line in range(2, 7):
        db.session.add(RejectedRow(source_name="orders.csv", line=line, reason="The order number is missing."))
    db.session.commit()
    world.users = {"dispatcher": world.dispatcher, "cadre": world.cadre1, "leader": world.leader, "admin": world.admin}
    world.rows = {name: db.session.scalars(select(model.id)).all() for name, model in PATH_IDS.items()}
    world.plausible = plausible_values(world)
    world.overrides = valid_overrides(world)
    return world


def act_as(client, world, role: str) -> None:
    with client.session_transaction() as session:
        session.clear()
    if role == ANONYMOUS:
        new_request()
    else:
        login_as(client, world.users[role])


def multipart(drawn: Drawn) -> MultiDict:
    """The fields as text (a lone surrogate cannot be sent in a multipart part: it goes as U+FFFD, as a
    browser sends it) and the files as their bytes."""
    data = MultiDict([(k, as_utf8(v).decode("utf-8", "replace")) for k, v in drawn.form])
    for name, content in drawn.files:
        data.add(name, (BytesIO(as_utf8(content)), "schedule.json"))
    return data


def send(client, drawn: Drawn):
    """One request; an exception in the app (propagated in testing) is reported as the 500 it would be."""
    query = urlencoded(drawn.query)
    try:
        if drawn.method == "GET":
            return client.get(drawn.path, query_string=query)
        if drawn.files:
            body, kind = multipart(drawn), "multipart/form-data"
        else:
            body, kind = urlencoded(drawn.form).encode("ascii"), "application/x-www-form-urlencoded"
        return client.post(drawn.path, query_string=query, data=body, content_type=kind)
    except Exception as exc:  # noqa: BLE001 - any exception is the finding; the session must go on
        db.session.rollback()
        raise AssertionError(f"{drawn.method} {drawn.path} raised {exc!r}") from exc


MESSAGE_MARKS = (b'<section class="error">', b'role="alert"', b'class="error-msg"')


def says_why(response) -> bool:
    """A refusal is one of our pages with its message: the error page's, or one beside a field or above
    the form, never Werkzeug's bare English page, nor a form sent back with nothing said."""
    return b"<main>" in response.data and any(mark in response.data for mark in MESSAGE_MARKS)


def assert_transaction_usable(after: str) -> None:
    """A request that swallowed a database error (PostgreSQL then refuses every statement) is a finding too."""
    try:
        db.session.execute(select(1))
    except Exception as exc:  # noqa: BLE001
        db.session.rollback()
        raise AssertionError(f"{after}, and left its transaction failed") from exc


# --- the properties ----------------------------------------------------------------------------------


def test_every_route_of_the_app_is_attacked_or_says_why_not(app):
    assert {r.endpoint for r in app.url_map.iter_rules()} == set(SURFACES)


def test_every_form_of_the_web_is_attacked():
    attacked = {s.form for s in SURFACES.values()} | {f for forms in ACTION_FORMS.values() for f in forms.values()}
    assert _form_classes() - attacked == ATTACKED_OTHERWISE


def _form_classes() -> set[type]:
    found, todo = set(), [Form]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("casework."):
            found.add(cls)
    return found


@pytest.mark.parametrize("endpoint", sorted(e for e, s in SURFACES.items() if not s.skip))
def test_no_request_to_a_route_answers_5xx(township, client, endpoint):
    """Any role (mostly those who can reach the route), any of its parameters, any text: never a 5xx;
    a refusal is our page with its message."""
    rule = next(r for r in current_app.url_map.iter_rules() if r.endpoint == endpoint)
    surface = SURFACES[endpoint]

    @settings(max_examples=max(1, surface.examples * settings().max_examples // CI_EXAMPLES))
    @given(data=st.data())
    def attack(data):
        role = data.draw(st.sampled_from(surface.reach * 3 + ROLES), label="role")
        act_as(client, township, role)
        drawn = draw_request(data, township, rule, surface)
        response = send(client, drawn)
        assert_transaction_usable(f"{drawn} answered {response.status_code}")
        assert response.status_code < 500, f"{drawn.method} {drawn.path} as {role}: {response.status_code}"
        if response.status_code >= 400:
            assert says_why(response), (
                f"{drawn.method} {drawn.path} as {role}: {response.status_code} without a message"
            )

    attack()


# --- every field, every killer: a sweep no random draw can miss ----------------------------------------

# One value of each kind that has answered 500 somewhere: a NUL (PostgreSQL refuses it) with a lone surrogate
# (no UTF-8 store takes one) and a control character, text far over any column, a number past 64 bits, a
# path with a line break (no HTTP header may carry one: a redirect to it).
HUGE_NUMBER = "99999999999999999999"
KILLERS = ("a\x00\ud800\x1bb", "中" * 10_000, HUGE_NUMBER, "/queue\r\nx")
FRESH_DUE = 30  # days: an extension may be asked for before the deadline, judged against the real clock

# For each action of the case page (action@kind when both kinds are swept): a case of this kind and state is
# made for each request, and this role acts.
ACTION_SETUP = {
    "assign": ("order", "received", "dispatcher"),
    "reassign": ("order", "assigned", "dispatcher"),
    "return": ("order", "assigned", "cadre"),
    "resolve": ("dispute", "assigned", "cadre"),
    "resolve@order": ("order", "assigned", "cadre"),  # the dispute-only fields, sent to an order's page
    "reopen": ("order", "resolved", "dispatcher"),
    "escalate": ("dispute", "assigned", "cadre"),
    "callback": ("order", "resolved", "dispatcher"),
    "note": ("order", "assigned", "cadre"),
    "request_extension": ("order", "assigned", "cadre"),
    "grant_extension": ("order", "assigned", "dispatcher"),
    "refuse_extension": ("order", "assigned", "dispatcher"),
}
UNIQUE = {  # names a valid submission must not repeat (a second one would be refused as taken)
    "username": "user{}",
    "name": "新名{}",
    "order_no": "GD2026{:06d}",
    "submission_key": "key-{:020d}",
}
SWEEP_PATH = {"code": "zh_CN", "month": "2026-10", "year": "2027", "fmt": "json", "filename": "casework.css"}
SWEEP_PATH["session_id"] = "1"  # a session of someone else's (404) or the one asking's
SWEEP_PATH_OF = {"admin.calendar_export": {"year": "2026"}}  # a year whose schedule is known (the package's)


def sweep_path_value(name: str, endpoint: str, action: str | None, township, make) -> str:
    """The row or word a valid request names; rows a request uses up (a case acted on, a rejected row,
    a user) are made afresh for each request."""
    if name == "action":
        return action.split("@")[0]
    if name == "case_id":
        return str(fresh_case(action or "convert", township, make).id)
    if name == "row_id":
        row = RejectedRow(source_name="orders.csv", line=make.n(), reason="The order number is missing.")
        db.session.add(row)
        db.session.commit()
        return str(row.id)
    if name == "user_id":
        return str(make.user("cadre", [township.v1]).id)
    if name in ("village_id", "district_id"):
        return str(township.v1.id if name == "village_id" else township.north.id)
    return SWEEP_PATH_OF.get(endpoint, {}).get(name) or SWEEP_PATH[name]


def fresh_case(action: str, township, make) -> Case:
    kind, state, _role = ACTION_SETUP.get(action, ("order", "received", "dispatcher"))
    due = utcnow() + timedelta(days=FRESH_DUE)
    case = case_in(make, township, kind, state, due_at=due if state == "assigned" else None)
    if action in ("grant_extension", "refuse_extension"):
        workflow.request_extension(case, township.cadre1, reason="等配件", working_days=1, expected_version=None)
        db.session.commit()
    return case


def valid_overrides(world) -> dict:
    """By route, what its valid request sends where the plausible value of the name would be refused."""
    return {
        "auth.login": {"username": "dispatcher"},
        "cases.act": {"reassign-assignee": world.cadre1b.id, "escalate-assignee": world.cadre2.id},
        "admin.new_user": {"role": "cadre", "password": "another-pw-1"},  # the login's is too short to set
        "admin.reset_password": {"password": "another-pw-1"},
        "admin.edit_user": {"role": "cadre"},
        "admin.calendar_year": {
            "holidays-1-name": "元旦",
            "holidays-1-first": "2027-01-01",
            "holidays-1-last": "2027-01-01",
        },
    }


def baseline(endpoint: str, name: str, township, n: int, version: str) -> str | None:
    """What a valid submission sends for this name (None: it leaves the name out)."""
    if name in (override := township.overrides.get(endpoint, {})):
        return str(override[name])
    short = name.rsplit("-", 1)[-1]
    if short in UNIQUE:
        return UNIQUE[short].format(n)
    if short == "version":
        return version
    values = [v for v in plausible_of(name, township) if not isinstance(v, st.SearchStrategy)]
    return None if values[0] is ABSENT else str(values[0])


def sweep(endpoint: str) -> list[tuple[str, str | None, str, int]]:
    """(method, action, name attacked, killer index) for every name the route reads; the name "" is the
    valid request itself."""
    rule_methods = {"GET", "POST"} & set(_rule(endpoint).methods)
    actions = list(ACTION_SETUP) if endpoint == "cases.act" else [None]
    surface = SURFACES[endpoint]
    cases = []
    for method in sorted(rule_methods):
        for action in actions:
            names = list(_rule(endpoint).arguments - {"action"}) + list(surface.query)
            if method == "POST":
                names += fields_of(endpoint, surface, {"action": action.split("@")[0]} if action else {})
            cases.append((method, action, "", -1))  # the valid request itself, first
            cases += [(method, action, name, k) for name in names for k in _killers_for(endpoint, name)]
    return cases


def _killers_for(endpoint: str, name: str) -> range | tuple[int]:
    """Every killer, but for a path's <int:…> only the number: no other text even matches the route."""
    if f"<int:{name}>" in _rule(endpoint).rule:
        return (KILLERS.index(HUGE_NUMBER),)
    return range(len(KILLERS))


def _rule(endpoint: str):
    return next(r for r in current_app.url_map.iter_rules() if r.endpoint == endpoint)


def sweep_request(endpoint, method, action, attacked, killer, township, make) -> Drawn:
    rule, surface = _rule(endpoint), SURFACES[endpoint]
    path_values = {a: sweep_path_value(a, endpoint, action, township, make) for a in rule.arguments}
    if attacked in path_values:
        path_values[attacked] = killer
    names = list(surface.query) + (fields_of(endpoint, surface, path_values) if method == "POST" else [])
    version = current_version(path_values)
    n = make.n()
    pairs = [(name, killer if name == attacked else baseline(endpoint, name, township, n, version)) for name in names]
    pairs = [(k, v) for k, v in pairs if v is not None]
    query = [(k, v) for k, v in pairs if k in surface.query]
    files = [(k, v) for k, v in pairs if k in surface.files]
    form = [(k, v) for k, v in pairs if k not in surface.query and k not in surface.files]
    return Drawn(method, fill_path(rule, path_values), query, form, files)


@pytest.mark.parametrize("endpoint", sorted(e for e, s in SURFACES.items() if not s.skip))
def test_every_name_a_route_reads_with_each_killer_is_not_a_5xx(township, make, client, endpoint):
    """Each query parameter, form field and path part of the route, alone given each of KILLERS in an
    otherwise valid request by a role that may make it: never a 5xx, a refusal is our page."""
    for method, action, attacked, k in sweep(endpoint):
        role = ACTION_SETUP[action][2] if action else SURFACES[endpoint].reach[0]
        killer = KILLERS[k] if attacked else None
        drawn = sweep_request(endpoint, method, action, attacked, killer, township, make)
        act_as(client, township, role)
        response = send(client, drawn)
        where = f"{role} {drawn.method} {drawn.path[:80]} with {attacked}={(killer or '')[:12]!r}"
        assert_transaction_usable(f"{where} answered {response.status_code}")
        if not attacked:  # the killers go as deep as a valid request: into the service and the database
            assert response.status_code < 400, f"{where}: the valid request is refused ({response.status_code})"
        assert response.status_code < 500, where
        if response.status_code >= 400:
            assert says_why(response), f"{where}: {response.status_code} without a message"

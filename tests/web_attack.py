"""What the web property tests send: each route's surface (who reaches it, what it reads), hostile values, the
requests drawn from them, and the township they land in. The tests are test_web_properties.py (random draws)
and test_web_sweep.py (every name with every killer); test_security_headers.py reads the routes here too.
"""

import operator
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from urllib.parse import quote

from flask import current_app
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from wtforms import FieldList, FormField
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
from casework.models import Case, District, RejectedRow, Reply, User, Village
from casework.notifications.forms import ReadForm
from casework.notify import forms as notify_forms
from casework.runs.forms import ConfirmRepliesForm
from tests.helpers import case_in, login_as, new_request

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
    # the form is the action's (see fields_of); its files go as files
    "cases.act": Surface(STAFF, examples=40, files=("resolve-photos", "resolve-agreement", "note-photos")),
    "disputes.new": Surface(STAFF, (), dispute_forms.DisputeForm, ("add_party",), 30, files=("photos",)),
    "disputes.convert": Surface(STAFF, (), dispute_forms.ConvertForm, ("add_party",), 20, files=("photos",)),
    "cases.attachment": Surface(("cadre", "leader"), skip="a file of the case in its path: test_attachments_web.py"),
    "cases.attachment_thumb": Surface(("cadre", "leader"), skip="a file of the case in its path: as cases.attachment"),
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
    "notify.settings": Surface(ROLES[1:], (), notify_forms.ChannelsForm),
    "notify.subscribe": Surface(ROLES[1:], skip="a JSON body: test_notify_pages.py draws any JSON at it"),
    "notify.unsubscribe": Surface(ROLES[1:], skip="a JSON body: test_notify_pages.py draws any JSON at it"),
    "notify.remove_device": Surface(ROLES[1:], (), notify_forms.ButtonForm),
    "notify.failed_deliveries": Surface(("admin",), ("before",)),
    "notify.retry": Surface(("admin",), (), notify_forms.ButtonForm),
    "notify.retry_all": Surface(("admin",), (), notify_forms.ButtonForm),
    "notify.dismiss": Surface(("admin",), (), notify_forms.ButtonForm),
    "notifications.index": Surface(ROLES[1:], ("unread", "after", "before")),
    "notifications.open_notice": Surface(ROLES[1:], (), ReadForm),
    "notifications.mark_read": Surface(ROLES[1:], ("unread",), ReadForm),
    "notifications.mark_all_read": Surface(ROLES[1:], ("unread",), ReadForm),
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
    "shell.manifest": Surface(ROLES, examples=2),
    "shell.service_worker": Surface(ROLES, examples=2),
    "shell.offline": Surface(ROLES, examples=2),
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
        "photos": (ABSENT,),  # the files: a valid request chooses none; hostile ones go as their bytes
        "agreement": (ABSENT,),
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
        "unread": ("1", ""),
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
    "attachment_id": ("1", "2"),  # a photo of the case in the path, or not (404)
    "session_id": ("1", "2"),  # a session of the one asking, or of someone else's (404)
    "subscription_id": ("1", "2"),  # a browser subscribed to Web Push, or none (404)
    "delivery_id": ("1", "2"),  # a delivery of the channels' outbox, or none
    "notice_id": ("1", "2"),  # a notification of the one asking, or of someone else's (404)
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


def build_township(world, make):
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

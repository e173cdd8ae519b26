"""Every field, every killer (issue 8, section 3): each query parameter, form field and path part of every route,
alone given each hostile value that has answered 500 somewhere, in an otherwise valid request. See
test_web_properties.py for the random draws and web_attack.py for the routes' surfaces."""

from datetime import timedelta

import pytest
from flask import current_app
from hypothesis import strategies as st

from casework import notices, workflow
from casework.cases.forms import ACTION_FORMS
from casework.extensions import db
from casework.models import Case, RejectedRow, utcnow
from tests.helpers import case_in
from tests.web_attack import (
    ABSENT,
    SURFACES,
    Drawn,
    act_as,
    assert_transaction_usable,
    current_version,
    fields_of,
    fill_path,
    plausible_of,
    says_why,
    send,
)

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
    "urge": ("order", "assigned", "dispatcher"),
}
UNIQUE = {  # names a valid submission must not repeat (a second one would be refused as taken)
    "username": "user{}",
    "name": "新名{}",
    "order_no": "GD2026{:06d}",
    "submission_key": "key-{:020d}",
}
SWEEP_PATH = {"code": "zh_CN", "month": "2026-10", "year": "2027", "fmt": "json", "filename": "casework.css"}
SWEEP_PATH["session_id"] = "1"  # a session of someone else's (404) or the one asking's
SWEEP_PATH |= {"subscription_id": "1", "delivery_id": "1"}  # a browser's push subscription, an outbox row
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
    if name == "notice_id":  # a notice of the one asking: the notifications' routes are swept as the dispatcher
        notice = notices.notify(township.dispatcher, "intake_failed", time="2026-12-01 08:00")
        db.session.commit()
        return str(notice.id)
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


def test_the_sweep_attacks_every_action_the_case_page_has_a_form_for():
    assert set(ACTION_FORMS) <= {action.split("@")[0] for action in ACTION_SETUP}

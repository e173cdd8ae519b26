"""The demo township (`flask --app wsgi demo-data`): people, places, and a history the workflow could have written.

The full township is loaded once for the module (it takes seconds); the tests that change it only add to it.
The first test needs an empty database of its own, so it runs before the module's township exists.
"""

import hashlib
import os
import re
import shutil
import stat
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import PG_URL, _config, leave_database
from sqlalchemy import func, select, text

from casework import attachments, create_app, workflow
from casework.demo.loop import TOUR_CADRE
from casework.demo.story import load_township
from casework.extensions import db
from casework.models import Attachment, Case, CaseEvent, Delivery, District, Notification, Reply, User, Village, utcnow
from casework.reminders import send_reminders


def _counts() -> tuple[int, int, int]:
    orders = db.session.scalar(select(func.count()).where(Case.kind == "order"))
    disputes = db.session.scalar(select(func.count()).where(Case.kind == "dispute"))
    return orders, disputes, db.session.scalar(select(func.count()).select_from(CaseEvent))


def _history_faults(case_ids=None) -> list[str]:
    """Every way a case's history could disagree with the case; empty when all is consistent."""
    cases = select(Case.id, Case.state, Case.received_at)
    events = select(CaseEvent.case_id, CaseEvent.action, CaseEvent.at, CaseEvent.from_state, CaseEvent.to_state)
    if case_ids is not None:
        cases, events = cases.where(Case.id.in_(case_ids)), events.where(CaseEvent.case_id.in_(case_ids))
    history = defaultdict(list)
    for event in db.session.execute(events.order_by(CaseEvent.case_id, CaseEvent.id)):
        history[event.case_id].append(event)
    faults = []
    for case_id, state, received_at in db.session.execute(cases):
        evs = history[case_id]
        if not evs or evs[0].action not in ("receive", "register") or evs[0].from_state is not None:
            faults.append(f"case {case_id}: history does not start with its arrival")
            continue
        if evs[0].at < received_at:
            faults.append(f"case {case_id}: first event before the case was received")
        for before, after in zip(evs, evs[1:], strict=False):
            if after.at < before.at:
                faults.append(f"case {case_id}: {after.action} at {after.at} before {before.action} at {before.at}")
            if after.from_state != before.to_state:
                faults.append(f"case {case_id}: {after.action} from {after.from_state} after {before.to_state}")
        if evs[-1].to_state != state:
            faults.append(f"case {case_id}: history ends in {evs[-1].to_state}, case is {state}")
    return faults


def test_orders_on_an_empty_database_load_the_township_first(app, runner, tmp_path):
    result = runner.invoke(
        args=["demo-data", "--months", "1", "--orders", "120", "--logins-file", str(tmp_path / "l.txt")]
    )
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(func.count()).select_from(Village)) >= 8
    bulk = db.session.scalar(select(func.count()).where(Case.kind == "order", func.length(Case.number) == 18))
    assert bulk == 120
    assert _history_faults() == []


def _snapshot() -> list[tuple]:
    cases = db.session.execute(
        select(
            Case.number, Case.state, Case.category, Case.content, Case.caller_phone, Case.received_at, Case.due_at
        ).order_by(Case.number)
    ).all()
    events = db.session.execute(
        select(Case.number, CaseEvent.action, CaseEvent.at, User.username, CaseEvent.note)
        .join(Case, CaseEvent.case_id == Case.id)
        .outerjoin(User, CaseEvent.actor_id == User.id)
        .order_by(Case.number, CaseEvent.at, CaseEvent.action)
    ).all()
    return [tuple(row) for row in cases + events]


def test_the_same_seed_and_time_give_the_same_township(app):
    now = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
    load_township(seed=5, now=now, months=1)
    first = _snapshot()
    db.session.rollback()
    load_township(seed=5, now=now, months=1)
    assert _snapshot() == first
    db.session.rollback()
    load_township(seed=6, now=now, months=1)
    assert _snapshot() != first
    db.session.rollback()


# --- the full township, loaded once --------------------------------------------------------------


class Loaded:
    def __init__(self, app, logins, output):
        self.app, self.logins, self.output = app, logins, output

    def invoke(self, *args):
        return self.app.test_cli_runner().invoke(args=["demo-data", "--logins-file", str(self.logins), *args])


@pytest.fixture(scope="module")
def loaded_township(database_template, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("demo")
    if PG_URL:
        url = PG_URL
    else:
        shutil.copy(database_template, tmp / "demo.db")
        url = f"sqlite:///{tmp / 'demo.db'}"
    # a channel set up and photos required, as under `make run`: the tour cadre's notices get their deliveries
    robot = {"WECOM_WEBHOOK_URL": "http://127.0.0.1:9/wecom", "PHOTO_REQUIRED_CATEGORIES": ("道路", "环境卫生")}
    app = create_app(_config(url, tmp) | robot)
    with app.app_context():
        loaded = Loaded(app, tmp / "demo-logins.txt", "")
        result = loaded.invoke("--seed", "7")
        assert result.exit_code == 0, result.output
        loaded.output = result.output
        yield loaded
        leave_database()


@pytest.fixture
def township(loaded_township):
    """The module's township, with a fresh session for each test."""
    yield loaded_township
    db.session.remove()


def _roles() -> dict[str, int]:
    return dict(db.session.execute(select(User.role, func.count()).group_by(User.role)).all())


def test_the_township_has_its_people(township):
    roles = _roles()
    assert roles["admin"] == 1 and roles["dispatcher"] == 2 and roles["leader"] == 1
    villages = list(db.session.scalars(select(Village)))
    assert len(villages) >= 8
    assert all(v.default_cadre is not None and v in v.default_cadre.villages for v in villages)
    assert all(v.aliases for v in villages)
    defaults = defaultdict(int)
    for v in villages:
        defaults[v.default_cadre_id] += 1
    assert max(defaults.values()) >= 2  # a cadre serving two villages


def test_three_mediation_districts_each_with_a_mediator(township):
    districts = list(db.session.scalars(select(District)))
    assert len(districts) == 3
    assert all(d.mediator is not None and d.villages for d in districts)
    assert {v.district_id for v in db.session.scalars(select(Village))} == {d.id for d in districts}


def test_every_state_of_both_kinds_is_present(township):
    present = set(map(tuple, db.session.execute(select(Case.kind, Case.state).distinct()).all()))
    assert present == {(k, s) for k in ("order", "dispute") for s in ("received", "assigned", "resolved")}


def test_every_case_history_ends_in_its_state_in_time_order(township):
    assert _history_faults() == []


def test_history_spans_fourteen_months_up_to_now(township):
    first, last = db.session.execute(select(func.min(Case.received_at), func.max(Case.received_at))).one()
    now = utcnow()
    assert (now - first).days >= 13 * 30
    assert (now - last).days < 1
    assert db.session.scalar(select(func.max(CaseEvent.at))) <= now
    orders, disputes, _ = _counts()
    assert 300 <= orders + disputes <= 2500


def _actions() -> dict[str, int]:
    return dict(db.session.execute(select(CaseEvent.action, func.count()).group_by(CaseEvent.action)).all())


def test_the_history_has_returns_reassignments_reopens_notes_and_conversions(township):
    actions = _actions()
    for action in ("receive", "register", "assign", "reassign", "return", "resolve", "reopen", "escalate"):
        assert actions.get(action, 0) > 0, action
    for action in ("callback", "convert", "note"):
        assert actions.get(action, 0) > 0, action


def test_cadres_asked_for_extensions_and_dispatchers_decided(township):
    if not hasattr(workflow, "request_extension"):
        pytest.skip("the workflow has no extensions yet")
    actions = _actions()
    assert actions.get("request_extension", 0) > 0
    assert actions.get("grant_extension", 0) + actions.get("refuse_extension", 0) > 0


def test_some_orders_were_reopened_three_times_or_more(township):
    problem = db.session.scalar(select(func.count()).where(Case.kind == "order", Case.reopen_count >= 3))
    assert problem >= 3


def test_callbacks_give_every_satisfaction_and_both_answers(township):
    called_back = select(Case.callback_satisfaction, Case.callback_solved).where(Case.callback_at.is_not(None))
    answers = set(db.session.execute(called_back))
    assert {s for s, _ in answers} == {"satisfied", "basic", "unsatisfied"}
    assert {solved for _, solved in answers} == {True, False}


def test_disputes_reach_every_outcome_and_every_tier(township):
    disputes = select(Case).where(Case.kind == "dispute")
    outcomes = {c.outcome for c in db.session.scalars(disputes.where(Case.state == "resolved"))}
    assert outcomes == {"settled", "failed", "withdrawn"}
    assert {c.tier for c in db.session.scalars(disputes)} == {"village", "district", "centre"}
    settled = db.session.scalars(disputes.where(Case.outcome == "settled")).all()
    assert all(c.agreement_terms and c.performance_deadline for c in settled)
    assert all(c.failure_route for c in db.session.scalars(disputes.where(Case.outcome == "failed")))


def test_converted_disputes_link_back_to_their_orders(township):
    converted = db.session.scalars(select(Case).where(Case.origin_case_id.is_not(None))).all()
    assert converted
    for dispute in converted:
        assert dispute.source == "12345工单" and dispute.origin.is_order
        assert "convert" in [e.action for e in dispute.origin.events]


def test_some_open_orders_are_overdue(township):
    now = utcnow()
    overdue = select(func.count()).where(Case.kind == "order", Case.state != "resolved", Case.due_at < now)
    assert db.session.scalar(overdue) > 0


def test_orders_look_like_the_platform_s(township):
    orders = db.session.scalars(select(Case).where(Case.kind == "order")).all()
    assert all(re.fullmatch(r"GD\d{12}", o.number) for o in orders)
    assert all(re.fullmatch(r"1[3-9]\d{9}", o.caller_phone) for o in orders)
    assert all(o.due_at and o.ack_due_at and o.ack_due_at <= o.due_at for o in orders)
    assert len({o.category for o in orders}) >= 10 and len({o.request_type for o in orders}) >= 4
    assert {"一般", "紧急", "特急"} <= {o.urgency for o in orders}


def test_only_the_latest_replies_still_wait_in_the_outbox(township):
    replies = db.session.execute(select(Reply.created_at, Reply.sent_at, Reply.sent_via)).all()
    assert replies
    assert all(created >= utcnow() - timedelta(days=3) for created, sent, _ in replies if sent is None)
    assert all(via == "manual" and sent >= created for created, sent, via in replies if sent is not None)
    pending = [created for created, sent, _ in replies if sent is None]
    assert len(pending) < len(replies) / 10  # months of replies were entered long ago


def test_the_tour_cadre_alone_has_unread_notices_an_assignment_and_an_urge_to_go_out(township):
    told = ~Notification.kind.like("%_warning") & ~Notification.kind.like("%_overdue")  # not a reminder sent since
    unread = select(User.username, Notification.kind).join(Notification.recipient).where(Notification.read_at.is_(None))
    assert sorted(map(tuple, db.session.execute(unread.where(told)))) == [
        (TOUR_CADRE, "assigned"),
        (TOUR_CADRE, "assigned"),
        (TOUR_CADRE, "urged"),
    ]
    waiting = select(Delivery.channel, User.username).join(Delivery.notification).join(Notification.recipient)
    waiting = waiting.where(Delivery.status == "pending")
    assert sorted(map(tuple, db.session.execute(waiting))) == [("wecom", TOUR_CADRE)] * 3
    assert db.session.scalar(select(func.count()).where(Delivery.status == "sent")) > 1000  # the history's


def test_road_and_sanitation_work_is_photographed_and_a_reply_with_photos_waits(township, tmp_path):
    resolved = select(CaseEvent.id).join(CaseEvent.case).where(CaseEvent.action == "resolve", Case.category == "道路")
    photographed = select(Attachment.event_id).where(Attachment.event_id.in_(resolved))
    assert set(db.session.scalars(resolved)) == set(db.session.scalars(photographed))
    for photo in db.session.scalars(select(Attachment).limit(20)):
        stored = attachments.file_path(photo.sha256, photo.media_type).read_bytes()
        assert hashlib.sha256(stored).hexdigest() == photo.sha256 and photo.media_type == "image/jpeg"
        assert attachments.thumb_path(photo.sha256).stat().st_size > 1000
    waiting = db.session.scalars(select(Reply).where(Reply.sent_at.is_(None))).all()
    images = [image for reply in waiting for image in reply.payload.get("images", ())]
    assert images and all(db.session.scalar(select(Attachment.id).filter_by(sha256=i["sha256"])) for i in images)


def test_the_first_reminder_run_warns_the_tour_cadre_of_the_order_he_was_urged_on(township):
    urged = db.session.scalar(select(Notification.case_id).where(Notification.kind == "urged"))
    assert send_reminders(utcnow())["due_warning"] >= 1
    warned = select(User.username).join(Notification.recipient).where(Notification.kind == "due_warning")
    assert db.session.scalars(warned.where(Notification.case_id == urged)).all() == [TOUR_CADRE]


def test_the_logins_file_is_private_and_its_passwords_work(township):
    mode = stat.S_IMODE(os.stat(township.logins).st_mode)
    assert mode == 0o600
    lines = township.logins.read_text().splitlines()
    passwords = {line.split()[0]: line.split()[1] for line in lines[2:]}
    assert set(passwords) == set(db.session.scalars(select(User.username)))
    assert "dispatcher" in township.output and passwords["dispatcher"] in township.output
    client = township.app.test_client()
    response = client.post("/login", data={"username": "dispatcher", "password": passwords["dispatcher"]})
    assert response.status_code == 302
    assert client.get("/queue").status_code == 200


def test_if_empty_leaves_a_loaded_database_alone_and_shows_the_logins(township):
    before = _counts()
    result = township.invoke("--if-empty")
    assert result.exit_code == 0, result.output
    assert _counts() == before
    assert township.logins.read_text().splitlines()[3] in result.output


def test_loading_twice_without_if_empty_is_refused(township):
    before = _counts()
    result = township.invoke()
    assert result.exit_code != 0
    assert "not empty" in result.output
    assert _counts() == before


def test_orders_adds_exactly_n_orders_with_their_history(township):
    orders, disputes, events = _counts()
    last_id = db.session.scalar(select(func.max(Case.id)))
    result = township.invoke("--orders", "300")
    assert result.exit_code == 0, result.output
    new_orders, new_disputes, new_events = _counts()
    assert (new_orders - orders, new_disputes - disputes) == (300, 0)
    new_ids = list(db.session.scalars(select(Case.id).where(Case.id > last_id)))
    assert len(new_ids) == 300
    assert _history_faults(new_ids) == []
    by_state = select(Case.state, func.count()).where(Case.id > last_id).group_by(Case.state)
    states = dict(db.session.execute(by_state).all())
    assert states["resolved"] > states.get("assigned", 0) + states.get("received", 0)
    assert new_events - events >= 300 + 2 * states["resolved"] + states.get("assigned", 0)


def test_the_workflow_still_adds_cases_after_the_bulk_insert(township):
    assert township.invoke("--orders", "5").exit_code == 0
    case = workflow.receive_order(
        None, number="GD-AFTER-BULK", received_at=datetime.now(UTC), content="路灯不亮", category="道路"
    )
    assert case.id > db.session.scalar(select(func.max(Case.id)).where(Case.number != "GD-AFTER-BULK"))
    db.session.rollback()


@pytest.mark.skipif(bool(PG_URL), reason="a SQLite file has a place beside it")
def test_a_database_outside_the_instance_keeps_its_logins_beside_it(app, runner):
    instance_logins = Path(app.instance_path) / "demo-logins.txt"
    before = instance_logins.read_bytes() if instance_logins.exists() else None
    result = runner.invoke(args=["demo-data", "--months", "1"])
    assert result.exit_code == 0, result.output
    beside = Path(f"{db.engine.url.database}.demo-logins.txt")
    assert beside.exists() and "dispatcher" in beside.read_text()
    assert (instance_logins.read_bytes() if instance_logins.exists() else None) == before


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL's planner statistics (the PostgreSQL pass runs it)")
def test_a_bulk_load_leaves_postgresql_with_fresh_planner_statistics(township):
    result = township.invoke("--orders", "50")
    assert result.exit_code == 0, result.output
    analysed = text("SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL")
    assert {"cases", "case_events"} <= set(db.session.scalars(analysed))


def test_the_demo_accounts_are_marked_demo_and_never_forced_to_change_their_password(township):
    """The README's tour logs in with these: issue 9's forced changes exempt them (users.demo)."""
    assert set(db.session.scalars(select(User.demo))) == {True}

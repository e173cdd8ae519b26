"""THE state machine of Casework: one table of actions, one service function per action.

Every service takes the case and the acting user, checks the table and the user's permission,
changes the case, writes the history event in the same transaction and flushes. It never commits:
the caller (a view, the CLI, the scheduler) commits once. Anything refused raises a WorkflowError.
"""

from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from . import deadlines, notices, replies
from . import permissions as perm
from .attachments import Upload, attach, reply_images
from .clock import localtime
from .extensions import db, savepoint
from .models import (
    CASE_HANDLERS,
    OUTCOMES,
    SATISFACTION,
    TIERS,
    Case,
    CaseEvent,
    District,
    ExtensionRequest,
    Party,
    User,
    Village,
    user_villages,
    utcnow,
)
from .refusals import (
    N_,
    STALE,
    ActionNotPossible,
    AlreadyDone,
    AlreadySubmitted,
    Forbidden,
    InvalidInput,
    NotAllowed,
    StaleCase,
    WorkflowError,
)

BAD_RECEIVED_AT = N_("The received time must be a real moment and not in the future.")
EARLIEST_RECEIVED = datetime(1990, 1, 1, tzinfo=UTC)
BOTH = frozenset({"order", "dispute"})
ORDER = frozenset({"order"})
DISPUTE = frozenset({"dispute"})
RECEIVED, ASSIGNED, RESOLVED = frozenset({"received"}), frozenset({"assigned"}), frozenset({"resolved"})
ANY_STATE = RECEIVED | ASSIGNED | RESOLVED


def _always(case: Case, now: datetime) -> bool:
    return True


@dataclass(frozen=True)
class Action:
    """One action of the table: the cases it applies to and the state it leaves them in, who may take it, its
    words, and the name of the function of this module that takes it (its service)."""

    name: str
    kinds: frozenset
    from_states: frozenset
    to_state: str | None  # None: the state does not change
    may: Callable[[User, Case], bool]
    service: str  # named, not referenced: the table comes before the functions it names
    label: str  # the action in words (a lazy string): the case page's buttons, the history, refusals
    already_done: str | None = None  # what a repeat of the actor's own last action is told (a double tap)
    when: Callable[[Case, datetime], bool] = _always  # an extra condition on the case, at a moment
    why_not: str = ""  # the message when `when` refuses


def _below_centre(case: Case, now: datetime) -> bool:
    return case.tier != "centre"


def _no_callback_yet(case: Case, now: datetime) -> bool:
    return case.callback_at is None


def _may_ask_extension(case: Case, now: datetime) -> bool:
    return _why_no_extension(case, now) is None


def _extension_pending(case: Case, now: datetime) -> bool:
    return _pending_extension(case) is not None


def _dispatcher(user, case: Case) -> bool:
    return perm.is_dispatcher(user)


def _table(*actions: Action) -> dict[str, Action]:
    table = {a.name: a for a in actions}
    if len(table) != len(actions):
        raise ValueError("An action is declared twice.")
    return table


# THE table: each action declared once. The case page (cases/forms.py registers a form for each action it
# offers), the history's words and refusals read it; a service checks its row (_check) before acting.
ACTIONS: dict[str, Action] = _table(
    Action(
        "assign", BOTH, RECEIVED, "assigned", perm.can_assign,
        service="assign", label=_l("Assign"), already_done=N_("You already assigned this case."),
    ),
    Action(
        "reassign", BOTH, ASSIGNED, "assigned", perm.can_assign,
        service="reassign", label=_l("Reassign"), already_done=N_("You already reassigned this case."),
    ),
    Action(
        "return", BOTH, ASSIGNED, "received", perm.can_return,
        service="return_to_dispatcher", label=_l("Return"), already_done=N_("You already returned this case."),
    ),
    Action(
        "resolve", BOTH, ASSIGNED, "resolved", perm.can_resolve,
        service="resolve", label=_l("Resolve"), already_done=N_("You already resolved this case."),
    ),
    Action(
        "reopen", BOTH, RESOLVED, "assigned", perm.can_reopen,
        service="reopen", label=_l("Reopen"), already_done=N_("You already reopened this case."),
    ),
    Action(
        "escalate", DISPUTE, ASSIGNED, "assigned", perm.can_escalate,
        service="escalate", label=_l("Escalate"), already_done=N_("You already escalated this case."),
        when=_below_centre,
        why_not=N_("The case is already at the township centre; it cannot be escalated further."),
    ),
    Action(
        "callback", ORDER, RESOLVED, None, perm.can_callback,
        service="record_callback", label=_l("Callback"),
        already_done=N_("You already recorded the callback of this order."),
        when=_no_callback_yet, why_not=N_("The callback is already recorded for this order."),
    ),
    Action(
        "urge", BOTH, ASSIGNED, None, perm.can_urge,
        service="urge", label=_l("Urge"), already_done=N_("You already urged this case."),
    ),
    Action(
        "convert", ORDER, ANY_STATE, None, perm.can_convert,
        service="convert_to_dispute", label=_l("Convert to dispute"),
    ),
    Action("note", BOTH, ANY_STATE, None, perm.can_note, service="add_note", label=_l("Note")),
    Action(
        "request_extension", BOTH, ASSIGNED, None, perm.is_assignee,
        service="request_extension", label=_l("Ask for an extension"),
        already_done=N_("You already asked for an extension of this case."),
        when=_may_ask_extension,
        why_not=N_("An extension can be asked for only before the deadline, one at a time, up to the limit."),
    ),
    Action(
        "grant_extension", BOTH, ASSIGNED, None, _dispatcher,
        service="grant_extension", label=_l("Grant the extension"),
        already_done=N_("You already granted the extension."),
        when=_extension_pending, why_not=N_("No extension request is waiting for a decision."),
    ),
    Action(
        "refuse_extension", BOTH, ASSIGNED, None, _dispatcher,
        service="refuse_extension", label=_l("Refuse the extension"),
        already_done=N_("You already refused the extension."),
        when=_extension_pending, why_not=N_("No extension request is waiting for a decision."),
    ),
)  # fmt: skip
# The other events of a case's history, in words beside the actions'.
EVENT_LABELS = {
    "receive": _l("Received from the platform"),
    "register": _l("Registered"),
    "recount_deadline": _l("Deadline recounted after the holiday calendar changed"),
}
# Every event of a case's history in words (the history, the flash that says what was done).
ACTION_LABELS = {a.name: a.label for a in ACTIONS.values()} | EVENT_LABELS


def service_of(action: str) -> Callable[..., CaseEvent]:
    """The service declared for `action`: service(case, actor, **arguments). Looked up when asked for, so that
    a function of this module replaced meanwhile (a test's stand-in) is the one that runs."""
    return globals()[ACTIONS[action].service]


def _applies(a: Action, case: Case) -> bool:
    return case.kind in a.kinds and case.state in a.from_states


def action_for(action: str, case: Case, now: datetime | None = None) -> Action | None:
    """The declaration that lets `action` happen to this case at `now` (default: this instant), or None."""
    a = ACTIONS.get(action)
    return a if a is not None and _applies(a, case) and a.when(case, now or utcnow()) else None


def _not_allowed(action: str, case: Case) -> NotAllowed:
    a = ACTIONS.get(action)
    if a is not None and a.why_not and _applies(a, case):
        return NotAllowed(a.why_not)
    return ActionNotPossible(action, a.label if a else None)


def already_done(case: Case, actor: User, action: str) -> AlreadyDone | None:
    """When `action` by `actor` is what last changed the case, a second submission of it (a double tap on
    办结, a form sent twice) is no conflict with someone else: the refusal that says they did it, else None.
    Notes are passed over: they change nothing and make no form out of date."""
    message = ACTIONS[action].already_done if action in ACTIONS else None
    if message is None:
        return None
    last = db.session.scalar(
        select(CaseEvent)
        .where(CaseEvent.case_id == case.id, CaseEvent.action != "note")
        .order_by(CaseEvent.id.desc())
        .limit(1)
    )
    if last is None or last.actor_id != actor.id or last.action != action:
        return None
    return AlreadyDone(message)


def allowed_actions(user, case: Case) -> list[str]:
    """The actions `user` may take on `case` now, in declaration order."""
    now = utcnow()
    return [a.name for a in ACTIONS.values() if action_for(a.name, case, now) and a.may(user, case)]


def _check(action: str, case: Case, actor: User, expected_version: int | None, at: datetime | None = None) -> Action:
    if expected_version is not None and expected_version != case.version:
        raise StaleCase(STALE)
    a = action_for(action, case, at)
    if a is None:
        raise _not_allowed(action, case)
    if not a.may(actor, case):
        raise Forbidden(N_("You may not do this on this case."))
    return a


def _required(value: str | None, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(message, field)
    return value


def _record(
    case: Case,
    actor: User | None,
    action: str,
    from_state: str | None,
    note: str = "",
    at: datetime | None = None,
    **data,
) -> CaseEvent:
    event = CaseEvent(
        case=case,
        actor=actor,
        action=action,
        from_state=from_state,
        to_state=case.state,
        note=note,
        data={k: v for k, v in data.items() if v is not None},
        at=at or utcnow(),
    )
    db.session.add(event)
    return event


@contextmanager
def conflicts_are_stale():
    """A version conflict met inside, wherever the session flushes (an autoflush of a query or a lazy load,
    a flush), is StaleCase: the case was changed by someone else meanwhile, never a crash. A block that ends
    with a flush covers the commit after it too: the commit has nothing left to write."""
    try:
        yield
    except StaleDataError as exc:
        raise StaleCase(STALE) from exc


def _flush() -> None:
    """Write now so that a concurrent change surfaces here, as StaleCase, not at commit."""
    with conflicts_are_stale():
        db.session.flush()


def _apply(t: Action, case: Case, actor: User | None, note: str, at: datetime | None, **data):
    at = at or utcnow()  # one moment for the change, a lapsed extension request and the history
    if t.name in LAPSED_BY:  # the case leaves its cadre: a request still waiting lapses with it
        data["extension_lapsed"] = _lapse_extension(case, actor, t.name, at)
    from_state = case.state
    if t.to_state:
        case.state = t.to_state
    event = _record(case, actor, t.name, from_state, note, at, **data)
    _flush()
    _tell(t.name, case, actor, event)
    _flush()
    return event


# --- who is told (通知) ------------------------------------------------------------------------------

# Who is told of an action, in the words of a kind of notices.KINDS: the case's holder once it is done, the one
# who held it before, the cadre whose extension request was decided, or every dispatcher. The reason or note of
# the action goes with it. The actor is never told of their own action (notices.notify passes over them).
TOLD = {
    "assign": (("holder", "assigned"),),
    "reassign": (("holder", "assigned"), ("previous", "reassigned_away")),
    "escalate": (("holder", "escalated"),),
    "return": (("dispatchers", "returned"),),
    "request_extension": (("dispatchers", "extension_asked"),),
    "grant_extension": (("asker", "extension_granted"),),
    "refuse_extension": (("asker", "extension_refused"),),
    "reopen": (("holder", "reopened"),),
    "urge": (("holder", "urged"),),
}
# What a kind's sentence names beyond the case's number and the actor's name, from the case and its event.
WORDS = {
    "reassigned_away": lambda case, event: {"assignee": case.assignee.name},
    "extension_asked": lambda case, event: {"days": event.data["working_days"]},
    "extension_granted": lambda case, event: {"due": localtime(case.due_at)},
}


def _tell(action: str, case: Case, actor: User | None, event: CaseEvent) -> None:
    """Notify whoever TOLD names for the action, in the transaction of its event."""
    for whom, kind in TOLD.get(action, ()):
        words = WORDS[kind](case, event) if kind in WORDS else {}
        said = dict(case=case, actor=actor, text=event.note, at=event.at, **words)
        if whom == "dispatchers":
            notices.notify_dispatchers(kind, **said)
        else:
            notices.notify(_recipient(whom, case, event), kind, **said)


def _recipient(whom: str, case: Case, event: CaseEvent) -> User | None:
    if whom == "holder":
        return case.assignee
    if whom == "previous":
        return db.session.get(User, event.data["previous_id"]) if event.data.get("previous_id") else None
    return _last_extension(case).requested_by  # "asker": the request just decided is the case's last


# --- intake and registration -------------------------------------------------------------------


# A whole sentence for each field, as the intake words a row without it (one msgid each): a field's key
# ("received_at") is never put in a sentence shown to people.
MISSING_ORDER_FIELD = {
    "number": N_("The order number is missing."),
    "received_at": N_("The received time is missing."),
    "content": N_("The content is missing."),
}


def receive_order(actor: User | None, *, at: datetime | None = None, **fields) -> Case:
    """Register a hotline order from the platform (actor None: the intake)."""
    for name, message in MISSING_ORDER_FIELD.items():
        if not fields.get(name):
            raise InvalidInput(message, name)
    case = Case(kind="order", state="received", **fields)
    db.session.add(case)
    received = CaseEvent.receive_values(at or fields["received_at"], actor.id if actor else None)
    db.session.add(CaseEvent(case=case, **received))
    _flush()
    return case


def next_dispute_number(year: int) -> str:
    prefix = f"JF{year}-"
    last = db.session.scalar(select(func.max(Case.number)).where(Case.number.like(f"{prefix}%")))
    seq = int(last.removeprefix(prefix)) + 1 if last else 1
    return f"{prefix}{seq:05d}"


def _insert_numbered(case: Case, year: int, attempts: int = 5) -> None:
    """Insert a new dispute under the next free number of its year (local year, JF2026-00001).

    Two registrations at the same moment compute the same number; the unique index refuses the
    second, which then takes the next number inside its own savepoint instead of failing. Two
    submits of one form at the same moment carry the same submission key: its unique index makes
    the second wait for the first and then refuses it, which is AlreadySubmitted, not a new number.
    """
    for _ in range(attempts):
        case.number = next_dispute_number(year)
        try:
            with savepoint():
                db.session.add(case)
        except IntegrityError:
            _check_first_submission(case.submission_key)
            continue
        return
    raise StaleCase(N_("Another dispute was registered at the same moment; please submit again."))


def _check_first_submission(submission_key: str | None) -> None:
    """Refuse a form whose one-time key already registered a dispute, naming that dispute."""
    if not submission_key:
        return
    first = db.session.scalar(select(Case).where(Case.submission_key == submission_key))
    if first is not None:
        raise AlreadySubmitted(first)


def register_dispute(
    actor: User,
    *,
    village: Village | None,
    category: str,
    source: str,
    content: str,
    parties: list[dict],
    received_at: datetime | None = None,
    origin: Case | None = None,
    address: str = "",
    submission_key: str | None = None,
    attachments: list[Upload] = (),
    at: datetime | None = None,
) -> Case:
    """Open a dispute case at the village tier; parties are dicts of name, contact, role; photos
    (`attachments`, checked uploads) go with the registration.

    `submission_key` is the form's one-time key: a form already registered raises AlreadySubmitted
    naming its dispute, also when both submits arrive at the same moment (the key is unique)."""
    if not perm.can_create_dispute(actor, village):
        raise Forbidden(N_("You may not register a dispute in this village."))
    _check_first_submission(submission_key)
    content = _required(content, "content", N_("Describe the dispute."))
    if not category:
        raise InvalidInput(N_("Choose the type of dispute."), "category")
    named = [p for p in parties if (p.get("name") or "").strip()]
    if not named:
        raise InvalidInput(N_("Name at least one party."), "parties")
    received_at = received_at or utcnow()
    if not EARLIEST_RECEIVED <= received_at <= utcnow() + timedelta(days=1):
        raise InvalidInput(BAD_RECEIVED_AT, "received_at")
    case = Case(
        kind="dispute",
        state="received",
        received_at=received_at,
        village=village,
        category=category,
        source=source,
        content=content,
        address=address,
        tier="village",
        submission_key=submission_key or None,
        parties=[
            Party(name=p["name"].strip(), contact=(p.get("contact") or "").strip(), role=(p.get("role") or "").strip())
            for p in named
        ],
    )
    _insert_numbered(case, deadlines.calendar().local_date(received_at).year)
    case.origin = origin  # linked once inserted: before, autoflush would meet a half-made case
    event = _record(case, actor, "register", None, at=at, origin=origin and origin.number)
    _flush()
    _with_files(event, actor, attachments)
    return case


def convert_to_dispute(
    order: Case,
    actor: User,
    *,
    expected_version: int | None = None,
    submission_key: str | None = None,
    at: datetime | None = None,
    **fields,
) -> Case:
    """Open a dispute case from a hotline order; each links to the other and the order's history says so.

    A form sent twice names the dispute it registered (AlreadySubmitted), before its version is looked at:
    the first submit changed the order, and a repeat is not a conflict with someone else."""
    _check_first_submission(submission_key)
    t = _check("convert", order, actor, expected_version)
    fields.setdefault("village", order.village)
    fields.setdefault("address", order.address)
    dispute = register_dispute(actor, source="12345工单", origin=order, submission_key=submission_key, at=at, **fields)
    order.updated_at = at or utcnow()  # bumps the version: two conversions at once conflict, not duplicate
    _apply(t, order, actor, "", at, dispute=dispute.number)
    return dispute


# --- the actions -------------------------------------------------------------------------------


def _check_assignee(village_id: int | None, assignee: User | None) -> User:
    if assignee is None:
        raise InvalidInput(N_("Choose the cadre who will handle the case."), "assignee")
    if not perm.serves(assignee, village_id):
        raise InvalidInput(N_("%(name)s does not serve this case's village."), "assignee", name=assignee.name)
    return assignee


# --- who mediates a dispute at each tier (三级调解) --------------------------------------------------

CENTRE_ONLY = N_(
    "%(name)s does not work at the township centre: choose a dispatcher or one of the centre's mediators "
    "(a cadre serving no village and no district)."
)
NO_DISTRICT_MEDIATOR = N_(
    "This case's village has no mediation district with an active mediator: an administrator sets one first."
)
DISTRICT_ONLY = N_("At the district tier the case goes to the mediator of %(district)s, %(mediator)s.")


def district_mediator(case: Case) -> User | None:
    """The mediator of the case's village's mediation district (调解片区), when there is one able to act."""
    district = case.village.district if case.village else None
    mediator = district.mediator if district else None
    return mediator if mediator and mediator.active and mediator.role in CASE_HANDLERS else None


def centre_staff() -> list[User]:
    """The township centre's (综治中心) people: the active dispatchers, and the active cadres attached to no
    village and mediating no district (the centre's own mediators), by role then name."""
    attached = select(user_villages.c.user_id)
    mediating = select(District.mediator_id).where(District.mediator_id.is_not(None))
    unattached_cadre = and_(User.role == "cadre", User.id.not_in(attached), User.id.not_in(mediating))
    query = select(User).where(User.active, or_(User.role == "dispatcher", unattached_cadre))
    return list(db.session.scalars(query.order_by(User.role, User.name)))


def mediators_at(case: Case, tier: str) -> list[User]:
    """Who may hold a dispute at the district or the centre tier: the district's mediator, or the centre's staff."""
    if tier == "district":
        return [m] if (m := district_mediator(case)) else []
    return centre_staff()


def next_tier(tier: str | None) -> str:
    return TIERS[min(TIERS.index(tier or "village") + 1, len(TIERS) - 1)]


def _check_holder(case: Case, tier: str | None, assignee: User | None, missing: str) -> User:
    """The person who will hold the case at `tier`: below the district a cadre serving its village; at the
    district its mediator; at the centre one of its staff. Refused with a message that says who may."""
    if assignee is None:
        raise InvalidInput(missing, "assignee")
    if tier in (None, "village"):
        return _check_assignee(case.village_id, assignee)
    if any(person.id == assignee.id for person in mediators_at(case, tier)):
        return assignee
    if tier == "centre":
        raise InvalidInput(CENTRE_ONLY, "assignee", name=assignee.name)
    mediator = district_mediator(case)
    if mediator is None:
        raise InvalidInput(NO_DISTRICT_MEDIATOR, "assignee")
    raise InvalidInput(DISTRICT_ONLY, "assignee", district=case.village.district.name, mediator=mediator.name)


def assign(
    case: Case,
    actor: User,
    *,
    assignee: User | None,
    village: Village | None = None,
    note: str = "",
    expected_version: int | None = None,
    at: datetime | None = None,
) -> CaseEvent:
    """派单: give a received case to a cadre serving its village (setting the village if unknown)."""
    t = _check("assign", case, actor, expected_version)
    village_id = village.id if village is not None else case.village_id
    if village_id is None:
        raise InvalidInput(N_("Set the case's village first."), "village")
    _check_assignee(village_id, assignee)
    if village is not None:
        case.village = village
    case.assignee = assignee
    case.acknowledged_at = case.acknowledged_at or at or utcnow()
    return _apply(
        t,
        case,
        actor,
        note.strip(),
        at,
        assignee=assignee.name,
        assignee_id=assignee.id,
        village=village and village.name,
    )


def assign_many(cases, actor: User, assignee: User | None = None) -> tuple[int, list[tuple[Case, WorkflowError]]]:
    """Bulk 派单: each case goes to `assignee`, or else to its village's default cadre.

    Each case succeeds or is skipped with its reason (in a savepoint), the others go on; returns
    how many were assigned and the skipped cases with the error that stopped each.
    """
    done, skipped = 0, []
    for case in cases:
        target = assignee or (case.village.default_cadre if case.village else None)
        try:
            if case.village and target is None:
                raise InvalidInput(N_("The village has no default cadre; choose one."), "assignee")
            with savepoint():
                assign(case, actor, assignee=target)
            done += 1
        except WorkflowError as exc:
            skipped.append((case, exc))
    return done, skipped


def reassign(
    case: Case,
    actor: User,
    *,
    assignee: User | None,
    note: str = "",
    expected_version: int | None = None,
    at: datetime | None = None,
) -> CaseEvent:
    """改派: hand an assigned case to another cadre serving its village; an escalated dispute to another
    person who mediates at its tier."""
    t = _check("reassign", case, actor, expected_version)
    new = _check_holder(case, case.tier, assignee, N_("Choose the cadre who will handle the case."))
    if new.id == case.assignee_id:
        raise InvalidInput(N_("%(name)s already has this case."), "assignee", name=new.name)
    previous, case.assignee = case.assignee, new
    before = {"previous": previous.name, "previous_id": previous.id} if previous else {}
    return _apply(t, case, actor, note.strip(), at, assignee=new.name, assignee_id=new.id, **before)


def return_to_dispatcher(
    case: Case, actor: User, *, reason: str, expected_version: int | None = None, at: datetime | None = None
) -> CaseEvent:
    """退单: the assigned cadre hands the case back with a reason (e.g. not our village)."""
    t = _check("return", case, actor, expected_version)
    reason = _required(reason, "reason", N_("Say why the case goes back."))
    case.assignee = None
    return _apply(t, case, actor, reason, at)


def resolve(
    case: Case,
    actor: User,
    *,
    result: str,
    outcome: str | None = None,
    agreement_terms: str = "",
    performance_deadline: date | None = None,
    failure_route: str = "",
    attachments: list[Upload] = (),
    expected_version: int | None = None,
    at: datetime | None = None,
) -> CaseEvent:
    """办结: record the result, with photos of the work (`attachments`, checked uploads; required for the
    categories of PHOTO_REQUIRED_CATEGORIES); a dispute also records its outcome and what goes with it, a
    settled one its agreement as a PDF too. An order's reply to the platform names its photos."""
    t = _check("resolve", case, actor, expected_version)
    at = at or utcnow()  # one moment for the resolution, the outcome's checks and the history
    result = _required(result, "result", N_("Write what was done: the result is required."))
    _check_attachments(case, outcome, attachments)
    if case.is_dispute:
        _set_outcome(case, outcome, agreement_terms, performance_deadline, failure_route, at)
    case.result = result
    case.resolved_at = at
    replies.enqueue_reply(case, actor, reply_images(attachments))  # a hotline order's reply, same transaction
    event = _apply(t, case, actor, case.result, at, outcome=case.outcome, on_behalf=_on_behalf(case, actor))
    return _with_files(event, actor, attachments)


PHOTO_REQUIRED = N_("An order of the category “%(category)s” needs at least one photo of the work to be resolved.")
AGREEMENT_ONLY = N_("A PDF can go only with the agreement of a settled dispute.")
NO_AGREEMENT = N_("An agreement can go only with a settled dispute.")


def _check_attachments(case: Case, outcome: str | None, attachments: list[Upload]) -> None:
    photo_required = case.is_order and case.category in current_app.config["PHOTO_REQUIRED_CATEGORIES"]
    if photo_required and not any(upload.is_image for upload in attachments):
        raise InvalidInput(PHOTO_REQUIRED, "photos", category=case.category)
    settled = case.is_dispute and outcome == "settled"
    if not all(upload.is_image for upload in attachments) and not settled:
        raise InvalidInput(AGREEMENT_ONLY, "agreement")
    if any(upload.agreement for upload in attachments) and not settled:  # an order's agreement field: hand-made
        raise InvalidInput(NO_AGREEMENT, "agreement")


def _with_files(event: CaseEvent, actor: User, attachments: list[Upload]) -> CaseEvent:
    """The event, with its uploads kept: their files written, their rows added and flushed."""
    if attachments:
        attach(event, actor, attachments)
        _flush()
    return event


def _on_behalf(case: Case, actor: User) -> str | None:
    return case.assignee.name if case.assignee and case.assignee_id != actor.id else None


EARLY_PERFORMANCE = N_("The performance deadline cannot be earlier than the day the dispute is resolved (%(day)s).")


def _set_outcome(case: Case, outcome: str | None, terms: str, deadline: date | None, route: str, at: datetime) -> None:
    """Checks everything first, so that a refusal leaves the case untouched. An agreement's performance
    deadline, if given, is on or after the (local) day of the resolution `at`."""
    if outcome not in OUTCOMES:
        raise InvalidInput(N_("Choose the outcome of the mediation."), "outcome")
    if outcome == "settled":
        terms = _required(terms, "agreement_terms", N_("Write the terms of the agreement."))
        resolved_on = deadlines.calendar().local_date(at)
        if deadline is not None and deadline < resolved_on:
            raise InvalidInput(EARLY_PERFORMANCE, "performance_deadline", day=resolved_on.isoformat())
    elif outcome == "failed":
        route = _required(
            route, "failure_route", N_("Say which route (arbitration, administrative, court) the parties were told.")
        )
    case.outcome = outcome
    if outcome == "settled":
        case.agreement_terms, case.performance_deadline = terms, deadline
    elif outcome == "failed":
        case.failure_route = route


def reopen(
    case: Case, actor: User, *, reason: str, expected_version: int | None = None, at: datetime | None = None
) -> CaseEvent:
    """重办: a resolved case goes back to its cadre (e.g. the caller was not satisfied); counted."""
    t = _check("reopen", case, actor, expected_version)
    reason = _required(reason, "reason", N_("Say why the case is reopened."))
    withdrawn = replies.withdraw_unsent(case) if case.is_order else 0  # the old result must not reach the platform
    previous_result = case.result
    case.reopen_count += 1
    case.result = case.resolved_at = case.outcome = None
    case.agreement_terms = case.failure_route = case.performance_deadline = None
    case.callback_solved = case.callback_satisfaction = case.callback_at = None
    return _apply(
        t,
        case,
        actor,
        reason,
        at,
        reopen_count=case.reopen_count,
        previous_result=previous_result,
        reply_withdrawn=withdrawn or None,
    )


def escalate(
    case: Case,
    actor: User,
    *,
    assignee: User | None,
    note: str = "",
    expected_version: int | None = None,
    at: datetime | None = None,
) -> CaseEvent:
    """上报: a dispute the current tier cannot settle goes, with its notes, to the next tier: to the mediator
    of its village's mediation district, then to the township centre's staff (see mediators_at)."""
    t = _check("escalate", case, actor, expected_version)
    _check_holder(case, next_tier(case.tier), assignee, N_("Choose the mediator at the next tier."))
    from_tier, case.tier = case.tier, next_tier(case.tier)
    case.assignee = assignee
    return _apply(
        t,
        case,
        actor,
        note.strip(),
        at,
        from_tier=from_tier,
        tier=case.tier,
        assignee=assignee.name,
        assignee_id=assignee.id,
    )


def record_callback(
    case: Case,
    actor: User,
    *,
    solved: bool | None,
    satisfaction: str | None,
    note: str = "",
    expected_version: int | None = None,
    at: datetime | None = None,
) -> CaseEvent:
    """回访: what the caller said once the order was resolved."""
    t = _check("callback", case, actor, expected_version)
    if solved is None:
        raise InvalidInput(N_("Say whether the caller considers the problem solved."), "solved")
    if satisfaction not in SATISFACTION:
        raise InvalidInput(N_("Choose the caller's satisfaction."), "satisfaction")
    case.callback_solved, case.callback_satisfaction = solved, satisfaction
    case.callback_at = at or utcnow()
    return _apply(t, case, actor, note.strip(), at, solved=solved, satisfaction=satisfaction)


def urge(
    case: Case, actor: User, *, note: str = "", expected_version: int | None = None, at: datetime | None = None
) -> CaseEvent:
    """催办: a dispatcher reminds the cadre who holds an assigned case to act on it, with a note if any; the history
    records it and whom it went to. The case stays as it is but for its version, which moves on (as an extension
    request's does), so that the same form sent twice is told it was done."""
    t = _check("urge", case, actor, expected_version)
    case.updated_at = at or utcnow()
    return _apply(t, case, actor, note.strip(), at, assignee=case.assignee.name)


def add_note(
    case: Case, actor: User, *, note: str, attachments: list[Upload] = (), at: datetime | None = None
) -> CaseEvent:
    """备注: a line in the history, with photos (`attachments`, checked uploads; then the text may be empty); it
    does not change the case, so it never conflicts."""
    t = _check("note", case, actor, None)
    note = (note or "").strip() if attachments else _required(note, "note", N_("The note is empty."))
    return _with_files(_apply(t, case, actor, note, at), actor, attachments)


# --- extensions (延期) ---------------------------------------------------------------------------


def _pending_extension(case: Case) -> ExtensionRequest | None:
    if case.id is None:
        return None
    return db.session.scalar(
        select(ExtensionRequest).where(ExtensionRequest.case_id == case.id, ExtensionRequest.status == "pending")
    )


def _extension_limits() -> tuple[int, int]:
    return current_app.config["EXTENSION_MAX"], current_app.config["EXTENSION_MAX_DAYS"]


def _why_no_extension(case: Case, now: datetime) -> WorkflowError | None:
    """Why this case cannot get an extension request now, or None."""
    most, _ = _extension_limits()
    if case.due_at is None:
        return NotAllowed(N_("This case has no deadline to extend."))
    if now > case.due_at:
        return NotAllowed(N_("The deadline has passed: an extension must be asked for before it."))
    if case.extension_count >= most:
        return NotAllowed(N_("This case has had the most extensions allowed (%(most)d)."), most=most)
    if _pending_extension(case) is not None:
        return NotAllowed(N_("An extension request is already waiting for a decision."))
    return None


def _extension_days(value) -> int:
    _, longest = _extension_limits()
    try:
        days = int(value)
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= longest:
        raise InvalidInput(N_("Ask for 1 to %(longest)d working days."), "working_days", longest=longest)
    return days


def request_extension(
    case: Case,
    actor: User,
    *,
    reason: str,
    working_days,
    expected_version: int | None = None,
    at: datetime | None = None,
) -> CaseEvent:
    """延期申请: the assigned cadre asks, before the deadline and with a reason, for 1..EXTENSION_MAX_DAYS more
    working days; one request waits at a time and a case gets at most EXTENSION_MAX extensions."""
    now = at or utcnow()
    if case.state == "assigned" and perm.is_assignee(actor, case) and (refusal := _why_no_extension(case, now)):
        raise refusal  # the precise reason, rather than the table's general one
    t = _check("request_extension", case, actor, expected_version, at)
    reason = _required(reason, "reason", N_("Say why more time is needed."))
    days = _extension_days(working_days)
    db.session.add(ExtensionRequest(case=case, requested_by=actor, requested_at=now, reason=reason, working_days=days))
    case.updated_at = now  # bumps the version: a decision taken meanwhile conflicts instead of crossing
    return _apply(t, case, actor, reason, at, working_days=days)


def grant_extension(
    case: Case, actor: User, *, note: str = "", expected_version: int | None = None, at: datetime | None = None
) -> CaseEvent:
    """准予延期: a dispatcher grants the waiting request; the due time moves by its working days (same time
    of day), the case counts one more extension, and the request keeps the decision and the new due time."""
    t = _check_decision("grant_extension", case, actor, expected_version)
    request = _pending_extension(case)
    most, _ = _extension_limits()
    if case.extension_count >= most:
        raise NotAllowed(N_("This case has had the most extensions allowed (%(most)d)."), most=most)
    now = at or utcnow()
    previous = case.due_at
    case.due_at = deadlines.extended_due(previous, request.working_days)
    case.extension_count += 1
    _decide(request, actor, "granted", note.strip(), now, new_due_at=case.due_at)
    return _apply(
        t,
        case,
        actor,
        note.strip(),
        at,
        working_days=request.working_days,
        previous_due_at=previous.isoformat(),
        due_at=case.due_at.isoformat(),
    )


def refuse_extension(
    case: Case, actor: User, *, reason: str, expected_version: int | None = None, at: datetime | None = None
) -> CaseEvent:
    """驳回延期: a dispatcher refuses the waiting request with a reason; the deadline stays."""
    t = _check_decision("refuse_extension", case, actor, expected_version)
    reason = _required(reason, "reason", N_("Say why the extension is refused."))
    request = _pending_extension(case)
    now = at or utcnow()
    _decide(request, actor, "refused", reason, now)
    case.updated_at = now  # bumps the version, as for a grant
    return _apply(t, case, actor, reason, at, working_days=request.working_days)


def _decide(request: ExtensionRequest, actor: User, status: str, note: str, now: datetime, new_due_at=None) -> None:
    request.status, request.decided_by, request.decided_at = status, actor, now
    request.decision_note, request.new_due_at = note, new_due_at


# Why a waiting request lapsed, by the action that took the case from the cadre who asked.
LAPSED_BY = {
    "return": N_("The extension request lapsed: the case went back to the dispatcher before a decision."),
    "reassign": N_("The extension request lapsed: the case was given to someone else before a decision."),
    "escalate": N_("The extension request lapsed: the case was escalated before a decision."),
    "resolve": N_("The extension request lapsed: the case was resolved before a decision."),
}


def _lapse_extension(case: Case, actor: User, action: str, at: datetime) -> int | None:
    """The waiting request of a case leaving its cadre (returned, reassigned, escalated, resolved: the actions
    of LAPSED_BY, which _apply calls this for) lapses, in the same transaction: nobody is left to decide it for.
    Its working days go into the history, or None."""
    with db.session.no_autoflush:  # the case's change is flushed by _apply, where a conflict is a StaleCase
        request = _pending_extension(case)
    if request is None:
        return None
    _decide(request, actor, "lapsed", action, at)
    return request.working_days


# A decision on a request someone else decided meanwhile, by that decision.
DECIDED_BY = {
    "granted": N_("The extension request was already granted by %(name)s."),
    "refused": N_("The extension request was already refused by %(name)s."),
}
DECISION = {"grant_extension": "granted", "refuse_extension": "refused"}


def _check_decision(action: str, case: Case, actor: User, expected_version: int | None) -> Action:
    """As _check; but when the request a dispatcher means is no longer waiting (it lapsed, or someone else
    decided it), the refusal says so and why, also from a page loaded before: that, not a version conflict."""
    if (why := _no_longer_waiting(action, case, actor)) is not None:
        raise why
    return _check(action, case, actor, expected_version)


def _no_longer_waiting(action: str, case: Case, actor: User) -> NotAllowed | None:
    """Why the last request of the case is past deciding, or None: none waits or was made, the actor is no
    dispatcher, or it is the actor's own same decision (a double tap, which already_done tells)."""
    if not perm.is_dispatcher(actor) or _pending_extension(case) is not None:
        return None
    last = _last_extension(case)
    if last is None or (last.decided_by_id == actor.id and DECISION[action] == last.status):
        return None
    if last.status == "lapsed":
        return NotAllowed(LAPSED_BY.get(last.decision_note, LAPSED_BY["reassign"]))
    return NotAllowed(DECIDED_BY[last.status], name=last.decided_by.name) if last.status in DECIDED_BY else None


def _last_extension(case: Case) -> ExtensionRequest | None:
    """The case's latest extension request, whatever became of it."""
    query = select(ExtensionRequest).where(ExtensionRequest.case_id == case.id)
    return db.session.scalar(query.order_by(ExtensionRequest.id.desc()).limit(1))

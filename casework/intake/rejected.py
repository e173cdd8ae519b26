"""Rejected rows: what dispatchers see of the rows intake could not import, to correct and re-import or dismiss.

A correction goes through the same checks (normalize.Normalizer) and the same insert (ingest.insert_orders)
as the intake itself, so a corrected row is held to exactly the rules every other row is.
"""

from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from .. import permissions as perm
from ..extensions import db, savepoint
from ..models import RejectedRow, User, utcnow
from ..refusals import N_, Forbidden, InvalidInput, NotAllowed
from .ingest import CONTENT_ERRORS, insert_orders, known_numbers, refused_by_database
from .normalize import FIELDS, Normalizer, Problem

DECIDED = ("imported", "dismissed")
ALREADY_KNOWN = N_("An order with this number is already in Casework: dismiss this row instead.")
NOT_OPEN = N_("This row has already been re-imported or dismissed.")


class RowInvalid(InvalidInput):
    """The corrected row still fails the checks; `problems` names each field and why."""

    def __init__(self, problems: list[Problem]):
        super().__init__(problems[0].message, problems[0].field)
        self.problems = problems


def open_rows(after_id: int | None = None, limit: int = 50) -> list[RejectedRow]:
    """Open rows, newest first, a page at a time (keyset on the status-and-id index)."""
    return _page(select(RejectedRow).where(RejectedRow.status == "open"), after_id, limit)


def decided_rows(after_id: int | None = None, limit: int = 50) -> list[RejectedRow]:
    """Rows re-imported or dismissed, newest first, each with who decided and when, a page at a time."""
    stmt = select(RejectedRow).where(RejectedRow.status.in_(DECIDED)).options(joinedload(RejectedRow.decided_by))
    return _page(stmt, after_id, limit)


def _page(stmt, after_id: int | None, limit: int) -> list[RejectedRow]:
    if after_id:
        stmt = stmt.where(RejectedRow.id < after_id)
    return list(db.session.scalars(stmt.order_by(RejectedRow.id.desc()).limit(limit)))


def count_open() -> int:
    return db.session.scalar(select(func.count()).select_from(RejectedRow).where(RejectedRow.status == "open"))


def problems_of(fields: dict) -> list[Problem]:
    """What the checks say about these fields now (nothing is written)."""
    return Normalizer.for_app().row(fields)[1]


def reimport(row: RejectedRow, fields: dict, actor) -> int:
    """Import a corrected row as a new order (its 'receive' event names the dispatcher) and mark the row
    imported, by that dispatcher, now; raises RowInvalid with every problem, or InvalidInput when the order
    number is already known. Returns the new case's id. Flushes, never commits."""
    _check_open(row, actor)
    checked, problems = Normalizer.for_app().row({key: fields.get(key) for key in FIELDS})
    if problems:
        raise RowInvalid(problems)
    checked["line"] = row.line
    ids = [] if known_numbers([checked["number"]]) else _insert(checked, row.source_name, actor)
    if not ids:
        raise InvalidInput(ALREADY_KNOWN, "order_no")
    row.case_id = ids[0]
    _decide(row, "imported", actor)
    return ids[0]


def _insert(checked: dict, source_name: str, actor) -> list[int]:
    """insert_orders for one corrected row, in a savepoint: a row the database still refuses is a RowInvalid
    with the database's reason (the form again, typing kept), not an error page."""
    try:
        with savepoint():
            return insert_orders([checked], source_name, actor.id)
    except CONTENT_ERRORS as exc:
        raise RowInvalid(refused_by_database(exc)) from exc


def dismiss(row: RejectedRow, actor) -> None:
    """Set a row aside for good (e.g. a test order, or one already entered by hand). It stays in the table,
    with the dispatcher who dismissed it and when."""
    _check_open(row, actor)
    _decide(row, "dismissed", actor)


def _decide(row: RejectedRow, status: str, actor: User) -> None:
    """Close the row as decided by `actor` now, only if still open: of two dispatchers deciding the same
    row at once, the second is refused rather than recorded over the first."""
    closed = db.session.execute(
        update(RejectedRow)
        .where(RejectedRow.id == row.id, RejectedRow.status == "open")
        .values(status=status, decided_by_id=actor.id, decided_at=utcnow(), case_id=row.case_id)
    ).rowcount
    if not closed:
        raise NotAllowed(NOT_OPEN)


def _check_open(row: RejectedRow, actor) -> None:
    if not perm.is_dispatcher(actor):
        raise Forbidden(N_("You may not do this on this case."))
    if row.status != "open":
        raise NotAllowed(NOT_OPEN)

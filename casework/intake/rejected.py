"""Rejected rows: what dispatchers see of the rows intake could not import, to correct and re-import or dismiss.

A correction goes through the same checks (normalize.Normalizer) and the same insert (ingest.insert_orders)
as the intake itself, so a corrected row is held to exactly the rules every other row is.
"""

from sqlalchemy import func, select

from .. import permissions as perm
from ..extensions import db
from ..models import RejectedRow
from ..workflow import N_, Forbidden, InvalidInput, NotAllowed
from .ingest import insert_orders, known_numbers
from .normalize import FIELDS, Normalizer, Problem

ALREADY_KNOWN = N_("An order with this number is already in Casework: dismiss this row instead.")
NOT_OPEN = N_("This row has already been re-imported or dismissed.")


class RowInvalid(InvalidInput):
    """The corrected row still fails the checks; `problems` names each field and why."""

    def __init__(self, problems: list[Problem]):
        super().__init__(problems[0].message, problems[0].field)
        self.problems = problems


def open_rows(after_id: int | None = None, limit: int = 50) -> list[RejectedRow]:
    """Open rows, newest first, a page at a time (keyset on the status-and-id index)."""
    stmt = select(RejectedRow).where(RejectedRow.status == "open")
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
    imported; raises RowInvalid with every problem, or InvalidInput when the order number is already known.
    Returns the new case's id. Flushes, never commits."""
    _check_open(row, actor)
    checked, problems = Normalizer.for_app().row({key: fields.get(key) for key in FIELDS})
    if problems:
        raise RowInvalid(problems)
    checked["line"] = row.line
    ids = [] if known_numbers([checked["number"]]) else insert_orders([checked], row.source_name, actor.id)
    if not ids:
        raise InvalidInput(ALREADY_KNOWN, "order_no")
    row.status, row.case_id = "imported", ids[0]
    db.session.flush()
    return ids[0]


def dismiss(row: RejectedRow, actor) -> None:
    """Set a row aside for good (e.g. a test order, or one already entered by hand). It stays in the table."""
    _check_open(row, actor)
    row.status = "dismissed"
    db.session.flush()


def _check_open(row: RejectedRow, actor) -> None:
    if not perm.is_dispatcher(actor):
        raise Forbidden(N_("You may not do this on this case."))
    if row.status != "open":
        raise NotAllowed(NOT_OPEN)

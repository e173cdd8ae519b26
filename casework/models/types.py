"""Column types, and the append-only guard, shared by the models."""

from datetime import UTC, datetime

from sqlalchemy import DateTime, event
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """Stores naive UTC on both SQLite and PostgreSQL; always hands back aware UTC datetimes."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    """The current instant, aware, in UTC (called per row, never at import)."""
    return datetime.now(UTC)


def append_only(model, refusal: type[Exception], what: str) -> None:
    """Rows of `model` are written once: changing or deleting one through the ORM raises `refusal` (the
    migrations add database triggers that refuse it from outside too). `what` names a row in the message."""

    def refuse(verb: str):
        def listener(mapper, connection, target):
            raise refusal(f"{what} {target.id} cannot be {verb}")

        return listener

    event.listen(model, "before_update", refuse("changed"))
    event.listen(model, "before_delete", refuse("deleted"))

"""Extension handles, bound to the app in create_app."""

from contextlib import contextmanager, suppress
from functools import partial

from flask import Flask, has_request_context, request
from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event, insert
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import DeclarativeBase

# Named constraints so that Alembic batch mode on SQLite can alter them.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


@contextmanager
def savepoint():
    """A savepoint that stays inside the request's transaction on SQLite as well.

    Python's sqlite3 begins a transaction only before a data-changing statement, so a SAVEPOINT sent
    first would open a transaction of its own and RELEASE would commit it: half a request written.
    Beginning the transaction first keeps the rule of one commit per request.
    """
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        raw = connection.connection.dbapi_connection
        if not raw.in_transaction:
            raw.execute("BEGIN IMMEDIATE")  # a savepoint is for writing: wait for the lock now (see below)
    with db.session.begin_nested() as nested:
        yield nested


def insert_ignoring_known(table, unique: list[str]):
    """INSERT … ON CONFLICT (`unique`) DO NOTHING: a row whose key is already stored is skipped (and one
    another transaction is inserting waits for it to end, on PostgreSQL)."""
    dialect_insert = _dialect_insert()
    return dialect_insert(table).on_conflict_do_nothing(index_elements=unique) if dialect_insert else insert(table)


def upsert(table, unique: list[str], rows: list[dict], changing: list[str]):
    """INSERT `rows` … ON CONFLICT (`unique`) DO UPDATE the `changing` columns to the values given: a row whose
    key is already stored (or is being inserted by another transaction, which it waits for) is updated, never a
    unique-key clash."""
    statement = _dialect_insert()(table).values(rows)
    return statement.on_conflict_do_update(
        index_elements=unique, set_={column: statement.excluded[column] for column in changing}
    )


def _dialect_insert():
    """The insert() of the session's database that knows ON CONFLICT (PostgreSQL, SQLite); None for others."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert
    return None


# --- waiting for locks -------------------------------------------------------------------------
#
# SQLite has one writer at a time. A transaction that has read and then wants to write cannot wait
# for the lock: SQLite answers "database is locked" at once, busy_timeout or not (its snapshot may be
# stale by the time the lock is free). busy_timeout applies only to a transaction that asks for the
# write lock before reading: BEGIN IMMEDIATE, or pysqlite's own BEGIN, which it sends just before the
# first INSERT/UPDATE/DELETE. So a request that may write (any method but GET, HEAD and OPTIONS)
# begins IMMEDIATE and waits its turn; page views keep pysqlite's deferred handling and take no lock;
# the scheduler, the CLI and the intake, outside a request, keep pysqlite's BEGIN-before-the-first-
# write, which waits too, and savepoint() above begins IMMEDIATE. (SQLAlchemy's recipe, pysqlite's
# BEGIN turned off and every transaction begun by us, would make reads begin deferred transactions
# that then fail at their first write, in every job that reads first.) PostgreSQL waits for row locks:
# lock_timeout bounds the wait. A wait that times out is a busy database: 503, try again.

READS = frozenset({"GET", "HEAD", "OPTIONS"})
BUSY_SQLSTATES = frozenset({"55P03", "40P01", "40001", "57014"})  # lock timeout, deadlock, serialization, cancel
SQLITE_BUSY, SQLITE_LOCKED = 5, 6


def init_database(app: Flask) -> None:
    """Lock waits on the app's engines: DATABASE_BUSY_TIMEOUT seconds (read by each new connection)
    before a lock held by someone else fails the request as busy; requests that may write take
    SQLite's write lock when they begin."""
    with app.app_context():
        engines = list(db.engines.values())
    for engine in engines:
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", partial(_sqlite_busy_timeout, app.config))
            event.listen(engine, "begin", _begin_writes_immediately)
        elif engine.dialect.name == "postgresql":
            event.listen(engine, "connect", partial(_postgres_lock_timeout, app.config))
    app.teardown_request(_end_write_transaction)


def _busy_ms(config) -> int:
    return max(0, round(float(config["DATABASE_BUSY_TIMEOUT"]) * 1000))


def _sqlite_busy_timeout(config, dbapi_connection, _record) -> None:
    dbapi_connection.execute(f"PRAGMA busy_timeout={_busy_ms(config)}")


def _postgres_lock_timeout(config, dbapi_connection, _record) -> None:
    with dbapi_connection.cursor() as cursor:
        cursor.execute(f"SET lock_timeout = {_busy_ms(config)}")
    dbapi_connection.commit()  # a SET sent alone is a transaction of its own


def _may_write() -> bool:
    return has_request_context() and request.method not in READS


def _begin_writes_immediately(connection) -> None:
    """SQLAlchemy begins a transaction: in a request that may write, SQLite's write lock is taken now."""
    if _may_write() and not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _end_write_transaction(_exc) -> None:
    """The lock a request took ends with the request, even where its app context lives on (tests)."""
    if _may_write() and db.session().in_transaction():
        discard_changes()


def discard_changes() -> None:
    """Roll the session back; a connection that is lost cannot roll back, so it is dropped instead."""
    try:
        db.session.rollback()
    except SQLAlchemyError:
        with suppress(SQLAlchemyError):
            db.session.invalidate()


def lock_timed_out(exc: BaseException) -> bool:
    """The database answered that it is busy: a lock held by someone else past the wait allowed, a
    deadlock, or no free connection in the pool. Not that it is down."""
    if isinstance(exc, PoolTimeout):
        return True
    orig = getattr(exc, "orig", None) if isinstance(exc, DBAPIError) else None
    if getattr(orig, "sqlstate", None) in BUSY_SQLSTATES:
        return True
    code = getattr(orig, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (SQLITE_BUSY, SQLITE_LOCKED)

"""Login throttling, counted in the login audit (auth_events) so that every worker sees the same counts.

A username is locked once LOGIN_MAX_FAILURES failed logins for it fall within LOGIN_WINDOW_MINUTES: the
"locked" event written then starts a lock of LOGIN_LOCK_MINUTES, during which every attempt for that
username is refused unchecked, the right password too. An address (ip) is locked the same way after
LOGIN_MAX_IP_FAILURES failures within the window, whatever usernames were tried. Failures count from the
later of: the window's start, the end of the last lock, an administrator's "unlock" (for a username).

Attempts refused during a lock are not recorded: the lock is, once, and an attacker cannot grow the
audit faster than the limits allow. `hold` serialises the attempts of one username and one address, so
that simultaneous attempts cannot each read "4 failures" and all be checked: on PostgreSQL with
transaction-scoped advisory locks, on SQLite by the write lock every POST takes when it begins
(extensions.init_database).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, text

from . import audit
from . import permissions as perm
from .audit import Origin
from .extensions import db
from .models import AuthEvent
from .text import clean
from .workflow import N_, Forbidden, InvalidInput

ADVISORY_CLASS = 9  # the first key of this module's advisory locks (issue 9), apart from any other's
# What counts as a failed login: a wrong password, and a wrong second-factor code (casework.second_factor).
FAILURES = (audit.FAILURE, audit.TOTP_FAILURE)


@dataclass(frozen=True)
class Limits:
    failures: int
    ip_failures: int
    window: timedelta
    lock: timedelta

    @classmethod
    def configured(cls) -> "Limits":
        config = current_app.config
        return cls(
            failures=int(config["LOGIN_MAX_FAILURES"]),
            ip_failures=int(config["LOGIN_MAX_IP_FAILURES"]),
            window=timedelta(minutes=float(config["LOGIN_WINDOW_MINUTES"])),
            lock=timedelta(minutes=float(config["LOGIN_LOCK_MINUTES"])),
        )


def typed(username: str | None) -> str:
    """The username as the audit keeps it: cleaned, stripped, cut to the column."""
    return clean(username or "").strip()[:40]


def hold(username: str, origin: Origin) -> None:
    """Wait until no other attempt for this username or this address is being decided (until commit)."""
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        return  # SQLite: the POST already holds the database's write lock
    for key in sorted({f"u:{username}", f"ip:{origin.ip}"}):  # always in the same order: no deadlock
        connection.execute(text("SELECT pg_advisory_xact_lock(:c, hashtext(:k))"), {"c": ADVISORY_CLASS, "k": key})


def locked_until(username: str, origin: Origin, now: datetime) -> datetime | None:
    """When the lock on this username or this address ends, if one holds at `now`."""
    limits = Limits.configured()
    ends = [
        _lock_end(AuthEvent.username == username, now, limits, unlockable=username),
        _lock_end(AuthEvent.ip == origin.ip, now, limits) if origin.ip else None,
    ]
    ends = [end for end in ends if end is not None]
    return max(ends) if ends else None


def note_failure(username: str, origin: Origin, now: datetime, user=None, detail: str = "password") -> datetime | None:
    """Record a failed login (or a wrong "current password" on the password page: `detail`); when it reaches
    a limit, record the lock too. The lock's end, if one began."""
    _at(now, audit.record(audit.FAILURE, origin, user=user, username=username, detail=detail))
    return lock_if_reached(username, origin, now, user=user)


def lock_if_reached(username: str, origin: Origin, now: datetime, user=None) -> datetime | None:
    """After a failure was recorded (a wrong password, or a wrong second-factor code): when the failures
    reach a limit, record the lock. The lock's end, if one began."""
    db.session.flush()
    limits = Limits.configured()
    if _failures(AuthEvent.username == username, now, limits, unlockable=username) >= limits.failures:
        _at(now, audit.record(audit.LOCKED, origin, user=user, username=username, detail="username"))
        return now + limits.lock
    if origin.ip and _failures(AuthEvent.ip == origin.ip, now, limits) >= limits.ip_failures:
        _at(now, audit.record(audit.LOCKED, origin, username=username, detail="ip"))
        return now + limits.lock
    return None


def _at(now: datetime, event: AuthEvent) -> None:
    """The event happened at the `now` the decision was made at (not yet written: no update of the audit)."""
    event.at = now


def lift(actor, username: str, origin: Origin) -> None:
    """An administrator lifts the lock on a username: its failures so far no longer count. Recorded with
    the administrator; anyone else is Forbidden."""
    if not perm.can_manage(actor):
        raise Forbidden(N_("Only administrators manage people and places."))
    username = typed(username)
    if not username:
        raise InvalidInput(N_("Choose the username to unlock."), "username")
    audit.record(audit.UNLOCK, origin, username=username, actor=actor)


def _lock_end(where, now: datetime, limits: Limits, unlockable: str | None = None) -> datetime | None:
    start = _last(audit.LOCKED, where, _detail_of(unlockable))
    if start is None or start + limits.lock <= now:
        return None
    unlocked = _last(audit.UNLOCK, AuthEvent.username == unlockable) if unlockable is not None else None
    return None if unlocked is not None and unlocked >= start else start + limits.lock


def _detail_of(unlockable: str | None) -> str:
    return "username" if unlockable is not None else "ip"


def _failures(where, now: datetime, limits: Limits, unlockable: str | None = None) -> int:
    """Failures since the window's start, the last lock's end, and (for a username) the last unlock."""
    since = [now - limits.window]
    last_lock = _last(audit.LOCKED, where, _detail_of(unlockable))
    if last_lock is not None:
        since.append(last_lock)
    if unlockable is not None and (unlocked := _last(audit.UNLOCK, AuthEvent.username == unlockable)):
        since.append(unlocked)
    query = select(func.count()).where(AuthEvent.kind.in_(FAILURES), where, AuthEvent.at > max(since))
    return db.session.scalar(query)


def _last(kind: str, where, detail: str | None = None) -> datetime | None:
    query = select(func.max(AuthEvent.at)).where(AuthEvent.kind == kind, where)
    if detail is not None:
        query = query.where(AuthEvent.detail == detail)
    return db.session.scalar(query)


def current_locks(now: datetime) -> list[tuple[str, datetime]]:
    """The usernames locked at `now` and when each lock ends, soonest first (an admin may lift them)."""
    limits = Limits.configured()
    recent = select(AuthEvent.username).where(
        AuthEvent.kind == audit.LOCKED, AuthEvent.detail == "username", AuthEvent.at > now - limits.lock
    )
    names = sorted(set(db.session.scalars(recent.distinct())))
    locks = [(name, _lock_end(AuthEvent.username == name, now, limits, unlockable=name)) for name in names]
    return sorted(((name, end) for name, end in locks if end is not None), key=lambda lock: lock[1])

"""Login throttling, counted in the login audit (auth_events) so that every worker sees the same counts.

A username is locked once LOGIN_MAX_FAILURES failed logins for it fall within LOGIN_WINDOW_MINUTES: the
"locked" event written then starts a lock of LOGIN_LOCK_MINUTES, during which every attempt for that
username is refused unchecked, the right password too. An address (ip) is locked the same way after
LOGIN_MAX_IP_FAILURES failures within the window, whatever usernames were tried. Failures count from the
later of: the window's start, the end of the last lock, an administrator's "unlock" of that username or
of that address (an address's unlock is recorded with the address as its ip and "ip" as its detail).

Attempts refused during a lock are not recorded: the lock is, once, and an attacker cannot grow the
audit faster than the limits allow. `hold` serialises the attempts of one username and one address, so
that simultaneous attempts cannot each read "4 failures" and all be checked: on PostgreSQL with
transaction-scoped advisory locks, on SQLite by the write lock every POST takes when it begins
(extensions.init_database).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from flask import current_app
from sqlalchemy import func, select, text

from . import audit
from . import permissions as perm
from .audit import Origin
from .extensions import db
from .models import AuthEvent
from .refusals import N_, Forbidden, InvalidInput
from .text import clean

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
        _lock_end(AuthEvent.ip == origin.ip, now, limits, address=origin.ip) if origin.ip else None,
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
    if origin.ip and _failures(AuthEvent.ip == origin.ip, now, limits, address=origin.ip) >= limits.ip_failures:
        _at(now, audit.record(audit.LOCKED, origin, username=username, detail="ip"))
        return now + limits.lock
    return None


def _at(now: datetime, event: AuthEvent) -> None:
    """The event happened at the `now` the decision was made at (not yet written: no update of the audit)."""
    event.at = now


def lift(actor, username: str | None, origin: Origin, ip: str | None = None) -> str:
    """An administrator lifts the lock on a username, or on an address (`ip`, when given): its failures so
    far no longer count. Recorded with the administrator (an address's unlock carries that address as its
    ip, detail "ip"); anyone else is Forbidden. What was unlocked."""
    if not perm.can_manage(actor):
        raise Forbidden(N_("Only administrators manage people and places."))
    address = Origin.of(ip, origin.user_agent) if ip is not None else None
    if address is not None and address.ip.strip():
        audit.record(audit.UNLOCK, address, actor=actor, detail="ip")
        return address.ip
    username = typed(username)
    if not username:
        raise InvalidInput(N_("Choose the username to unlock."), "username")
    audit.record(audit.UNLOCK, origin, username=username, actor=actor)
    return username


def _lock_end(
    where, now: datetime, limits: Limits, unlockable: str | None = None, address: str | None = None
) -> datetime | None:
    start = _last(audit.LOCKED, where, _detail_of(unlockable))
    if start is None or start + limits.lock <= now:
        return None
    unlocked = _last_unlock(unlockable, address)
    return None if unlocked is not None and unlocked >= start else start + limits.lock


def _last_unlock(username: str | None, address: str | None) -> datetime | None:
    """The last administrator's unlock of this username, or of this address (an unlock of a username made
    from that address is not one: its detail is not "ip")."""
    if username is not None:
        return _last(audit.UNLOCK, AuthEvent.username == username)
    if address:
        return _last(audit.UNLOCK, AuthEvent.ip == address, "ip")
    return None


def _detail_of(unlockable: str | None) -> str:
    return "username" if unlockable is not None else "ip"


def _failures(where, now: datetime, limits: Limits, unlockable: str | None = None, address: str | None = None) -> int:
    """Failures since the window's start, the last lock's end, and the last unlock of the username or address."""
    since = [now - limits.window]
    last_lock = _last(audit.LOCKED, where, _detail_of(unlockable))
    if last_lock is not None:
        since.append(last_lock)
    if unlocked := _last_unlock(unlockable, address):
        since.append(unlocked)
    query = select(func.count()).where(AuthEvent.kind.in_(FAILURES), where, AuthEvent.at > max(since))
    return db.session.scalar(query)


def _last(kind: str, where, detail: str | None = None) -> datetime | None:
    query = select(func.max(AuthEvent.at)).where(AuthEvent.kind == kind, where)
    if detail is not None:
        query = query.where(AuthEvent.detail == detail)
    return db.session.scalar(query)


class Lock(NamedTuple):
    """A lock in force: on a username (`what` "username") or an address ("ip"), and when it ends."""

    what: str
    value: str
    until: datetime


def current_locks(now: datetime) -> list[Lock]:
    """The usernames and addresses locked at `now` and when each lock ends, soonest first (an admin may
    lift them)."""
    limits = Limits.configured()
    recent = select(AuthEvent.detail, AuthEvent.username, AuthEvent.ip).where(
        AuthEvent.kind == audit.LOCKED, AuthEvent.detail.in_(("username", "ip")), AuthEvent.at > now - limits.lock
    )
    locks = []
    for what, username, ip in sorted(set(db.session.execute(recent.distinct()).all())):
        if what == "username":
            end = _lock_end(AuthEvent.username == username, now, limits, unlockable=username)
            value = username
        else:
            end = _lock_end(AuthEvent.ip == ip, now, limits, address=ip) if ip else None
            value = ip
        if end is not None:
            locks.append(Lock(what, value, end))
    return sorted(set(locks), key=lambda lock: (lock.until, lock.what, lock.value))

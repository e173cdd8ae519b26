"""Logging in and choosing passwords: the rules the login and password pages call.

Services in the house style: they take the acting user (or the username typed) and the request's
`Origin`, never the request; they flush, the caller commits once, and a refusal is a WorkflowError
(`LoginRefused` 401, `LoginLocked` 429, `InvalidInput` 422).
"""

from dataclasses import dataclass
from datetime import datetime

from flask_babel import format_time, gettext
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from . import audit, passwords, sessions, throttle
from . import permissions as perm
from .audit import Origin
from .extensions import db
from .models import AuthEvent, User, utcnow
from .refusals import N_, Forbidden, InvalidInput, WorkflowError


class LoginRefused(WorkflowError):
    """Wrong username or password: the same answer whether the account exists or not."""

    status = 401

    def __init__(self):
        super().__init__(N_("Wrong username or password."), "password")


class LoginLocked(WorkflowError):
    """Too many failed logins for this username or from this address: no attempt is checked until `until`."""

    status = 429

    def __init__(self, until: datetime):
        super().__init__(N_("Too many failed logins. Try again after %(time)s."), "password", time=until)
        self.until = until

    def text(self) -> str:
        """The message with the lock's end in local time, hours and minutes (the reader's time zone)."""
        return gettext(self.message, time=format_time(self.until, "HH:mm"))


def check_login(username: str | None, password: str | None, origin: Origin, now: datetime) -> User:
    """The user whose password this is (the login itself is recorded by record_login once any second
    factor is done too); else LoginRefused (the failure recorded, and
    a lock begun when it reaches a limit: then LoginLocked), or LoginLocked while a lock holds (checked
    before the password, so the right password is refused too). An unknown or inactive username costs the
    same hash check as a real one (passwords.verify)."""
    username = throttle.typed(username)
    throttle.hold(username, origin)
    until = throttle.locked_until(username, origin, now)
    if until is not None:
        raise LoginLocked(until)
    user = db.session.scalar(select(User).where(User.username == username)) if username else None
    if not passwords.verify(user, password or ""):
        until = throttle.note_failure(username, origin, now, user=user if user and user.active else None)
        raise LoginLocked(until) if until is not None else LoginRefused()
    return user


def record_login(user: User, origin: Origin) -> None:
    """The login is complete (the password, and the second factor when there is one): in the audit."""
    audit.record(audit.LOGIN, origin, user=user)


def must_change_password(user: User) -> bool:
    """An admin set this password: the user chooses their own before anything else (never a demo account)."""
    return bool(user.must_change_password) and not user.demo


def change_own_password(
    user: User, current: str, new: str, repeated: str, origin: Origin, now: datetime | None = None
) -> None:
    """The user's new password, when `current` is theirs, `new` meets the policy and `repeated` matches it;
    recorded, the forced change done, their other sessions ended and this one given a new key.

    The current password is checked under the login's throttle: a wrong one is a failed login ("current
    password" in the audit) and counts towards the lock; while a lock holds (LoginLocked, on the field
    `current`) it is not checked at all. The caller commits after a refusal too, so the failure stays."""
    now = now or utcnow()
    username = throttle.typed(user.username)
    throttle.hold(username, origin)
    until = throttle.locked_until(username, origin, now)
    if until is None and not passwords.verify(user, current or ""):
        until = throttle.note_failure(username, origin, now, user=user, detail="current password")
        if until is None:
            raise InvalidInput(N_("This is not your current password."), "current")
    if until is not None:
        locked = LoginLocked(until)
        locked.field = "current"
        raise locked
    new = passwords.check_policy(new, user.username, field="new")
    if new != repeated:
        raise InvalidInput(N_("The two new passwords differ."), "repeated")
    if passwords.verify(user, new):
        raise InvalidInput(N_("Choose a password other than the current one."), "new")
    user.set_password(new)
    user.must_change_password = False
    audit.record(audit.PASSWORD, origin, user=user)
    sessions.end_other_sessions(user, keep_current=True, origin=origin, reason="password changed")
    sessions.regenerate()  # the session it was changed in goes on under a new key: one known before opens nothing
    db.session.flush()


@dataclass(frozen=True)
class AuditFilter:
    """What the login audit page asks for; empty text means any. `since`/`before` are UTC instants."""

    kind: str = ""
    username: str = ""
    ip: str = ""
    since: datetime | None = None
    before: datetime | None = None


def audit_page(viewer: User, chosen: AuditFilter, after: int | None, size: int) -> list[AuthEvent]:
    """The newest `size` events that match, older than event `after` (keyset on the id, which grows with
    time): one indexed query per page, never the whole table. Administrators only."""
    if not perm.can_manage(viewer):
        raise Forbidden(N_("Only administrators manage people and places."))
    query = select(AuthEvent).options(selectinload(AuthEvent.actor)).order_by(AuthEvent.id.desc()).limit(size)
    conditions = [
        AuthEvent.kind == chosen.kind if chosen.kind else None,
        AuthEvent.username == chosen.username if chosen.username else None,
        AuthEvent.ip == chosen.ip if chosen.ip else None,
        AuthEvent.at >= chosen.since if chosen.since else None,
        AuthEvent.at < chosen.before if chosen.before else None,
        AuthEvent.id < after if after else None,
    ]
    return list(db.session.scalars(query.where(*(c for c in conditions if c is not None))))

"""Sessions held on the server (user_sessions): the cookie carries only a random key, the row holds the rest.

The browser's cookie is `secrets.token_urlsafe(32)` and nothing else; the row is found by the key's SHA-256,
so that a copy of the table opens no session. Flask's session data (Flask-Login's user id, the CSRF token,
the locale, flashes) lives in the row's `data`. Deleting the row ends the session: logout, a new password,
deactivation, an admin's "sign out everywhere", a user ending their other sessions, or the idle and
absolute limits (CASEWORK_SESSION_IDLE_MINUTES, CASEWORK_SESSION_MAX_HOURS; the CADRE_ ones for cadres,
who work from phones in the villages). A cookie whose row is gone is a visitor who is not logged in.

The service functions take the user they act on and never read the request, with one exception said
where it is; `ServerSessionInterface` is the web's side, installed by create_app.
"""

import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, has_request_context, request
from flask import session as current_session
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SessionInterface, SessionMixin
from flask_login import user_logged_in
from sqlalchemy import and_, delete, insert, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.datastructures import CallbackDict

from .audit import SESSION_ENDED, Origin, record
from .extensions import db, discard_changes
from .ids import row_id
from .models import User, UserSession, utcnow

TOUCH_EVERY = timedelta(minutes=1)  # last seen is written at most this often: page views take no write lock
PURGE_EVERY = 600  # seconds: a process sweeps out expired rows at most this often, when it writes a new one
USER_KEY = "_user_id"  # where Flask-Login keeps who is logged in
CHANGES_WITH_THE_USER = ("csrf_token",)  # a new user (login, logout) gets a new CSRF token too

NOWHERE = Origin()  # an event with no request behind it
_serializer = TaggedJSONSerializer()  # Flask's own: flashes' tuples, Markup, bytes survive the JSON column
_last_purge = 0.0
_purge_lock = threading.Lock()


def key_hash(key: str) -> str:
    """What the table keeps of a cookie's key."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


# --- limits ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """How long a session lives: idle since it was last seen, and at most since it was opened."""

    idle: timedelta
    lifetime: timedelta

    def expired(self, row: UserSession, now: datetime) -> str | None:
        """Why the row has expired ("idle" or "lifetime"), or None while it lives."""
        if now - row.created_at > self.lifetime:
            return "lifetime"
        if now - row.last_seen_at > self.idle:
            return "idle"
        return None


def limits_for(role: str | None) -> Limits:
    """The limits of a session of someone in `role` (None: nobody logged in)."""
    config = current_app.config
    prefix = "CADRE_SESSION" if role == "cadre" else "SESSION"
    return Limits(
        timedelta(minutes=float(config[f"{prefix}_IDLE_MINUTES"])),
        timedelta(hours=float(config[f"{prefix}_MAX_HOURS"])),
    )


# --- the service ---------------------------------------------------------------------------------


def active_sessions(user: User) -> list[UserSession]:
    """The user's sessions still within their limits, the most recently seen first."""
    now, limits = utcnow(), limits_for(user.role)
    rows = db.session.scalars(
        select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.last_seen_at.desc())
    )
    return [row for row in rows if limits.expired(row, now) is None]


def end_session(user: User, session_id: int, *, origin: Origin = NOWHERE, reason: str = "ended by the user") -> bool:
    """End one of the user's own sessions (by row id); False when there is no such session of theirs.
    Recorded in the login audit; the caller commits."""
    ended = db.session.execute(
        delete(UserSession).where(UserSession.id == session_id, UserSession.user_id == user.id)
    ).rowcount
    if ended:
        record(SESSION_ENDED, origin, user=user, detail=reason)
    return bool(ended)


def end_all_sessions(user: User, *, actor: User | None = None, origin: Origin = NOWHERE, reason: str = "") -> int:
    """End every session of the user, the current request's included (an admin's "sign out everywhere",
    deactivation, a password set by an admin): their cookies open nothing any more. How many ended;
    recorded in the login audit when any did. The caller commits."""
    return _end(user, None, actor, origin, reason or "all sessions ended")


def end_other_sessions(
    user: User, keep_current: bool = True, *, actor: User | None = None, origin: Origin = NOWHERE, reason: str = ""
) -> int:
    """End the user's sessions but the one of the current request when `keep_current` (a user who
    changes their own password stays logged in where they did it); how many ended. The one place a
    service looks at the request: only to know which session is the current one. The caller commits."""
    keep = current_key_hash() if keep_current else None
    return _end(user, keep, actor, origin, reason or "other sessions ended")


def _end(user: User, keep: str | None, actor: User | None, origin: Origin, reason: str) -> int:
    query = delete(UserSession).where(UserSession.user_id == user.id)
    if keep is not None:
        query = query.where(UserSession.key_hash != keep)
    ended = db.session.execute(query).rowcount
    if ended:
        record(SESSION_ENDED, origin, user=user, actor=actor, detail=f"{reason} ({ended})")
    return ended


def current_key_hash() -> str | None:
    """The hashed key of the current request's session, if it has a row."""
    if not has_request_context() or not isinstance(current_session._get_current_object(), ServerSession):
        return None
    return current_session.key_hash


def purge_expired(now: datetime | None = None) -> int:
    """Delete the sessions past their limits (a cadre's by the cadre limits); how many. Commits."""
    purged = _delete_expired(now or utcnow())
    db.session.commit()
    return purged


def _delete_expired(now: datetime) -> int:
    cadres = select(User.id).where(User.role == "cadre")
    general, cadre = limits_for(None), limits_for("cadre")
    expired = or_(
        and_(or_(UserSession.user_id.is_(None), UserSession.user_id.not_in(cadres)), _past(general, now)),
        and_(UserSession.user_id.in_(cadres), _past(cadre, now)),
    )
    return db.session.execute(delete(UserSession).where(expired)).rowcount


def _past(limits: Limits, now: datetime):
    return or_(UserSession.created_at < now - limits.lifetime, UserSession.last_seen_at < now - limits.idle)


# --- the web's side: Flask's SessionInterface over user_sessions --------------------------------------


class ServerSession(CallbackDict, SessionMixin):
    """Flask's session for one request: the row's data, and which row (by hashed key) it came from."""

    def __init__(self, data: dict | None = None, key: str | None = None, row: UserSession | None = None):
        def on_update(self):
            self.modified = True

        super().__init__(data or {}, on_update)
        self.key = key if row is not None else None
        self.key_hash = row.key_hash if row is not None else None
        self.user_at_open = (data or {}).get(USER_KEY)
        self.last_seen_at = row.last_seen_at if row is not None else None
        self.created_at = row.created_at if row is not None else None
        self.ended: str | None = None  # why the row it came with has expired
        self.rotate = False  # a login: a new key, whoever was logged in before
        self.failed: SQLAlchemyError | None = None  # the database could not be asked: raised in the request
        self.modified = False


def install(app) -> None:
    """Sessions held in user_sessions for this app. A database that cannot be asked when the session is
    opened (before the request's error pages can answer) is raised again as the request's first step, so
    that it gets the 503 page and the cookie is left as it was."""
    app.session_interface = ServerSessionInterface()
    app.before_request(raise_failure)


def raise_failure() -> None:
    if isinstance(current_session._get_current_object(), ServerSession) and current_session.failed is not None:
        raise current_session.failed


class ServerSessionInterface(SessionInterface):
    """Opens the session from the cookie's key and saves it to its row after the view.

    The row is written only when there is something to keep: its data changed, a minute has passed
    since it was last seen, or its user changed. A visitor with an empty session (a page view, not
    logged in) writes nothing; the login page's CSRF token is what first writes a row. A change of
    user (login, logout) gives a new key and deletes the old row, so that a key known before the
    login (session fixation) or kept after the logout opens nothing.
    """

    def open_session(self, app, request) -> ServerSession:
        key = request.cookies.get(self.get_cookie_name(app))
        if not key or len(key) > 100 or request.path.startswith(app.static_url_path or "/static"):
            return ServerSession()  # static files need no session: no query for each of them
        try:
            found = db.session.execute(
                select(UserSession, User.role).outerjoin(User).where(UserSession.key_hash == key_hash(key))
            ).first()
        except SQLAlchemyError as exc:  # raised again by raise_failure, where the error pages can answer it
            discard_changes()
            session = ServerSession()
            session.failed = exc
            return session
        if found is None:
            return ServerSession()
        row, role = found
        expired = limits_for(role).expired(row, utcnow())
        if expired:
            session = ServerSession()
            session.key_hash, session.ended = row.key_hash, expired  # the row is deleted when saved
            return session
        return ServerSession(_loaded(row.data), key, row)

    def save_session(self, app, session: ServerSession, response) -> None:
        if session.accessed:
            response.vary.add("Cookie")
        write = None if session.failed else _what_to_write(session)
        if write is None:
            return
        try:
            key = _write(session, write)
        except SQLAlchemyError as exc:
            discard_changes()
            if write in ("touch", "data"):  # the page is answered already; a new key is never left unsaved
                current_app.logger.warning("session not saved (%s): %s", write, exc)
                return
            raise
        if key != session.key:
            self._set_cookie(app, response, key, _role_of(session))

    def _set_cookie(self, app, response, key: str | None, role: str | None) -> None:
        """A cadre's cookie outlives the browser (a phone closes its browser often) until the session's
        absolute limit; everyone else's is the browser's session cookie (a shared office PC)."""
        name, domain, path = self.get_cookie_name(app), self.get_cookie_domain(app), self.get_cookie_path(app)
        if key is None:
            response.delete_cookie(name, domain=domain, path=path)
            return
        response.set_cookie(
            name,
            key,
            expires=utcnow() + limits_for(role).lifetime if role == "cadre" else None,
            httponly=self.get_cookie_httponly(app),
            secure=self.get_cookie_secure(app),
            samesite=self.get_cookie_samesite(app),
            domain=domain,
            path=path,
        )


def regenerate() -> None:
    """The current request's session gets a new key when saved (its data kept, its old row deleted), so that
    a key known before opens nothing: at a login, when a login's second factor begins, at a new password."""
    if has_request_context() and isinstance(current_session._get_current_object(), ServerSession):
        current_session.rotate = True


@user_logged_in.connect
def _rotate_at_login(_app, **_extra) -> None:
    """Every login gives the session a new key (session fixation), also when the same person logs in again."""
    regenerate()


def _what_to_write(session: ServerSession) -> str | None:
    """ "new" (a new key: a first row, a changed user, an expired row), "data", "touch", "end", or None."""
    if session.rotate or session.get(USER_KEY) != session.user_at_open:
        for name in CHANGES_WITH_THE_USER:
            session.pop(name, None)
        return "new" if session or session.key_hash else None
    if session.key_hash is None:
        return "new" if session else None
    if session.ended:
        return "new" if session else "end"
    if session.modified:
        return "data"
    return "touch" if utcnow() - session.last_seen_at >= TOUCH_EVERY else None


def _write(session: ServerSession, write: str) -> str | None:
    """Write the session's row as `write` says; the key the cookie is to carry (None: no session).

    The view has committed what it did (one commit per request); what it left uncommitted would be
    rolled back at the end of the request anyway, so it is rolled back first and the session's own
    write is committed alone. A row deleted during the request (logged out elsewhere, signed out by an
    admin) is not brought back: an UPDATE that finds no row changes nothing, and the cookie is left as it
    is (its key opens nothing now; deleting it could delete the new key of a login made meanwhile)."""
    db.session.rollback()
    key = session.key
    if write in ("new", "end") and session.key_hash is not None:
        if session.ended:
            _record_expiry(session)
        db.session.execute(delete(UserSession).where(UserSession.key_hash == session.key_hash))
        key = None
    if write == "new" and session:
        key = _insert(session)
    elif write in ("data", "touch"):
        _update(session, write == "data")
    db.session.commit()
    return key


def _insert(session: ServerSession) -> str:
    key, now, origin = secrets.token_urlsafe(32), utcnow(), Origin.of_request(request)
    db.session.execute(
        insert(UserSession).values(
            key_hash=key_hash(key),
            user_id=row_id(session.get(USER_KEY)),
            created_at=now,
            last_seen_at=now,
            ip=origin.ip,
            user_agent=origin.user_agent,
            data=_stored(session),
        )
    )
    _purge_now_and_then()
    return key


def _role_of(session: ServerSession) -> str | None:
    user_id = row_id(session.get(USER_KEY))
    return db.session.scalar(select(User.role).where(User.id == user_id)) if user_id else None


def _update(session: ServerSession, with_data: bool) -> bool:
    origin = Origin.of_request(request)
    values = {"last_seen_at": utcnow(), "ip": origin.ip, "user_agent": origin.user_agent}
    if with_data:
        values["data"] = _stored(session)
    query = update(UserSession).where(UserSession.key_hash == session.key_hash).values(values)
    return bool(db.session.execute(query).rowcount)


def _stored(session: ServerSession) -> dict:
    return json.loads(_serializer.dumps(dict(session)))


def _loaded(data) -> dict:
    loaded = _serializer.loads(json.dumps(data)) if data else {}
    return loaded if isinstance(loaded, dict) else {}


def _record_expiry(session: ServerSession) -> None:
    user_id = db.session.scalar(select(UserSession.user_id).where(UserSession.key_hash == session.key_hash))
    user = db.session.get(User, user_id) if user_id else None
    if user is not None:
        record(SESSION_ENDED, Origin.of_request(request), user=user, detail=f"{session.ended} limit")


def _purge_now_and_then() -> None:
    """Anonymous visitors leave rows (the login page's CSRF token): a process that writes a new row
    sweeps out the expired ones, at most every PURGE_EVERY seconds (the scheduler does it hourly too)."""
    global _last_purge
    with _purge_lock:
        if time.monotonic() - _last_purge < PURGE_EVERY:
            return
        _last_purge = time.monotonic()
    _delete_expired(utcnow())

"""The login audit (auth_events): what happened to accounts, by whom, from where. Append-only.

A service: it takes where the request came from as an `Origin` (the web builds it from the request it is
given, `Origin.of_request`; the CLI passes `Origin.COMMAND_LINE`), never reading the request itself.
"""

from dataclasses import dataclass
from typing import ClassVar

from .extensions import db
from .models import AuthEvent, User
from .text import clean

# The kinds of event. Failed logins ("failure") are also what throttling counts.
LOGIN, FAILURE, LOCKED, UNLOCK, LOGOUT = "login", "failure", "locked", "unlock", "logout"
SESSION_ENDED, PASSWORD = "session_ended", "password"
TOTP_ENROLLED, TOTP_RESET, RECOVERY_USED, TOTP_FAILURE = "totp_enrolled", "totp_reset", "recovery_used", "totp_failure"
# A second-factor code accepted, detail "step N": a code is never accepted twice (casework.second_factor).
TOTP_ACCEPTED = "totp_accepted"
KINDS = (
    LOGIN,
    FAILURE,
    LOCKED,
    UNLOCK,
    LOGOUT,
    SESSION_ENDED,
    PASSWORD,
    TOTP_ENROLLED,
    TOTP_RESET,
    RECOVERY_USED,
    TOTP_FAILURE,
    TOTP_ACCEPTED,
)


@dataclass(frozen=True)
class Origin:
    """Where an account event came from: the client's address and browser (cleaned and cut to the columns)."""

    ip: str = ""
    user_agent: str = ""
    COMMAND_LINE: ClassVar["Origin"]

    @classmethod
    def of(cls, ip: str | None, user_agent: str | None) -> "Origin":
        return cls(clean(ip or "")[:45], clean(user_agent or "")[:200])

    @classmethod
    def of_request(cls, request) -> "Origin":
        """Where `request` (a Werkzeug request) comes from: its client's address (the proxy's client once
        ProxyFix trusts the proxy in front, see docs/deployment.md) and its browser."""
        return cls.of(request.remote_addr, request.user_agent.string)


Origin.COMMAND_LINE = Origin("", "command line")


def record(
    kind: str,
    origin: Origin,
    *,
    user: User | None = None,
    username: str = "",
    actor: User | None = None,
    detail: str = "",
) -> AuthEvent:
    """Add one event to the audit, in the caller's transaction (the caller commits). `user` when known,
    else `username` as typed; `actor` when someone else acted on the account (an admin)."""
    if kind not in KINDS:
        raise ValueError(f"unknown audit kind {kind!r}")
    event = AuthEvent(
        kind=kind,
        username=clean(user.username if user is not None else username)[:40],
        user_id=user.id if user is not None else None,
        ip=origin.ip,
        user_agent=origin.user_agent,
        actor_id=actor.id if actor is not None else None,
        detail=clean(detail)[:200],
    )
    db.session.add(event)
    return event

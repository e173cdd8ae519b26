"""The second factor of staff accounts: a TOTP key (RFC 6238, 30-second steps, six digits) and ten
one-time recovery codes.

What it promises:
- A code is accepted for its own 30-second step and one step on either side (a phone's clock is rarely
  exact); never twice: a step once accepted for a user is refused for that user afterwards, as is any
  earlier step. The accepted step is written to the login audit ("totp_accepted", detail "step N") with
  the user's row locked, so two workers cannot both accept the same code.
- Recovery codes are shown once, at enrolment, and stored only as hashes; each opens one login.
- A wrong code is recorded ("totp_failure"): throttling counts it as it counts a wrong password.
- Roles in TWO_FACTOR_REQUIRED_ROLES must have a second factor, except the demo township's accounts.
- An admin's reset removes the key and the codes, and is recorded with the admin as actor.

Services take the acting user and the request's `Origin`, never the request; they flush, the caller commits.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from io import BytesIO

import pyotp
import qrcode
import qrcode.image.svg
from flask import current_app
from pyotp.exceptions import OTPVerificationError
from sqlalchemy import delete, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from . import audit, throttle
from . import permissions as perm
from .accounts import LoginLocked
from .audit import Origin
from .extensions import db
from .models import AuthEvent, RecoveryCode, User, utcnow
from .refusals import N_, Forbidden, InvalidInput, WorkflowError

STEP_SECONDS = 30
WINDOW = 1  # steps accepted on either side of the current one
RECOVERY_CODES = 10
# Letters and digits nobody confuses when copying from paper (no 0/o, 1/l/i).
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_LENGTH = 10  # about 50 random bits: out of reach of guessing behind the login throttle
# The codes are random, not chosen by people, so a fast hash keeps them safe; scrypt (the password
# default, 0.2 s here) would make a login with a recovery code try ten of them for two seconds.
RECOVERY_HASH = "pbkdf2:sha256:20000"

WRONG_CODE = N_("This code is not right. Enter the 6 digits your app shows now, or one of your recovery codes.")
USED_CODE = N_("This code was used already. Wait for the next one in your app.")
NOT_ENROLLED = N_("This account has no second factor.")
ALREADY_ENROLLED = N_("This account has a second factor already.")
NOT_STARTED = N_("Start the setup first: no key has been made for this account yet.")
ONLY_ADMINS = N_("Only administrators reset another person's second factor.")


class WrongCode(WorkflowError):
    """The code typed at login is not the user's (or was used already): refused as a wrong password is."""

    status = 401

    def __init__(self, message: str = WRONG_CODE):
        super().__init__(message, "code")


@dataclass(frozen=True)
class Enrolment:
    """What a person needs to set up their app: the key (as text too) and its QR code as SVG markup."""

    secret: str
    uri: str
    svg: str


def issuer() -> str:
    return f"{current_app.config['TOWNSHIP_NAME']} Casework"


def start(user: User) -> Enrolment:
    """Give the user a new key to set up in their app; it is theirs only once `enrol` confirms it with a
    code (until then totp_enabled_at stays empty). Starting again replaces an unconfirmed key."""
    if is_enrolled(user):
        raise InvalidInput(ALREADY_ENROLLED)
    user.totp_secret = pyotp.random_base32(32)  # 160 bits
    db.session.flush()
    return enrolment(user)


def enrolment(user: User) -> Enrolment | None:
    """The unconfirmed key as an otpauth:// URI and a QR code of it drawn here (SVG, no outside service);
    None when no enrolment is under way."""
    if not user.totp_secret or is_enrolled(user):
        return None
    uri = pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.username, issuer_name=issuer())
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=15)
    out = BytesIO()
    image.save(out)
    svg = out.getvalue().decode("utf-8")
    return Enrolment(user.totp_secret, uri, svg[svg.index("<svg") :])  # inline: without the XML declaration


def required_roles() -> tuple[str, ...]:
    value = current_app.config.get("TWO_FACTOR_REQUIRED_ROLES", ("admin",))
    roles = value.split(",") if isinstance(value, str) else value
    return tuple(r.strip() for r in roles if r.strip())


def is_enrolled(user: User) -> bool:
    return bool(user.totp_secret and user.totp_enabled_at)


def is_required(user: User) -> bool:
    """Whether the user's role must have a second factor; the demo township's accounts never must."""
    return user.role in required_roles() and not user.demo


def login_step(user: User) -> str | None:
    """What a user whose password was right must do before being logged in: "code" (enter a code),
    "enrol" (set up a second factor first: their role requires it) or None (nothing more)."""
    if is_enrolled(user):
        return "code"
    return "enrol" if is_required(user) else None


def enrol(user: User, code: str, origin: Origin, now: datetime | None = None) -> list[str]:
    """Confirm the key `start` gave once `code` shows the user's app has it; returns the ten recovery
    codes in clear, the only time they exist so. Replaces any earlier recovery codes."""
    if enrolment(user) is None:
        raise InvalidInput(ALREADY_ENROLLED if is_enrolled(user) else NOT_STARTED)
    now = now or utcnow()
    step = _matching_step(user.totp_secret, code, now)
    if step is None:
        raise InvalidInput(WRONG_CODE, "code")
    user.totp_enabled_at = now
    codes = _new_recovery_codes(user)
    audit.record(audit.TOTP_ENROLLED, origin, user=user, detail=_step_detail(step))
    db.session.flush()
    return codes


def verify(user: User, code: str, origin: Origin, now: datetime | None = None) -> str:
    """Accept `code` as the user's second factor: a TOTP code within the window and newer than any
    accepted before, or an unused recovery code (then used up). Returns which ("totp" or "recovery").
    A wrong code is recorded as "totp_failure" and refused (WrongCode, 401); a reused one is refused too."""
    if not is_enrolled(user):
        raise InvalidInput(NOT_ENROLLED)
    now = now or utcnow()
    _lock(user)
    step = _matching_step(user.totp_secret, code, now)
    if step is not None:
        return _accept_step(user, step, origin, now)
    if _use_recovery_code(user, code, now):
        audit.record(audit.RECOVERY_USED, origin, user=user, detail=f"{recovery_codes_left(user)} left")
        return "recovery"
    audit.record(audit.TOTP_FAILURE, origin, user=user)
    raise WrongCode()


def verify_at_login(user: User, code: str, origin: Origin, now: datetime | None = None) -> str:
    """`verify` under the login throttle: while the username or the address is locked the code is refused
    unchecked (LoginLocked, 429); a wrong code counts as a failed login, and may begin a lock."""
    now = now or utcnow()
    throttle.hold(user.username, origin)
    until = throttle.locked_until(user.username, origin, now)
    if until is not None:
        raise LoginLocked(until)
    try:
        return verify(user, code, origin, now)
    except WrongCode:
        until = throttle.lock_if_reached(user.username, origin, now, user=user)
        if until is not None:
            raise LoginLocked(until) from None
        raise


def recovery_codes_left(user: User) -> int:
    query = select(func.count()).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    return db.session.scalar(query)


def reset(actor: User | None, user: User, origin: Origin) -> None:
    """An admin removes a person's second factor (a lost phone): the key and the recovery codes go, the
    reset is recorded with the admin as actor. Their next login asks for the password alone, or for a
    new enrolment when their role requires one. `actor=None` is the command line."""
    if actor is not None and not perm.can_manage(actor):
        raise Forbidden(ONLY_ADMINS)
    user.totp_secret, user.totp_enabled_at = None, None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    audit.record(audit.TOTP_RESET, origin, user=user, actor=actor)
    db.session.flush()


# --- codes -------------------------------------------------------------------------------------


def _digits(code: str | None) -> str:
    """What people type: spaces (apps show "123 456") and dashes are not part of the code."""
    return "".join((code or "").split()).replace("-", "").lower()


def _matching_step(secret: str, code: str | None, now: datetime) -> int | None:
    """The 30-second step whose code this is, within one step of now; None when it is no such code."""
    typed = _digits(code)
    if len(typed) != 6 or not typed.isascii() or not typed.isdigit():
        return None
    try:
        return pyotp.TOTP(secret).verify_and_get_timecode(typed, for_time=now, valid_window=WINDOW)
    except OTPVerificationError:
        return None


def _step_detail(step: int) -> str:
    return f"step {step}"


def _lock(user: User) -> None:
    """Hold the user's row until commit, so that two requests with the same code take turns (SQLite's
    writing requests already take turns: they begin IMMEDIATE)."""
    db.session.execute(select(User.id).where(User.id == user.id).with_for_update())


def _accept_step(user: User, step: int, origin: Origin, now: datetime) -> str:
    """Accept a step newer than every step accepted for the user before; refuse the same or an older one.
    An accepted step is at most one ahead of the clock, so only the next few steps need looking for."""
    since = now - timedelta(seconds=STEP_SECONDS * (2 * WINDOW + 2))
    later = [_step_detail(s) for s in range(step, step + 2 * WINDOW + 1)]
    used = select(AuthEvent.id).where(
        AuthEvent.username == user.username,
        AuthEvent.at >= since,
        AuthEvent.user_id == user.id,
        AuthEvent.kind.in_((audit.TOTP_ACCEPTED, audit.TOTP_ENROLLED)),
        AuthEvent.detail.in_(later),
    )
    if db.session.scalar(used.limit(1)) is not None:
        audit.record(audit.TOTP_FAILURE, origin, user=user, detail="code used already")
        raise WrongCode(USED_CODE)
    audit.record(audit.TOTP_ACCEPTED, origin, user=user, detail=_step_detail(step))
    return "totp"


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = ["".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH)) for _ in range(RECOVERY_CODES)]
    for code in codes:
        db.session.add(RecoveryCode(user_id=user.id, code_hash=generate_password_hash(code, RECOVERY_HASH)))
    return [f"{c[:5]}-{c[5:]}" for c in codes]


def _use_recovery_code(user: User, code: str | None, now: datetime) -> bool:
    typed = _digits(code)
    if len(typed) != RECOVERY_LENGTH or not set(typed) <= set(RECOVERY_ALPHABET):
        return False  # not the shape of a recovery code: no hash worth checking
    unused = select(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    for row in db.session.scalars(unused):
        if check_password_hash(row.code_hash, typed):
            row.used_at = now
            db.session.flush()
            return True
    return False

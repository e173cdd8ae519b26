"""The township's people and places: users, villages, mediation districts and default cadres.

Every service takes the acting user first. `actor=None` means the command line (`flask users
create` and friends): whoever runs commands on the server already holds the database, so the
command line may do what an administrator may. Any other actor must pass `permissions.can_manage`,
else `refusals.Forbidden`. Bad input raises `refusals.InvalidInput` naming the form field. Services
flush but never commit; the caller commits once. Nobody is ever deleted: people are deactivated.

Default cadres and mediators follow the people they name. When a cadre stops serving a village (the
village is unticked, the role changes, or the account is deactivated), that village's default
cadre is cleared rather than the change refused: moving a cadre is routine, and refusing would make
the admin edit every village first. The services report what they cleared (`Vacated`) so that the
screen can say which villages and districts now need someone.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field as default

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from . import audit, passwords, sessions
from . import permissions as perm
from .audit import Origin
from .extensions import db, savepoint
from .models import CASE_HANDLERS, ROLES, Case, District, User, Village
from .refusals import N_, Forbidden, InvalidInput

ALIAS_SEPARATORS = re.compile(r"[,，、;；]")
PHONE = re.compile(r"^[0-9+\- ]*$")
USERNAME = re.compile(r"^[A-Za-z0-9._-]+$")


@dataclass
class Vacated:
    """The villages, districts and open cases a change left without a holder."""

    villages: list[Village] = default(default_factory=list)  # no longer have a default cadre
    districts: list[District] = default(default_factory=list)  # no longer have a mediator
    open_cases: int = 0  # cases still assigned to a person just deactivated or given another role

    def __bool__(self) -> bool:
        return bool(self.villages or self.districts or self.open_cases)


# --- checks ------------------------------------------------------------------------------------


def _check_manager(actor: User | None) -> None:
    if actor is not None and not perm.can_manage(actor):
        raise Forbidden(N_("Only administrators manage people and places."))


def _text(value: str | None, field: str, limit: int, required: str | None = None) -> str:
    """The stripped text; `required` is the message when it may not be empty."""
    value = (value or "").strip()
    if required and not value:
        raise InvalidInput(required, field)
    if len(value) > limit:
        raise InvalidInput(N_("At most %(limit)d characters."), field, limit=limit)
    return value


def _flush(field: str, message: str, **params) -> None:
    """Write now; a unique name taken meanwhile by someone else is bad input, not a crash."""
    try:
        with savepoint():
            db.session.flush()
    except IntegrityError as exc:
        raise InvalidInput(message, field, **params) from exc


# --- users -------------------------------------------------------------------------------------

USERNAME_TAKEN = N_("The username “%(username)s” is already taken.")


def _username(value: str | None) -> str:
    username = _text(value, "username", 40, N_("Choose a username."))
    if not USERNAME.match(username):
        raise InvalidInput(N_("Use only letters, digits, dots, dashes and underscores in the username."), "username")
    if db.session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        raise InvalidInput(USERNAME_TAKEN, "username", username=username)
    return username


def _set_password(user: User, password: str | None) -> None:
    """A password chosen for the person by someone else: it meets the policy (casework.passwords), and
    the person chooses their own at the next login."""
    user.set_password(passwords.check_policy(password, user.username))
    user.must_change_password = True


def _phone(value: str | None) -> str:
    phone = _text(value, "phone", 20)
    if not PHONE.match(phone):
        raise InvalidInput(N_("Write the phone number with digits only."), "phone")
    return phone


def _role(value: str | None) -> str:
    if value not in ROLES:
        raise InvalidInput(N_("Choose a role."), "role")
    return value


def _villages_for(role: str, villages: Iterable[Village]) -> list[Village]:
    villages = list(dict.fromkeys(villages))
    if role == "cadre" and not villages:
        raise InvalidInput(N_("Choose the villages this cadre serves."), "villages")
    if role != "cadre" and villages:
        raise InvalidInput(N_("Only village cadres serve villages; untick them for this role."), "villages")
    return villages


def create_user(
    actor: User | None,
    *,
    username: str,
    name: str,
    role: str,
    password: str,
    phone: str = "",
    villages: Iterable[Village] = (),
) -> User:
    """A new active account: unique username, one of ROLES, a password that meets the policy (to be changed
    at the first login); a cadre serves at least one village and nobody else serves any."""
    _check_manager(actor)
    user = User(
        username=_username(username),
        name=_text(name, "name", 40, N_("Write the person's name.")),
        phone=_phone(phone),
        role=_role(role),
        active=True,
    )
    user.villages = _villages_for(role, villages)
    _set_password(user, password)
    db.session.add(user)
    _flush("username", USERNAME_TAKEN, username=user.username)
    return user


def _active_admin_ids() -> list[int]:
    """Locked on PostgreSQL, so that two admins demoting each other at once cannot both succeed."""
    query = select(User.id).where(User.role == "admin", User.active).with_for_update()
    return list(db.session.scalars(query))


def _check_admins_remain(actor: User | None, user: User, role: str, active: bool) -> None:
    if actor is not None and actor.id == user.id and not active:
        raise InvalidInput(N_("You cannot deactivate yourself."), "active")
    stays_admin = role == "admin" and active
    if user.role == "admin" and user.active and not stays_admin and _active_admin_ids() == [user.id]:
        field = "role" if active else "active"
        raise InvalidInput(N_("%(name)s is the last active administrator."), field, name=user.name)


def update_user(
    actor: User | None,
    user: User,
    *,
    name: str,
    phone: str,
    role: str,
    villages: Iterable[Village],
    active: bool,
) -> Vacated:
    """Change a person's details, role, villages or whether they may log in (never deleted).

    An admin cannot deactivate themself, and the last active admin stays one. Villages the person
    no longer serves lose them as default cadre, districts lose them as mediator when they may no
    longer mediate; the result lists those, and the open cases still assigned to a person who was
    just deactivated or given another role (a dispatcher reassigns them).
    """
    _check_manager(actor)
    name = _text(name, "name", 40, N_("Write the person's name."))
    phone, role = _phone(phone), _role(role)
    villages = _villages_for(role, villages)
    _check_admins_remain(actor, user, role, bool(active))
    was_active, old_role = user.active, user.role
    user.name, user.phone, user.role, user.villages, user.active = name, phone, role, villages, bool(active)
    vacated = _vacate(user)
    if was_active and (not user.active or user.role != old_role):
        vacated.open_cases = _open_cases_of(user)
    if was_active and not user.active:  # their open sessions end now, not at their limits
        sessions.end_all_sessions(user, actor=actor, reason="deactivated")
    db.session.flush()
    return vacated


def _vacate(user: User) -> Vacated:
    """Clear the default-cadre and mediator posts this person can no longer hold."""
    served = user.village_ids if user.active and user.role == "cadre" else set()
    villages = db.session.scalars(select(Village).where(Village.default_cadre_id == user.id).order_by(Village.name))
    lost_villages = [v for v in villages if v.id not in served]
    for village in lost_villages:
        village.default_cadre = None
    lost_districts = []
    if not _may_mediate(user):
        lost_districts = list(
            db.session.scalars(select(District).where(District.mediator_id == user.id).order_by(District.name))
        )
    for district in lost_districts:
        district.mediator = None
    return Vacated(lost_villages, lost_districts)


def _may_mediate(user: User) -> bool:
    return user.active and user.role in CASE_HANDLERS


def _open_cases_of(user: User) -> int:
    query = select(func.count()).select_from(Case).where(Case.assignee_id == user.id, Case.state == "assigned")
    return db.session.scalar(query)


def reset_password(actor: User | None, user: User, password: str, origin: Origin = Origin.COMMAND_LINE) -> None:
    """Give the person a new password that meets the policy; the old one stops working, the person
    chooses their own at the next login, and the login audit records who set it."""
    _check_manager(actor)
    _set_password(user, password)
    audit.record(audit.PASSWORD, origin, user=user, actor=actor, detail="set by administrator")
    # Every session of the old password ends, wherever it is (a stolen one included).
    sessions.end_all_sessions(user, actor=actor, origin=origin, reason="password set by administrator")
    db.session.flush()


# --- villages ----------------------------------------------------------------------------------

VILLAGE_TAKEN = N_("There is already a village named “%(name)s”.")
ALIAS_TAKEN = N_("“%(alias)s” already names %(village)s.")


def _unique_name(model, name: str, current_id: int | None, message: str) -> str:
    taken = db.session.scalar(select(model.id).where(model.name == name, model.id != (current_id or 0)))
    if taken:
        raise InvalidInput(message, "name", name=name)
    return name


def _aliases(value: str | None, name: str, village_id: int | None) -> str:
    """Comma-separated other names (also 、 ， ;), without repeats; none may name another village."""
    words = (a.strip() for a in ALIAS_SEPARATORS.split(value or ""))
    aliases = [a for a in dict.fromkeys(words) if a and a != name]
    for alias in aliases:
        other = _village_known_as(alias, village_id)
        if other is not None:
            raise InvalidInput(ALIAS_TAKEN, "aliases", alias=alias, village=other.name)
    return _text(",".join(aliases), "aliases", 200)


def _village_known_as(word: str, except_id: int | None) -> Village | None:
    """Another village called `word` by name or alias (villages are few: a township has dozens)."""
    others = db.session.scalars(select(Village).where(Village.id != (except_id or 0)))
    for village in others:
        if word == village.name or word in village.aliases.split(","):
            return village
    return None


def _default_cadre(village: Village, cadre: User | None) -> User | None:
    if cadre is not None and not (cadre.role == "cadre" and cadre.active and village in cadre.villages):
        raise InvalidInput(
            N_("%(name)s is not an active cadre serving this village; tick the village on their account first."),
            "default_cadre",
            name=cadre.name,
        )
    return cadre


def _village_fields(village_id: int | None, name: str, aliases: str) -> tuple[str, str]:
    name = _text(name, "name", 60, N_("Write the village's name."))
    _unique_name(Village, name, village_id, VILLAGE_TAKEN)
    other = _village_known_as(name, village_id)
    if other is not None:
        raise InvalidInput(ALIAS_TAKEN, "name", alias=name, village=other.name)
    return name, _aliases(aliases, name, village_id)


def create_village(
    actor: User | None,
    *,
    name: str,
    aliases: str = "",
    district: District | None = None,
    default_cadre: User | None = None,
) -> Village:
    """A new village with a unique name; its aliases help match addresses to it later.

    A new village has no cadres yet, so a default cadre can only be chosen once one serves it
    (passing one here is refused with the same message as on update)."""
    _check_manager(actor)
    name, aliases = _village_fields(None, name, aliases)
    village = Village(name=name, aliases=aliases)
    village.default_cadre = _default_cadre(village, default_cadre)
    village.district = district
    db.session.add(village)
    _flush("name", VILLAGE_TAKEN, name=name)
    return village


def update_village(
    actor: User | None,
    village: Village,
    *,
    name: str,
    aliases: str,
    district: District | None,
    default_cadre: User | None,
) -> Village:
    """Rename a village, change its aliases or district, and choose its default cadre (包村干部)
    among the active cadres serving it, or none."""
    _check_manager(actor)
    name, aliases = _village_fields(village.id, name, aliases)
    default_cadre = _default_cadre(village, default_cadre)
    village.name, village.aliases, village.district, village.default_cadre = name, aliases, district, default_cadre
    _flush("name", VILLAGE_TAKEN, name=name)
    return village


# --- districts ---------------------------------------------------------------------------------

DISTRICT_TAKEN = N_("There is already a district named “%(name)s”.")


def _mediator(person: User | None) -> User | None:
    if person is not None and not _may_mediate(person):
        raise InvalidInput(
            N_("%(name)s cannot mediate: choose an active cadre or dispatcher."), "mediator", name=person.name
        )
    return person


def create_district(actor: User | None, *, name: str, mediator: User | None = None) -> District:
    """A new mediation district (调解片区) with a unique name and, optionally, its mediator."""
    _check_manager(actor)
    name = _district_name(None, name)
    district = District(name=name, mediator=_mediator(mediator))
    db.session.add(district)
    _flush("name", DISTRICT_TAKEN, name=name)
    return district


def update_district(actor: User | None, district: District, *, name: str, mediator: User | None) -> District:
    """Rename a district or change its mediator: an active cadre or dispatcher, or none."""
    _check_manager(actor)
    name = _district_name(district.id, name)
    district.name, district.mediator = name, _mediator(mediator)
    _flush("name", DISTRICT_TAKEN, name=name)
    return district


def _district_name(district_id: int | None, name: str) -> str:
    name = _text(name, "name", 60, N_("Write the district's name."))
    return _unique_name(District, name, district_id, DISTRICT_TAKEN)

"""Who may see and do what. Plain functions used by views, services and templates alike.

A cadre sees only cases of the villages they serve or cases assigned to them; any other case is
treated as not existing (404). Leaders and admins read everything and change no case.
"""

from sqlalchemy import false, or_, true

from .models import CASE_HANDLERS, Case, User, Village

READ_ALL_ROLES = ("admin", "dispatcher", "leader")


def _active(user) -> bool:
    return bool(user and getattr(user, "is_authenticated", False) and user.is_active)


def is_dispatcher(user) -> bool:
    return _active(user) and user.role == "dispatcher"


def is_admin(user) -> bool:
    return _active(user) and user.role == "admin"


def is_assignee(user, case: Case) -> bool:
    """The person the case is assigned to, while their role still handles cases (a cadre made leader does not)."""
    return _active(user) and user.role in CASE_HANDLERS and case.assignee_id == user.id


def serves(user: User, village_id: int | None) -> bool:
    """A cadre serving this village (包村干部)."""
    return user.role == "cadre" and user.active and village_id in user.village_ids


def can_view(user, case: Case) -> bool:
    if not _active(user):
        return False
    if user.role in READ_ALL_ROLES:
        return True
    return case.assignee_id == user.id or case.village_id in user.village_ids


def visible_cases(user):
    """SQL condition matching exactly the cases can_view allows (for lists and counts)."""
    if not _active(user):
        return false()
    if user.role in READ_ALL_ROLES:
        return true()
    ids = list(user.village_ids)
    return or_(Case.assignee_id == user.id, Case.village_id.in_(ids)) if ids else Case.assignee_id == user.id


def can_see_caller(user, case: Case) -> bool:
    """Caller name and phone in clear: the dispatcher and the cadre handling the case."""
    return can_view(user, case) and (is_dispatcher(user) or is_assignee(user, case))


def can_assign(user, case: Case) -> bool:
    return is_dispatcher(user)


def can_return(user, case: Case) -> bool:
    return is_assignee(user, case)


def can_resolve(user, case: Case) -> bool:
    return is_assignee(user, case) or is_dispatcher(user)


def can_reopen(user, case: Case) -> bool:
    return is_dispatcher(user)


def can_escalate(user, case: Case) -> bool:
    return is_assignee(user, case) or is_dispatcher(user)


def can_callback(user, case: Case) -> bool:
    return is_dispatcher(user)


def can_urge(user, case: Case) -> bool:
    """催办: a dispatcher reminds the cadre who holds the case."""
    return is_dispatcher(user)


def can_note(user, case: Case) -> bool:
    return can_view(user, case) and user.role in CASE_HANDLERS


def can_create_dispute(user, village: Village | None) -> bool:
    """Dispatchers register any dispute; a cadre registers one found in a village they serve."""
    if is_dispatcher(user):
        return True
    return _active(user) and village is not None and serves(user, village.id)


def can_convert(user, case: Case) -> bool:
    return can_view(user, case) and can_create_dispute(user, case.village)


def can_register_disputes(user) -> bool:
    return _active(user) and user.role in CASE_HANDLERS


def can_read_queue(user) -> bool:
    return _active(user) and user.role in READ_ALL_ROLES


def can_read_stats(user) -> bool:
    """The statistics pages and the leaders' dashboard: dispatchers, leaders and admins."""
    return _active(user) and user.role in READ_ALL_ROLES


def can_export_stats(user) -> bool:
    """Downloading the monthly export and the yearly summary: dispatchers and leaders."""
    return _active(user) and user.role in ("dispatcher", "leader")


def can_manage(user) -> bool:
    return is_admin(user)


def can_see_calendar_reminder(user) -> bool:
    """The reminder that next year's holiday schedule is still to be entered: administrators, who enter it, and
    dispatchers, whose deadlines it moves."""
    return can_manage(user) or is_dispatcher(user)

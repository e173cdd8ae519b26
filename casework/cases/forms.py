"""The case page's action forms. Each is registered for the actions it serves (@action_form), offers its
choices for the case at hand (`fit`), and turns its fields into the keyword arguments of the action's
service (`arguments`). Whether an action is allowed is workflow.py's to say."""

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import DateField, IntegerField, RadioField, SelectField, TextAreaField
from wtforms.validators import Optional

from .. import attachments, workflow
from ..display import OUTCOME_LABELS, SATISFACTION_LABELS
from ..extensions import db
from ..forms import NONE_CHOSEN, VersionedForm, person_label, photos_field
from ..models import KINDS, Case, User, Village
from ..web import row_or_none

# The form of each action the case page offers, by the kind of case: action -> kind -> form class.
ACTION_FORMS: dict[str, dict[str, type[VersionedForm]]] = {}
# Actions taken on a page of their own, which the case page links to: action -> endpoint (given case_id).
ACTION_PAGES = {"convert": "disputes.convert"}


def action_form(*actions: str, kinds: Iterable[str] = KINDS):
    """Class decorator: the form of these actions of workflow.ACTIONS on the case page, for cases of these
    kinds. One form per action and kind: a second is refused when the module is imported."""

    def register(cls: type[VersionedForm]) -> type[VersionedForm]:
        for action in actions:
            forms = ACTION_FORMS.setdefault(workflow.ACTIONS[action].name, {})
            for kind in kinds:
                if kind in forms:
                    raise ValueError(f"{action} on a {kind} has two forms: {forms[kind].__name__}, {cls.__name__}")
                forms[kind] = cls
        return cls

    return register


def form_for(action: str, case: Case) -> type[VersionedForm] | None:
    """The form of `action` for this case, or None when the case page takes no such action."""
    return ACTION_FORMS.get(action, {}).get(case.kind)


# --- the people and places a form offers ------------------------------------------------------------------


def cadres() -> list[User]:
    stmt = select(User).where(User.role == "cadre", User.active).order_by(User.name)
    return list(db.session.scalars(stmt.options(selectinload(User.villages))))


def villages() -> list[Village]:
    return list(db.session.scalars(select(Village).order_by(Village.name)))


def _people(users: Iterable[User]) -> list[tuple[int, str]]:
    return [NONE_CHOSEN] + [(u.id, person_label(u)) for u in users]


def _only_one(choices: list) -> int | None:
    """The one person offered, to preselect (the district's mediator); none when there is a choice."""
    people = [value for value, _label in choices if value]
    return people[0] if len(people) == 1 else None


# --- the forms --------------------------------------------------------------------------------------------


@action_form("reassign")
class ReassignForm(VersionedForm):
    """改派: any active cadre is offered (the service names one not serving the village); for a dispute above
    the village tier, only those who mediate at its tier."""

    assignee = SelectField(_l("Cadre"), coerce=int, validate_choice=False)
    note = TextAreaField(_l("Note for the cadre"))

    def fit(self, case: Case) -> None:
        self.assignee.choices = _people(workflow.mediators_at(case, case.tier) if case.escalated else cadres())

    def preselect(self, case: Case) -> None:
        default = _only_one(self.assignee.choices) if case.escalated else _default_cadre(case)
        self.assignee.data = default if default != case.assignee_id else None

    def arguments(self) -> dict:
        return super().arguments() | {"assignee": row_or_none(User, self.assignee.data), "note": self.note.data or ""}


def _default_cadre(case: Case) -> int | None:
    return case.village.default_cadre_id if case.village else None


@action_form("assign")
class AssignForm(ReassignForm):
    """派单: as 改派, and the village, asked only when the case has none yet."""

    village = SelectField(_l("Village"), coerce=int, validate_choice=False, validators=[Optional()])
    note = TextAreaField(_l("Note for the cadre"))  # again, so that it comes after the village

    def fit(self, case: Case) -> None:
        self.village.choices = [NONE_CHOSEN] + [(v.id, v.name) for v in villages()]
        self.assignee.choices = _people(cadres())

    def asks(self, field, case: Case) -> bool:
        return field.short_name != "village" or case.village is None

    def arguments(self) -> dict:
        return super().arguments() | {"village": row_or_none(Village, self.village.data)}


@action_form("escalate")
class EscalateForm(ReassignForm):
    """上报: the people who mediate at the next tier (the district's mediator is preselected)."""

    assignee = SelectField(_l("Mediator at the next tier"), coerce=int, validate_choice=False)
    note = TextAreaField(_l("Mediation notes so far"))

    def fit(self, case: Case) -> None:
        self.assignee.choices = _people(workflow.mediators_at(case, workflow.next_tier(case.tier)))

    def preselect(self, case: Case) -> None:
        self.assignee.data = _only_one(self.assignee.choices)


@action_form("return", "reopen", "refuse_extension")
class ReasonForm(VersionedForm):
    reason = TextAreaField(_l("Reason"))

    def arguments(self) -> dict:
        return super().arguments() | {"reason": self.reason.data}


@action_form("resolve", kinds=("dispute",))
class DisputeResolveForm(VersionedForm):
    """办结 of a dispute: the result, and the mediation's outcome with what goes with it."""

    result = TextAreaField(_l("Result"))
    outcome = RadioField(_l("Outcome"), choices=list(OUTCOME_LABELS.items()), validate_choice=False)
    agreement_terms = TextAreaField(_l("Agreement terms (what, how, by when)"))
    performance_deadline = DateField(_l("Performance deadline"), validators=[Optional()])
    failure_route = TextAreaField(_l("Route the parties were told (arbitration, administrative, court)"))
    photos = photos_field()
    agreement = FileField(_l("The signed agreement (PDF or photo)"), render_kw={"accept": "application/pdf,image/*"})

    def arguments(self) -> dict:
        return super().arguments() | {
            "result": self.result.data,
            "outcome": self.outcome.data,
            "agreement_terms": self.agreement_terms.data or "",
            "performance_deadline": self.performance_deadline.data,
            "failure_route": self.failure_route.data or "",
            "attachments": attachments.photos_and_agreement(self.photos.data, self.agreement.data),
        }


@action_form("resolve", kinds=("order",))
class OrderResolveForm(DisputeResolveForm):
    """办结 of a hotline order: it asks for the result and the photos. It still reads a dispute's fields, which the
    service leaves aside for an order, so that a damaged one (a hand-made request) is refused with its message."""

    def asks(self, field, case: Case) -> bool:
        return field.short_name in ("result", "photos")


@action_form("callback")
class CallbackForm(VersionedForm):
    solved = RadioField(_l("Solved?"), choices=[("yes", _l("Solved")), ("no", _l("Not solved"))], validate_choice=False)
    satisfaction = RadioField(_l("Satisfaction"), choices=list(SATISFACTION_LABELS.items()), validate_choice=False)
    note = TextAreaField(_l("Note"))

    def arguments(self) -> dict:
        return super().arguments() | {
            "solved": {"yes": True, "no": False}.get(self.solved.data),
            "satisfaction": self.satisfaction.data,
            "note": self.note.data or "",
        }


@action_form("note")
class NoteForm(VersionedForm):
    note = TextAreaField(_l("Note"))
    photos = photos_field()

    def arguments(self) -> dict:
        # a note changes nothing, so it is never out of date: no version
        return {"note": self.note.data, "attachments": attachments.photos(self.photos.data)}


@action_form("grant_extension", "urge")
class OptionalNoteForm(VersionedForm):
    """An action that takes nothing but a note, which may be left empty (准予延期, 催办)."""

    note = TextAreaField(_l("Note"))

    def arguments(self) -> dict:
        return super().arguments() | {"note": self.note.data or ""}


@action_form("request_extension")
class ExtensionForm(VersionedForm):
    """延期申请: the reason and how many working days (limits are the workflow's to check)."""

    reason = TextAreaField(_l("Why more time is needed"))
    working_days = IntegerField(_l("Working days"), validators=[Optional()])

    def arguments(self) -> dict:
        return super().arguments() | {"reason": self.reason.data, "working_days": self.working_days.data}


class BulkAssignForm(FlaskForm):
    assignee = SelectField(_l("Assign to"), validate_choice=False)

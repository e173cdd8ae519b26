"""What a service says when it refuses: the domain errors and `N_`, at the bottom of the house.

Every service (workflow, intake, accounts, the admin's services) raises one of these; a view turns it into
a 4xx with its message (`status`), the API into a problem document. The message is an English msgid,
translated when shown, in the reader's language.
"""

from flask_babel import gettext


def N_(message: str) -> str:
    """Marks a message for the catalog; it is translated when shown, in the reader's language."""
    return message


class WorkflowError(Exception):
    """A refused action; `status` is the HTTP status a view answers with."""

    status = 409

    def __init__(self, message: str, field: str | None = None, **params):
        super().__init__(message % params if params else message)
        self.message = message  # English msgid, translated when shown
        self.field = field
        self.params = params

    def text(self) -> str:
        """The message in the reader's language."""
        return gettext(self.message, **self.params)


class NotAllowed(WorkflowError):
    """The action does not apply to this kind of case in its current state."""


NOT_POSSIBLE = N_("The action “%(action)s” is not possible for this case in its current state.")


class ActionNotPossible(NotAllowed):
    """The action is not in the table for this case's kind and state: named in words (`label`, a lazy
    string the action registry holds), never by its code."""

    def __init__(self, action: str, label=None):
        super().__init__(NOT_POSSIBLE, action=action)
        self.action = action
        self.label = label

    def text(self) -> str:
        return gettext(self.message, action=str(self.label or self.action))


class Forbidden(WorkflowError):
    status = 403


class InvalidInput(WorkflowError):
    status = 422


class StaleCase(WorkflowError):
    """Someone else changed the case since the actor loaded it."""


STALE = N_("This case was changed by someone else meanwhile. Here it is as it is now; check it and try again.")


class AlreadyDone(WorkflowError):
    """The actor's own earlier submission already did this (workflow.already_done): nothing to do again."""


ALREADY_SUBMITTED = N_("This form was already sent: it registered dispute %(number)s. Nothing was registered again.")


class AlreadySubmitted(WorkflowError):
    """The same form (its one-time submission key) already registered `case`: a double tap, not a new dispute."""

    def __init__(self, case):
        super().__init__(ALREADY_SUBMITTED, number=case.number)
        self.case = case

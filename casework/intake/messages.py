"""What intake tells people about a failure: an English msgid with its values, written out when shown.

A message intake stores to be read later (a reply's last error, a run's error, the note beside a file it
could not read) is stored as a finished sentence in the township's language, the configured default
locale, not as a msgid to translate when shown: it is written with no reader at hand (by the scheduler, a
background thread or `flask poll`) and read in several places that show text as it is (the replies and
runs pages, the queue's banner, poll's output, the operator looking at the folder or the database), which
then all read the same sentence; a message stored before this stays readable as it was. Logs keep the
English (str(exc)). What a page builds from a msgid it still has (a refused file's reason, a rejected
row's) is translated for its reader.
"""

from collections.abc import Callable

from flask import current_app
from flask_babel import force_locale, gettext

from ..refusals import N_

# A run's error has a line for each step that failed, named as the runs page has always shown it.
STEP_ERRORS = {"inbox": N_("inbox: %(error)s"), "feed": N_("feed: %(error)s"), "replies": N_("replies: %(error)s")}


def in_locale(locale: str, render: Callable[[], str]) -> str:
    """What `render` (a gettext or ngettext call) says in `locale`."""
    with force_locale(locale):
        return render()


def in_default_locale(render: Callable[[], str]) -> str:
    """What `render` says in the configured default locale: the sentence to store (see the module's note)."""
    return in_locale(current_app.config["BABEL_DEFAULT_LOCALE"], render)


def step_error(step: str, error: Callable[[], str] | str) -> str:
    """One line of a run's error, to store, in the default locale: the step, then what `error` (a render,
    or a technical text kept as it is) says."""
    return in_default_locale(lambda: gettext(STEP_ERRORS[step], error=error() if callable(error) else error))


class IntakeProblem(Exception):
    """A failure intake reports to people (the platform's, a file's): an English msgid with its values.
    str() is the English, for the log; text() the sentence to store and show (see the module's note)."""

    def __init__(self, message: str, **params):
        super().__init__(message, params)
        self.message, self.params = message, params

    def render(self) -> str:
        """The sentence in the current locale (a subclass with a plural overrides it with its ngettext)."""
        return gettext(self.message, **self.params)

    def text(self) -> str:
        return in_default_locale(self.render)

    def __str__(self) -> str:
        return in_locale("en", self.render)

"""My sessions: where I am logged in (browser, address, since, last seen), and ending the others. Thin."""

from flask import Blueprint, abort, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import sessions, web
from ..ids import row_id
from .forms import EndSessionsForm

bp = Blueprint("account", __name__, url_prefix="/account")

# Names a person recognises, tried in order (WeChat's and Edge's browsers also say Chrome and Safari).
BROWSERS = (
    ("MicroMessenger", "WeChat"),
    ("Edg", "Edge"),
    ("Firefox", "Firefox"),
    ("Chrome", "Chrome"),
    ("Safari", "Safari"),
)
SYSTEMS = (("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"), ("Windows", "Windows"), ("Mac OS", "macOS"))
SYSTEMS += (("Linux", "Linux"),)


def browser_of(user_agent: str) -> str:
    """ "Chrome on Android" from a user agent string; the string itself (cut) when it names none we know."""
    browser = next((name for mark, name in BROWSERS if mark in user_agent), None)
    system = next((name for mark, name in SYSTEMS if mark in user_agent), None)
    if browser and system:
        return _("%(browser)s on %(system)s", browser=browser, system=system)
    return browser or system or user_agent[:60] or _("Unknown browser")


@bp.get("/sessions")
@login_required
def my_sessions():
    rows = sessions.active_sessions(current_user)
    current = sessions.current_key_hash()
    return render_template("account/sessions.html", rows=rows, current=current, browser_of=browser_of)


@bp.post("/sessions/<int:session_id>/end")
@login_required
def end_session(session_id: int):
    def end(form):
        known = row_id(session_id)  # the address may name a number no row can have
        if known is None or not sessions.end_session(current_user, known, origin=web.origin()):
            abort(404)
        return [("success", _("That session has ended."))]

    return web.press(EndSessionsForm(), end, url_for("account.my_sessions"))


@bp.post("/sessions/end-others")
@login_required
def end_other_sessions():
    def end(form):
        reason = "ended by the user"
        ended = sessions.end_other_sessions(current_user, keep_current=True, origin=web.origin(), reason=reason)
        return [("success", _("Sessions ended elsewhere: %(count)d.", count=ended))]

    return web.press(EndSessionsForm(), end, url_for("account.my_sessions"))

"""The notifications list (通知): one's own notices, newest first, each leading to its case; read one by one or
all at once, by buttons (POST with CSRF), never by following a link. Thin: casework.notices reads and marks."""

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import notices, web
from ..models import Notification
from ..permissions import can_view
from .forms import ReadForm

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.get("")
@login_required
def index():
    unread_only = request.args.get("unread") == "1"
    found = notices.notices_page(
        current_user, unread_only=unread_only, after=request.args.get("after"), before=request.args.get("before")
    )
    return render_template(
        "notifications/list.html", found=found, unread_only=unread_only, unread=notices.unread_count(current_user)
    )


@bp.post("/<int:notice_id>/open")
@login_required
def open_notice(notice_id: int):
    """Mark the notice read and go to its case; to the list for a notice about no case, and to the list with a
    word for one about a case the reader may no longer see (reassigned away), rather than to a 404."""
    notice = _own_or_404(notice_id)
    gone = notice.case is not None and not can_view(current_user, notice.case)
    target = url_for("cases.show", case_id=notice.case_id) if notice.case and not gone else url_for(".index")

    def read(form):
        notices.mark_read(current_user, notice)
        return [("info", _("The case of this notification is no longer yours to see."))] if gone else None

    return web.press(ReadForm(), read, target)


@bp.post("/<int:notice_id>/read")
@login_required
def mark_read(notice_id: int):
    notice = _own_or_404(notice_id)
    return web.press(ReadForm(), lambda form: notices.mark_read(current_user, notice), _back())


@bp.post("/read-all")
@login_required
def mark_all_read():
    def mark(form):
        marked = notices.mark_all_read(current_user)
        return [("success", _("Notifications marked as read: %(count)d.", count=marked))]

    return web.press(ReadForm(), mark, _back())


def _own_or_404(notice_id: int) -> Notification:
    """The logged-in user's notice; another's, or none, is the 404 page (nobody learns which ids exist)."""
    notice = notices.own_notice(current_user, notice_id)
    if notice is None:
        abort(404)
    return notice


def _back() -> str:
    """The list, with the filter the button was pressed under."""
    return url_for(".index", unread="1") if request.args.get("unread") == "1" else url_for(".index")

"""Intake runs, the poll-now button and the replies waiting for the platform. Thin: parse, call, commit."""

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required

from .. import ids, jobs
from .. import permissions as perm
from ..extensions import db
from ..intake import outbox
from ..intake.run import failed_run_alert, intake_run, recent_runs
from ..models import utcnow
from . import forms

bp = Blueprint("runs", __name__)

TRIGGER_LABELS = {"schedule": _l("Scheduled"), "startup": _l("Missed slot, run at start-up"), "manual": _l("By hand")}
STATUS_LABELS = {"running": _l("Running"), "ok": _l("OK"), "failed": _l("Failed")}
SOURCE_LABELS = {"inbox": _l("Inbox folder"), "inbox+feed": _l("Inbox folder and platform feed")}


@bp.app_context_processor
def _intake_globals() -> dict:
    """For the queue's banner; a function, so the query runs only where a template calls it."""
    return {"failed_intake_run": failed_run_alert, "pending_reply_count": outbox.pending_count}


def _readers_only() -> None:
    if not perm.can_read_queue(current_user):
        abort(403)


def _dispatchers_only() -> None:
    if not perm.is_dispatcher(current_user):
        abort(403)


@bp.get("/runs", endpoint="index")
@login_required
def runs_list():
    _readers_only()
    page = min(max(request.args.get("page", 1, type=int), 1), 100_000)  # past the last page: an empty one
    runs, has_older = recent_runs(page, current_app.config["PAGE_SIZE"])
    return render_template(
        "runs/list.html",
        runs=runs,
        page=page,
        has_older=has_older,
        next_slots=jobs.next_slots(current_app, utcnow()),
        pending=outbox.pending_count(),
        TRIGGER_LABELS=TRIGGER_LABELS,
        STATUS_LABELS=STATUS_LABELS,
        SOURCE_LABELS=SOURCE_LABELS,
    )


@bp.post("/runs/poll")
@login_required
def poll():
    """Run one intake now, as the schedule would, and say what it did."""
    _dispatchers_only()
    run = intake_run("manual", actor=current_user)
    if run.status == "ok":
        flash(
            _(
                "Intake done: %(new)d new, %(dup)d duplicates, %(rej)d rejected, %(sent)d replies sent.",
                new=run.new,
                dup=run.duplicates,
                rej=run.rejected,
                sent=run.replies_sent,
            ),
            "success",
        )
    else:
        flash(_("Intake failed: %(error)s", error=run.error), "error")
    return redirect(url_for("cases.queue"))


# --- replies to the platform -----------------------------------------------------------------------


@bp.get("/replies")
@login_required
def replies():
    _readers_only()
    return _render_replies(forms.ConfirmRepliesForm(formdata=None))


def _render_replies(form, status: int = 200):
    """One page of the waiting replies (keyset: ?after= / ?before= a reply id), with how many wait in all."""
    page = outbox.pending_page(
        after=ids.row_id(request.args.get("after")),
        before=ids.row_id(request.args.get("before")),
        limit=current_app.config["PAGE_SIZE"],
    )
    return render_template(
        "runs/replies.html",
        page=page,
        replies=page.replies,
        total=outbox.pending_count(),
        form=form,
        feed=bool(current_app.config.get("FEED_URL")),
    ), status


@bp.get("/replies.csv")
@login_required
def replies_csv():
    _dispatchers_only()
    name = f"replies-{utcnow():%Y%m%d-%H%M}.csv"
    return Response(
        outbox.replies_csv(outbox.pending_replies()),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={name}"},
    )


@bp.post("/replies/confirm")
@login_required
def confirm_replies():
    """Staff entered the ticked replies on the platform: mark them sent."""
    _dispatchers_only()
    form = forms.ConfirmRepliesForm()
    if not form.validate() or not form.reply_ids.data:
        form.reply_ids.errors = [_("Tick the replies you entered on the platform.")]
        return _render_replies(form, 422)
    marked = outbox.mark_sent_by_hand(form.reply_ids.data, current_user)
    db.session.commit()
    flash(ngettext("%(num)d reply marked as sent.", "%(num)d replies marked as sent.", marked), "success")
    return redirect(url_for("runs.replies"))

"""Intake runs, the poll-now button and the replies waiting for the platform. Thin: parse, call, commit."""

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required

from .. import attachments, ids, job_runs, jobs, reminders, web
from .. import permissions as perm
from ..intake import outbox
from ..intake.run import failed_run_alert, fetch_now, is_interrupted, recent_runs, run_error, run_limit, running_run
from ..models import IntakeRun, utcnow
from . import forms

bp = Blueprint("runs", __name__)

TRIGGER_LABELS = {"schedule": _l("Scheduled"), "startup": _l("Missed slot, run at start-up"), "manual": _l("By hand")}
STATUS_LABELS = {"running": _l("Running"), "ok": _l("OK"), "failed": _l("Failed"), "interrupted": _l("Interrupted")}
REFRESH_SECONDS = 5  # how often the runs page reloads itself while a run is running
SOURCE_LABELS = {"inbox": _l("Inbox folder"), "inbox+feed": _l("Inbox folder and platform feed")}


@bp.app_context_processor
def _intake_globals() -> dict:
    """The intake's state, as functions every template may call (the failed run to warn of, the running run,
    how many replies wait, a run's error, whether a run was interrupted): each queries only when called."""
    return {
        "failed_intake_run": failed_run_alert,
        "running_intake_run": running_run,
        "pending_reply_count": outbox.pending_count,
        "intake_run_error": run_error,
        "intake_run_interrupted": is_interrupted,
    }


def _readers_only() -> None:
    if not perm.can_read_queue(current_user):
        abort(403)


def _dispatchers_only() -> None:
    if not perm.is_dispatcher(current_user):
        abort(403)


@bp.get("/runs", endpoint="index")
@login_required
def runs_list():
    """The runs, newest first; while one is running, it is shown with a note and the page reloads itself.
    ?run=<id> is the run the dispatcher started (or found running): once it ends, what it did."""
    _readers_only()
    page = min(max(request.args.get("page", 1, type=int), 1), 100_000)  # past the last page: an empty one
    runs, has_older = recent_runs(page, current_app.config["PAGE_SIZE"])
    return render_template(
        "runs/list.html",
        runs=runs,
        page=page,
        has_older=has_older,
        running=running_run(),
        watched=web.row_or_none(IntakeRun, request.args.get("run")),
        limit_minutes=round(run_limit().total_seconds() / 60),
        refresh_seconds=REFRESH_SECONDS,
        next_slots=jobs.next_slots(current_app, utcnow()),
        pending=outbox.pending_count(),
        reminder_runs=job_runs.recent(reminders.JOB, 5),
        TRIGGER_LABELS=TRIGGER_LABELS,
        STATUS_LABELS=STATUS_LABELS,
        SOURCE_LABELS=SOURCE_LABELS,
    )


@bp.post("/runs/poll")
@login_required
def poll():
    """Start one intake now in the background and show it on the runs page; while one is running,
    start none and show that one."""
    _dispatchers_only()
    run, started = fetch_now(current_app._get_current_object(), current_user)
    if started:
        flash(_("Fetching new orders: the run goes on in the background; this page shows it until done."), "success")
    else:
        flash(_("An intake run is already running; no second one was started. It is shown below."), "warning")
    return redirect(url_for("runs.index", run=run.id))


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
        photos=attachments.of_replies(page.replies),
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

    def mark(form):
        marked = outbox.mark_sent_by_hand(form.reply_ids.data, current_user)
        return [("success", ngettext("%(num)d reply marked as sent.", "%(num)d replies marked as sent.", marked))]

    return web.submit(forms.ConfirmRepliesForm(), _render_replies, mark, url_for("runs.replies"))

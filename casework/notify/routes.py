"""The notification pages: one's own channels and subscribed browsers (/account/notifications, and the JSON
endpoints static/push.js posts a browser's subscription to), and for administrators the deliveries that did
not go (/admin/deliveries). Thin: each parses, calls one service of casework.notify, commits once."""

from flask import Blueprint, abort, jsonify, make_response, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from .. import permissions as perm
from .. import web
from ..account.routes import browser_of
from ..ids import row_id, row_ids
from ..notices import configured_channels, sentence
from ..refusals import WorkflowError
from . import devices, failures, webpush
from .forms import ButtonForm, ChannelsForm
from .labels import CHANNEL_LABELS

bp = Blueprint("notify", __name__)
SUBSCRIPTION_BYTES = 4096  # a browser's subscription is about 400 bytes


@bp.route("/account/notifications", methods=["GET", "POST"])
@login_required
def settings():
    form = ChannelsForm(data=dict(devices.channel_switches(current_user)) if request.method == "GET" else None)

    def save(form: ChannelsForm):
        devices.choose_channels(current_user, form.chosen())
        return [("success", _("Your notification settings are saved."))]

    render = web.page("notify/settings.html", **_settings_context())
    return web.submit(form, render, save, url_for("notify.settings"))


def _settings_context() -> dict:
    push = "webpush" in configured_channels()
    return {
        "channels": configured_channels(),
        "devices": devices.devices(current_user),
        "push_key": webpush.application_server_key() if push else "",
        "browser_of": browser_of,
    }


@bp.post("/account/push/subscribe")
@login_required
def subscribe():
    """The browser's subscription (JSON, with the X-CSRFToken header): 201, or 4xx with {"error": ...}."""
    data = _json_body()
    agent = web.origin().user_agent  # cleaned and cut: a NUL in the header is no 500
    try:
        row = web.run(lambda: devices.subscribe(current_user, data, agent))
    except WorkflowError as exc:
        return jsonify(error=exc.text()), exc.status
    return jsonify(id=row.id), 201


@bp.post("/account/push/unsubscribe")
@login_required
def unsubscribe():
    """The browser unsubscribed: {"endpoint": ...} forgotten (204), if it was the user's."""
    data = _json_body()
    endpoint = data.get("endpoint") if isinstance(data, dict) else None
    web.run(lambda: devices.unsubscribe(current_user, endpoint))
    return "", 204


def _json_body():
    if (request.content_length or 0) > SUBSCRIPTION_BYTES:
        abort(make_response(jsonify(error=_("What was sent is too large. Shorten it and send it again.")), 413))
    data = request.get_json(silent=True) if request.is_json else None
    if data is None:
        abort(make_response(jsonify(error=_(devices.NOT_A_SUBSCRIPTION)), 400))
    return data


@bp.post("/account/push/<int:subscription_id>/remove")
@login_required
def remove_device(subscription_id: int):
    def remove(form):
        devices.remove_device(current_user, row_id(subscription_id))
        return [("success", _("That device will no longer get notifications."))]

    return web.press(ButtonForm(), remove, url_for("notify.settings"))


# --- administrators ---------------------------------------------------------------------------------


@bp.get("/admin/deliveries")
@login_required
def failed_deliveries():
    _admins_only()
    found = failures.failures_page(current_user, before=request.args.get("before"))
    return render_template(
        "notify/failures.html", page=found, tab="deliveries", CHANNEL_LABELS=CHANNEL_LABELS, notice_sentence=sentence
    )


@bp.post("/admin/deliveries/<int:delivery_id>/retry")
@login_required
def retry(delivery_id: int):
    _admins_only()

    def again(form):
        failures.retry(current_user, row_ids([delivery_id]))
        return [("success", _("The notification will be sent again shortly."))]

    return web.press(ButtonForm(), again, url_for("notify.failed_deliveries"))


@bp.post("/admin/deliveries/retry-failed")
@login_required
def retry_all():
    _admins_only()

    def again(form):
        count = failures.retry_all_failed(current_user)
        again = ngettext(
            "%(num)d notification will be sent again shortly.",
            "%(num)d notifications will be sent again shortly.",
            count,
        )
        return [("success", again)]

    return web.press(ButtonForm(), again, url_for("notify.failed_deliveries"))


@bp.post("/admin/deliveries/<int:delivery_id>/dismiss")
@login_required
def dismiss(delivery_id: int):
    _admins_only()

    def put_away(form):
        failures.dismiss(current_user, row_ids([delivery_id]))
        return [("success", _("The failed notification was dismissed."))]

    return web.press(ButtonForm(), put_away, url_for("notify.failed_deliveries"))


def _admins_only() -> None:
    if not perm.can_manage(current_user):
        abort(403)

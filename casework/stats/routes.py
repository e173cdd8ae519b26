"""Statistics pages: the leaders' dashboard, a month's figures, the year's summary, and their downloads."""

import tempfile
from datetime import UTC, datetime

from flask import Blueprint, abort, current_app, render_template, request, send_file
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import permissions as perm
from . import charts, exporters
from . import definitions as d
from .dashboard import dashboard as dashboard_data
from .figures import Rate
from .monthly import monthly_figures
from .periods import BadPeriod, current_month, parse_month, parse_year
from .yearly import yearly_summary

bp = Blueprint("stats", __name__, url_prefix="/stats")


@bp.context_processor
def _names() -> dict:
    names = dict(
        orders=d.ORDER_NAMES,
        order_rates=d.ORDER_RATE_NAMES,
        disputes=d.DISPUTE_NAMES,
        dispute_rates=d.DISPUTE_RATE_NAMES,
        order_dims=d.ORDER_DIM_NAMES,
        dispute_dims=d.DISPUTE_DIM_NAMES,
    )
    return {"names": names, "is_rate": lambda value: isinstance(value, Rate)}


def _require(check) -> None:
    if not check(current_user):
        abort(403)


def _month_or_400(text: str):
    try:
        return parse_month(text)
    except BadPeriod as exc:
        abort(400, description=str(exc))


def _year_or_400(text: str) -> int:
    try:
        return parse_year(text)
    except BadPeriod as exc:
        abort(400, description=str(exc))


def _this_month():
    return current_month(current_app.config["TIMEZONE"], datetime.now(UTC))


@bp.get("/", endpoint="dashboard")
@login_required
def dashboard_page():
    _require(perm.can_read_stats)
    data = dashboard_data()
    labels = [f"{m.month}月" for m, _ in data.trend]
    volume = charts.bar_chart(
        _("Orders received and resolved, last 12 months"),
        labels,
        [("受理", [c["received"] for _, c in data.trend]), ("办结", [c["resolved"] for _, c in data.trend])],
    )
    rates = charts.line_chart(
        _("Rates, last 12 months"),
        labels,
        [(name, [c.rate(key).value for _, c in data.trend]) for key, name in _TREND_RATES],
    )
    return render_template("stats/dashboard.html", d=data, volume_chart=volume, rates_chart=rates)


_TREND_RATES = (("response_rate", "响应率"), ("solved_rate", "解决率"), ("satisfaction_rate", "满意率"))


@bp.get("/month", endpoint="month")
@login_required
def month_page():
    _require(perm.can_read_stats)
    month = _month_or_400(request.args["month"]) if request.args.get("month") else _this_month().shift(-1)
    return render_template("stats/month.html", fig=monthly_figures(month))


@bp.get("/month/<month>.<fmt>", endpoint="month_export")
@login_required
def month_export(month: str, fmt: str):
    _require(perm.can_export_stats)
    if fmt not in exporters.MONTHLY_FORMATS:
        abort(404)
    fig = monthly_figures(_month_or_400(month))
    return _send(lambda path: exporters.write_monthly(fig, fmt, path), fmt, f"statistics-{fig.month}.{fmt}")


@bp.get("/year", endpoint="year")
@login_required
def year_page():
    _require(perm.can_read_stats)
    year = _year_or_400(request.args["year"]) if request.args.get("year") else _this_month().year
    summary = yearly_summary(year)
    return render_template("stats/year.html", s=summary, month_table=exporters.month_table(summary))


@bp.get("/year/<year>.<fmt>", endpoint="year_export")
@login_required
def year_export(year: str, fmt: str):
    _require(perm.can_export_stats)
    if fmt not in exporters.YEARLY_FORMATS:
        abort(404)
    summary = yearly_summary(_year_or_400(year))
    return _send(lambda path: exporters.write_yearly(summary, fmt, path), fmt, f"summary-{summary.year}.{fmt}")


def _send(write, fmt: str, name: str):
    """Write the file to a temporary file (never the whole export in memory) and send it."""
    tmp = tempfile.NamedTemporaryFile(suffix=f".{fmt}")  # noqa: SIM115 - closed (and removed) with the response
    write(tmp.name)
    tmp.seek(0)
    return send_file(tmp, mimetype=exporters.MIME[fmt], as_attachment=True, download_name=name)

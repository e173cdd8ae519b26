"""Statistics pages: the leaders' dashboard, a month's figures, the year's summary, and their downloads."""

import tempfile
from datetime import UTC, datetime

from flask import Blueprint, abort, render_template, request, send_file
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import permissions as perm
from ..clock import zone_name
from . import charts, exporters
from . import labels as lb
from .dashboard import dashboard as dashboard_data
from .figures import Rate
from .monthly import monthly_figures
from .periods import FIRST_YEAR, LAST_YEAR, BadPeriod, current_month, parse_month, parse_year
from .report import MONTH_COLUMNS_DISPUTES, MONTH_COLUMNS_ORDERS, Report, monthly_report, yearly_report
from .yearly import yearly_summary

bp = Blueprint("stats", __name__, url_prefix="/stats")


@bp.context_processor
def _names() -> dict:
    names = dict(
        orders=lb.ORDER_LABELS,
        order_rates=lb.ORDER_RATE_LABELS,
        disputes=lb.DISPUTE_LABELS,
        dispute_rates=lb.DISPUTE_RATE_LABELS,
        order_dims=lb.ORDER_DIM_LABELS,
        dispute_dims=lb.DISPUTE_DIM_LABELS,
    )
    return {
        "names": names,
        "is_rate": lambda value: isinstance(value, Rate),
        "row_label": lb.row_label,
        "group_labels": lb.GROUP_LABELS,
        "month_label": lb.month_label,
    }


def _require(check) -> None:
    if not check(current_user):
        abort(403)


def _month_or_400(text: str):
    try:
        return parse_month(text)
    except BadPeriod:
        abort(
            400,
            description=_(
                "Not a month: “%(text)s”. Write it as year-month, e.g. 2026-10, a year from %(first)d to %(last)d.",
                text=text,
                first=FIRST_YEAR,
                last=LAST_YEAR,
            ),
        )


def _year_or_400(text: str) -> int:
    try:
        return parse_year(text)
    except BadPeriod:
        abort(
            400,
            description=_(
                "Not a year: “%(text)s”. Write a year from %(first)d to %(last)d, e.g. 2026.",
                text=text,
                first=FIRST_YEAR,
                last=LAST_YEAR,
            ),
        )


def _this_month():
    return current_month(zone_name(), datetime.now(UTC))


@bp.get("/", endpoint="dashboard")
@login_required
def dashboard_page():
    _require(perm.can_read_stats)
    data = dashboard_data()
    labels = [lb.short_month_label(m) for m, _ in data.trend]
    volume = charts.bar_chart(
        _("Orders received and resolved, last 12 months"),
        labels,
        [(str(lb.ORDER_LABELS[key]), [c[key] for _, c in data.trend]) for key in ("received", "resolved")],
    )
    rates = charts.line_chart(
        _("Rates, last 12 months"),
        labels,
        [(str(lb.ORDER_RATE_LABELS[key]), [c.rate(key).value for _, c in data.trend]) for key in _TREND_RATES],
    )
    return render_template("stats/dashboard.html", d=data, volume_chart=volume, rates_chart=rates)


_TREND_RATES = ("response_rate", "solved_rate", "satisfaction_rate")


@bp.get("/month", endpoint="month")
@login_required
def month_page():
    _require(perm.can_read_stats)
    month = _month_or_400(request.args["month"]) if request.args.get("month") else _this_month().shift(-1)
    return render_template("stats/month.html", fig=monthly_figures(month))


@bp.get("/month/<month>.<fmt>", endpoint="month_export")
@login_required
def month_export(month: str, fmt: str):
    _require_download(fmt, exporters.MONTHLY_FORMATS)
    return _send(monthly_report(monthly_figures(_month_or_400(month))), fmt)


@bp.get("/year", endpoint="year")
@login_required
def year_page():
    _require(perm.can_read_stats)
    year = _year_or_400(request.args["year"]) if request.args.get("year") else _this_month().year
    summary = yearly_summary(year)
    columns = {"orders": MONTH_COLUMNS_ORDERS, "disputes": MONTH_COLUMNS_DISPUTES}
    months = list(zip(summary.order_months, summary.dispute_months, strict=True))
    return render_template("stats/year.html", s=summary, months=months, month_columns=columns)


@bp.get("/year/<year>.<fmt>", endpoint="year_export")
@login_required
def year_export(year: str, fmt: str):
    _require_download(fmt, exporters.YEARLY_FORMATS)
    return _send(yearly_report(yearly_summary(_year_or_400(year))), fmt)


def _require_download(fmt: str, formats: tuple[str, ...]) -> None:
    """403 to whoever may not download statistics, then 404 for a format the period is not written in."""
    _require(perm.can_export_stats)
    if fmt not in formats:
        abort(404)


def _send(report: Report, fmt: str):
    """Write the report to a temporary file (never the whole export in memory) and send it."""
    tmp = tempfile.NamedTemporaryFile(suffix=f".{fmt}")  # noqa: SIM115 - closed (and removed) with the response
    exporters.write(report, fmt, tmp.name)
    tmp.seek(0)
    return send_file(tmp, mimetype=exporters.MIME[fmt], as_attachment=True, download_name=f"{report.stem}.{fmt}")

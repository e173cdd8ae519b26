"""The one shape every statistics file is written from: a month's or a year's report, in the township's words.

A Report holds what the tables show (title, period line, the work report's sentences, sections of heading,
header and rows, the counting rules), what the JSON states about the period and its figures by key, and for
a month the order list, streamed from the database when written. monthly_report and yearly_report build it
from the figures (which carry keys, not words: the words are added here, from definitions.py); exporters.py
writes any report as CSV, XLSX, JSON or DOCX."""

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from . import definitions as d
from . import figures as fg
from .monthly import MonthlyFigures, month_orders
from .periods import Month
from .yearly import YearlySummary

OVERVIEW_HEADER = ("指标", "数值", "分子", "分母")
# The year's month-by-month table: these flows of each kind, and every hotline rate.
MONTH_COLUMNS_ORDERS = ("received", "assigned", "resolved", "resolved_on_time", "returned", "reopened", "extended")
MONTH_COLUMNS_DISPUTES = ("received", "settled", "failed", "withdrawn", "escalated")


@dataclass
class Section:
    """A table of the report: its heading, header and rows (cells are text, numbers, or a figures.Rate,
    which each format writes its own way)."""

    heading: str
    header: list[str]
    rows: list[Sequence]
    overview: bool = False  # a list of figures (指标, 数值, 分子, 分母) rather than a breakdown


@dataclass
class Listing:
    """Rows too many to hold, streamed from the database into a sheet of their own when written."""

    sheet: str
    heading: str
    columns: Sequence[str]
    widths: list[int]
    rows: Callable[[], Iterable[Sequence]]


@dataclass
class Report:
    stem: str  # its files' name without the format's suffix
    title: str
    period_line: str
    sections: list[Section]
    definitions: list[tuple[str, str]]  # (name, rule) of every figure
    about: dict  # what the JSON states about the period, before its figures
    figures: dict[str, tuple[fg.Counts, dict[str, fg.Table]]]  # the JSON's "orders" and "disputes"
    sentences: list[str] = field(default_factory=list)  # the work report's sentences, before the tables
    months: list[tuple[str, dict[str, fg.Counts]]] | None = None  # the JSON's month by month
    listing: Listing | None = None


@dataclass(frozen=True)
class Kind:
    """A kind of case in the report: its word, the JSON's key, the names of its figures, rates and dimensions."""

    word: str
    key: str
    names: dict[str, str]
    rate_names: dict[str, str]
    dim_names: dict[str, str]
    rate_defs: dict[str, tuple[str, str]]


ORDERS = Kind("工单", "orders", d.ORDER_NAMES, d.ORDER_RATE_NAMES, d.ORDER_DIM_NAMES, fg.ORDER_RATES)
DISPUTES = Kind("纠纷", "disputes", d.DISPUTE_NAMES, d.DISPUTE_RATE_NAMES, d.DISPUTE_DIM_NAMES, fg.DISPUTE_RATES)


# --- a month and a year ------------------------------------------------------------------------


def monthly_report(fig: MonthlyFigures) -> Report:
    """The month's report: overviews, breakdowns, the rules, and the month's orders as they stood at its end."""
    return Report(
        stem=f"statistics-{fig.month}",
        title=f"{fig.township}{fig.month.label}12345热线工单和矛盾纠纷统计",
        period_line=monthly_period_line(fig),
        sections=figure_sections(fig, "{kind}概览", "{kind}-按{dim}"),
        definitions=[*d.GENERAL, *d.ORDER_RULES, *d.DISPUTE_RULES],
        about={
            "month": str(fig.month),
            "township": fig.township,
            "timezone": fig.timezone,
            "start_utc": fig.start.isoformat(),
            "end_utc": fig.end.isoformat(),
            "generated_at": fig.generated_at.isoformat(),
            "names": {"orders": d.ORDER_NAMES | d.ORDER_RATE_NAMES, "disputes": d.DISPUTE_NAMES | d.DISPUTE_RATE_NAMES},
        },
        figures=_figures_by_key(fig),
        listing=Listing(
            sheet="本月工单清单",
            heading=f"{fig.month.label}受理的工单（月末状态）",
            columns=d.ORDER_LIST_COLUMNS,
            widths=[18, 17, 10, 10, 9, 9, 17, 17, 9, 11, 17, 8, 8, 8],
            rows=lambda: order_list(fig.month),
        ),
    )


def yearly_report(s: YearlySummary) -> Report:
    """The year's report: the work report's two sentences, the overviews, month by month, the breakdowns."""
    sentences = {
        "hotline": s.hotline_sentence,
        "disputes": s.disputes_sentence,
        "hotline_resolved": s.orders["resolved"],
        "disputes_settled": s.disputes["settled"],
        "disputes_settled_approx": s.disputes_approx,
    }
    return Report(
        stem=f"summary-{s.year}",
        title=f"{s.township}{s.year}年12345热线和矛盾纠纷化解工作统计",
        period_line=yearly_period_line(s),
        sections=figure_sections(s, "全年{kind}", "{kind}按{dim}", between=[month_table(s)]),
        definitions=[*d.YEARLY_RULES, *d.GENERAL, *d.ORDER_RULES, *d.DISPUTE_RULES],
        about={
            "year": s.year,
            "township": s.township,
            "timezone": s.timezone,
            "generated_at": s.generated_at.isoformat(),
            "start_utc": s.start.isoformat(),
            "end_utc": s.end.isoformat(),
            "complete": not s.is_partial,
            "period": yearly_period_line(s),
            "sentences": sentences,
        },
        figures=_figures_by_key(s),
        sentences=[s.disputes_sentence, s.hotline_sentence],
        months=[
            (str(m), {"orders": o, "disputes": dp})
            for (m, o), (_, dp) in zip(s.order_months, s.dispute_months, strict=True)
        ],
    )


def monthly_period_line(fig: MonthlyFigures) -> str:
    """When the figures are of and when they were made, in the township's time (UTC in brackets)."""
    zone = ZoneInfo(fig.timezone)
    start, end, made = (t.astimezone(zone) for t in (fig.start, fig.end, fig.generated_at))
    return (
        f"统计期间：{start:%Y-%m-%d %H:%M} 至 {end:%Y-%m-%d %H:%M}（{fig.timezone}，不含结束时刻；"
        f"UTC {fig.start:%Y-%m-%d %H:%M} 至 {fig.end:%Y-%m-%d %H:%M}）；"
        f"生成时间：{made:%Y-%m-%d %H:%M}（{fig.timezone}）"
    )


def yearly_period_line(s: YearlySummary) -> str:
    """The year's period in the township's time; a year not over yet says up to when it is counted."""
    zone = ZoneInfo(s.timezone)
    start, end, made = (t.astimezone(zone) for t in (s.start, s.end, s.generated_at))
    if s.is_partial:
        return (
            f"统计期间：{start:%Y-%m-%d %H:%M} 至 {made:%Y-%m-%d %H:%M}（{s.timezone}）。"
            f"本年度尚未结束，以上为截至生成时的数字，年终请重新生成。"
        )
    return (
        f"统计期间：{start:%Y-%m-%d %H:%M} 至 {end:%Y-%m-%d %H:%M}（{s.timezone}，全年，不含结束时刻）；"
        f"生成时间：{made:%Y-%m-%d %H:%M}"
    )


def order_list(month: Month) -> Iterator[tuple]:
    """The month's orders (monthly.month_orders) with their state at the month's end in words."""
    for *head, state, cadre, resolved, reopens, extensions, photos in month_orders(month):
        yield (*head, d.STATE_NAMES.get(state, state), cadre, resolved, reopens, extensions, photos)


# --- the tables of both ------------------------------------------------------------------------


def _counted(fig: fg.PeriodFigures) -> list[tuple[Kind, fg.Counts, dict[str, fg.Table]]]:
    return [(ORDERS, fig.orders, fig.order_tables), (DISPUTES, fig.disputes, fig.dispute_tables)]


def _figures_by_key(fig: fg.PeriodFigures) -> dict[str, tuple[fg.Counts, dict[str, fg.Table]]]:
    return {kind.key: (total, tables) for kind, total, tables in _counted(fig)}


def figure_sections(fig: fg.PeriodFigures, overview: str, breakdown: str, between=()) -> list[Section]:
    """Each kind's overview (headed `overview`, "{kind}概览"), the sections `between`, then each kind's
    breakdowns (headed `breakdown`, "{kind}-按{dim}"), in the order of the figures' dimensions."""
    counted = _counted(fig)
    overviews = [overview_section(overview.format(kind=kind.word), kind, total) for kind, total, _ in counted]
    breakdowns = [breakdown_section(breakdown, kind, t) for kind, _, tables in counted for t in tables.values()]
    return [*overviews, *between, *breakdowns]


def overview_section(heading: str, kind: Kind, counts: fg.Counts) -> Section:
    """(指标, 数值, 分子, 分母): counts with their value, rates with the rate and its two terms."""
    rows = [(name, counts[n], None, None) for n, name in kind.names.items()]
    for key, label in kind.rate_names.items():
        rate = counts.rate(key)
        rows.append((label, rate, rate.numerator, rate.denominator))
    return Section(heading, list(OVERVIEW_HEADER), rows, overview=True)


def breakdown_section(heading: str, kind: Kind, table: fg.Table) -> Section:
    """One row per group and the 合计 row; each rate's column says what it divides."""
    dim_name = kind.dim_names[table.dim]
    terms = {k: f"{kind.names[num]}÷{kind.names[den]}" for k, (num, den) in kind.rate_defs.items()}
    header = [dim_name, *kind.names.values(), *(f"{label}（{terms[k]}）" for k, label in kind.rate_names.items())]

    def row(label: str, counts: fg.Counts) -> list:
        return [label, *(counts[n] for n in kind.names), *(counts.rate(k) for k in kind.rate_names)]

    rows = [row(d.group_name(table.dim, group), counts) for group, counts in table.rows]
    return Section(heading.format(kind=kind.word, dim=dim_name), header, [*rows, row(d.TOTAL, table.total)])


def month_table(s: YearlySummary) -> Section:
    """The month-by-month table: hotline flows and rates, disputes received and settled."""
    header = [
        "月份",
        *(d.ORDER_NAMES[n] for n in MONTH_COLUMNS_ORDERS),
        *d.ORDER_RATE_NAMES.values(),
        *(f"纠纷{d.DISPUTE_NAMES[n]}" for n in MONTH_COLUMNS_DISPUTES),
    ]
    rows = [
        [
            month.label,
            *(o[n] for n in MONTH_COLUMNS_ORDERS),
            *(o.rate(k) for k in d.ORDER_RATE_NAMES),
            *(dp[n] for n in MONTH_COLUMNS_DISPUTES),
        ]
        for (month, o), (_, dp) in zip(s.order_months, s.dispute_months, strict=True)
    ]
    return Section("分月情况", header, rows)

"""`flask --app wsgi export-month YYYY-MM` and `flask --app wsgi yearly-summary YYYY`."""

import click
from flask import Flask

from .exporters import MONTHLY_FORMATS, YEARLY_FORMATS, write_monthly, write_yearly
from .monthly import monthly_figures
from .periods import BadPeriod, parse_month, parse_year
from .yearly import yearly_summary


def _period(parse, text: str):
    try:
        return parse(text)
    except BadPeriod as exc:
        raise click.BadParameter(str(exc)) from exc


@click.command("export-month")
@click.argument("month")
@click.option("--format", "fmt", type=click.Choice(MONTHLY_FORMATS), default="xlsx", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True)
def export_month(month: str, fmt: str, output: str) -> None:
    """Write the statistics of MONTH (YYYY-MM, local time) as XLSX, CSV or JSON."""
    write_monthly(monthly_figures(_period(parse_month, month)), fmt, output)
    click.echo(f"wrote {output}")


@click.command("yearly-summary")
@click.argument("year")
@click.option("--format", "fmt", type=click.Choice(YEARLY_FORMATS), default="docx", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True)
def yearly_summary_command(year: str, fmt: str, output: str) -> None:
    """Write the summary of YEAR (YYYY) with the work report's sentences, as DOCX or JSON."""
    summary = yearly_summary(_period(parse_year, year))
    write_yearly(summary, fmt, output)
    click.echo(summary.disputes_sentence)
    click.echo(summary.hotline_sentence)
    click.echo(f"wrote {output}")


def init_app(app: Flask) -> None:
    app.cli.add_command(export_month)
    app.cli.add_command(yearly_summary_command)

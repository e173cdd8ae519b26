"""Flask commands: `flask --app wsgi <command>`."""

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from . import attachments, holidays, people
from .demo.cli import demo_data_command
from .extensions import db
from .jobs import init_cli as init_jobs_cli
from .models import ROLES, Village
from .notify.cli import notify_send_command
from .refusals import WorkflowError
from .stats.cli import init_app as init_stats_cli

users_cli = AppGroup("users", help="Manage user accounts.")


@users_cli.command("create")
@click.argument("username")
@click.option("--name", required=True, help="The person's name as shown in Casework.")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--village", "villages", multiple=True, help="A village a cadre serves (repeatable).")
def create_user(username: str, name: str, role: str, password: str, villages: tuple[str, ...]) -> None:
    """Create a user (e.g. the first admin on a new installation).

    Same rules as the admin screens (casework.people.create_user); the actor is None, which
    people.py documents as the command line, allowed to do what an administrator may."""
    chosen = []
    for village_name in villages:
        village = db.session.scalar(select(Village).where(Village.name == village_name))
        if village is None:
            raise click.ClickException(f"no village named {village_name}")
        chosen.append(village)
    try:
        people.create_user(None, username=username, name=name, role=role, password=password, villages=chosen)
        db.session.commit()
    except WorkflowError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    click.echo(f"created {role} {username}")


calendar_cli = AppGroup("calendar", help="Import and export a year's holiday schedule (节假日安排) as JSON.")


@calendar_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def import_calendar(path: str) -> None:
    """Enter the schedule in a JSON file (the format of docs/deployment.md), as an administrator would on the
    calendar page; a file with any problem is refused whole, naming its line."""
    with open(path, "rb") as file:
        raw = file.read(holidays.FILE_LIMIT + 1)
    try:
        entered = holidays.import_schedule(None, raw, source="command")
        db.session.commit()
    except WorkflowError as exc:
        db.session.rollback()
        raise click.ClickException(f"{path}: {exc}") from exc
    year = entered.entry.year
    if not entered.changed:
        click.echo(f"{year}: the schedule in force is the same; nothing changed")
        return
    click.echo(f"{year}: schedule entered; {entered.recounted} open cases' deadlines recounted")


@calendar_cli.command("export")
@click.argument("year", type=int)
@click.option("-o", "--output", "path", required=True, type=click.Path(dir_okay=False, writable=True))
def export_calendar(year: int, path: str) -> None:
    """Write the schedule in force for YEAR as JSON, for another township to import."""
    data = holidays.export_schedule(year)
    if data is None:
        raise click.ClickException(f"no holiday schedule of {year} is known")
    with open(path, "w", encoding="utf-8") as file:
        file.write(holidays.schedule_json(data))
    click.echo(f"{year}: written to {path}")


attachments_cli = AppGroup("attachments", help="Look after the stored photos and agreements.")


@attachments_cli.command("prune")
def prune_attachments() -> None:
    """Remove the stored files no attachment names (of refused or rolled-back actions), untouched for an hour."""
    click.echo(f"removed {attachments.prune_orphans()} files no attachment names")


def init_app(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(attachments_cli)  # attachments prune
    app.cli.add_command(calendar_cli)
    app.cli.add_command(demo_data_command)  # demo-data
    init_jobs_cli(app)  # poll, scheduler
    app.cli.add_command(notify_send_command)  # notify-send
    init_stats_cli(app)  # export-month, yearly-summary

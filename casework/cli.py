"""Flask commands: `flask --app wsgi <command>`."""

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from . import people
from .extensions import db
from .models import ROLES, Village
from .workflow import WorkflowError

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


def init_app(app: Flask) -> None:
    app.cli.add_command(users_cli)
    from .demo import demo_data_command

    app.cli.add_command(demo_data_command)  # demo-data
    from .jobs import init_cli as init_jobs_cli

    init_jobs_cli(app)  # poll, scheduler
    from .stats.cli import init_app as init_stats_cli

    init_stats_cli(app)  # export-month, yearly-summary

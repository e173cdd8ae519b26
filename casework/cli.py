"""Flask commands: `flask --app wsgi <command>`."""

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from .extensions import db
from .models import ROLES, User, Village

users_cli = AppGroup("users", help="Manage user accounts.")


@users_cli.command("create")
@click.argument("username")
@click.option("--name", required=True, help="The person's name as shown in Casework.")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--village", "villages", multiple=True, help="A village a cadre serves (repeatable).")
def create_user(username: str, name: str, role: str, password: str, villages: tuple[str, ...]) -> None:
    """Create a user (e.g. the first admin on a new installation)."""
    if db.session.scalar(select(User).where(User.username == username)):
        raise click.ClickException(f"user {username} already exists")
    user = User(username=username, name=name, role=role)
    user.set_password(password)
    for village_name in villages:
        village = db.session.scalar(select(Village).where(Village.name == village_name))
        if village is None:
            raise click.ClickException(f"no village named {village_name}")
        user.villages.append(village)
    db.session.add(user)
    db.session.commit()
    click.echo(f"created {role} {username}")


def init_app(app: Flask) -> None:
    app.cli.add_command(users_cli)

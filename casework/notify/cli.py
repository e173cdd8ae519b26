"""`flask --app wsgi notify-send`: send the channels' outbox once, as the scheduler's sender job does."""

import click
from flask.cli import with_appcontext

from .outbox import send_due


@click.command("notify-send")
@with_appcontext
def notify_send_command() -> None:
    """Send the notifications due to Web Push, the group robots and SMS now, and print what happened."""
    counts = send_due()
    done = f"sent {counts.sent}, retrying {counts.retrying}, failed {counts.failed}"
    taken = f"taken back {counts.reclaimed}, finished by another sender {counts.overtaken}"
    click.echo(f"{done}, left for the next run {counts.waiting}, {taken}")

"""`flask --app wsgi demo-data [--orders N] [--if-empty] [--months M] [--seed S] [--logins-file PATH]`.

Without --orders: the demo township (township.py) and fourteen months of its cases (story.py), loaded into an
empty database; the logins are printed and kept in instance/demo-logins.txt, mode 600 (logins.py).
--orders N: N more generated orders, fast, for benchmarks (bulk.py); on an empty database the township first.
--if-empty: on a database that holds data already, load nothing and show the logins again.
"""

import time
from datetime import datetime
from pathlib import Path

import click
from sqlalchemy import func, select

from ..extensions import db
from ..models import Case, User, Village, utcnow
from .arrivals import MONTHS
from .bulk import add_orders
from .logins import default_logins_file, mark_demo_accounts, write_logins
from .story import load_township
from .township import has_township


@click.command("demo-data")
@click.option("--orders", type=click.IntRange(min=1), default=None, help="Add N generated orders fast (benchmarks).")
@click.option("--if-empty", is_flag=True, help="Load only into an empty database; otherwise show the logins again.")
@click.option("--months", type=click.IntRange(1, 36), default=MONTHS, show_default=True, help="Months of history.")
@click.option("--seed", type=int, default=20261130, show_default=True, help="Random seed (same seed, same data).")
@click.option("--logins-file", type=click.Path(dir_okay=False), default=None, help="Default: instance/demo-logins.txt")
def demo_data_command(orders: int | None, if_empty: bool, months: int, seed: int, logins_file: str | None) -> None:
    """Load the demo township with fourteen months of history, or add N orders for benchmarks."""
    logins = Path(logins_file) if logins_file else default_logins_file()
    now = utcnow().replace(second=0, microsecond=0)
    if database_is_empty():
        _load(logins, seed, now, months)
    elif if_empty:
        _show_again(logins)
        return
    else:
        _check_orders_can_be_added(orders)
    if orders:
        add_orders(orders, seed=seed, now=now, echo=click.echo)


def _load(logins: Path, seed: int, now: datetime, months: int) -> None:
    """Load the township and its history, commit, and print the logins kept in `logins`."""
    started = time.perf_counter()
    passwords = load_township(seed=seed, now=now, months=months)
    db.session.commit()
    write_logins(logins, passwords)
    click.echo(logins.read_text())
    click.echo(f"Demo township loaded in {time.perf_counter() - started:.1f} s: {summary()}")


def _show_again(logins: Path) -> None:
    """A database loaded already: its demo accounts marked as such (if loaded before they were), the logins."""
    click.echo("The database already holds data; the demo township is not loaded again.")
    if marked := mark_demo_accounts(logins):
        click.echo("Marked as demo accounts (loaded before they were marked): " + ", ".join(marked))
    click.echo(logins.read_text() if logins.exists() else "(no demo logins file: " + str(logins) + ")")


def _check_orders_can_be_added(orders: int | None) -> None:
    """A database that holds data takes only --orders, and only with a township to assign them in."""
    if orders is None:
        raise click.ClickException("The database is not empty. demo-data loads into an empty database only.")
    if not has_township():
        raise click.ClickException("--orders needs villages with default cadres and a dispatcher.")


def database_is_empty() -> bool:
    return not any(db.session.scalar(select(func.count()).select_from(m)) for m in (User, Village, Case))


def summary() -> str:
    """The cases loaded, counted by kind and state."""
    rows = db.session.execute(select(Case.kind, Case.state, func.count()).group_by(Case.kind, Case.state)).all()
    return ", ".join(f"{kind} {state} {n}" for kind, state, n in sorted(rows))

"""The demo logins file: the township's usernames and passwords as `demo-data` prints them, kept readable
by its owner only; read again to show the logins and to mark the listed accounts as demo accounts."""

import os
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from werkzeug.security import check_password_hash

from config import Config

from ..extensions import db
from ..models import District, User


def default_logins_file() -> Path:
    """instance/demo-logins.txt for the instance's own database (what `make run` shows); a database
    elsewhere keeps its logins beside it, so that loading it never overwrites the instance's logins."""
    url = db.engine.url
    if url.render_as_string() == Config.SQLALCHEMY_DATABASE_URI or not (url.drivername == "sqlite" and url.database):
        return Path(current_app.instance_path) / "demo-logins.txt"
    return Path(f"{url.database}.demo-logins.txt")


def listed_logins(path: Path) -> dict[str, str]:
    """The usernames and passwords a logins file written by write_logins lists (none if there is no file)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()[2:]
    except (OSError, UnicodeDecodeError):
        return {}
    listed = {}
    for line in lines:
        parts = line.split()
        if len(parts) >= 2:
            listed[parts[0]] = parts[1]
    return listed


def mark_demo_accounts(logins: Path) -> list[str]:
    """Demo accounts loaded before migration 0012 have demo=False: the tour's admin would be forced into
    the second-factor setup. Mark as demo the users the logins file lists whose stored hash still matches
    the listed password (an account whose password was changed since is left as it is). Commits; the
    usernames marked."""
    listed = listed_logins(logins)
    if not listed:
        return []
    users = db.session.scalars(select(User).where(User.username.in_(listed), User.demo.is_(False)))
    marked = [user for user in users if _matches(user.password_hash, listed[user.username])]
    for user in marked:
        user.demo = True
    db.session.commit()
    return sorted(user.username for user in marked)


def _matches(password_hash: str | None, password: str) -> bool:
    try:
        return bool(password_hash) and check_password_hash(password_hash, password)
    except ValueError:  # a hash in a form werkzeug does not know: not the listed password
        return False


def write_logins(path: Path, passwords: list[tuple[User, str]]) -> None:
    """The demo logins, readable by the owner only (mode 600), created so from the start."""
    lines = ["Demo logins (also in " + str(path) + "):", f"  {'username':<14} {'password':<12} role        name"]
    mediated = {d.mediator_id: d.name for d in db.session.scalars(select(District))}
    for user, password in passwords:
        works = _works(user, mediated)
        lines.append(f"  {user.username:<14} {password:<12} {user.role:<11} {user.name} {works}".rstrip())
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    path.chmod(0o600)


def _works(user: User, mediated: dict[int, str]) -> str:
    """Where a cadre works: the villages served, or the mediation district, or the township centre."""
    if user.villages:
        return "、".join(v.name for v in user.villages)
    if user.id in mediated:
        return mediated[user.id] + "调解员"
    return "镇综治中心调解员" if user.role == "cadre" else ""

"""Casework: 12345 hotline orders and dispute cases for a township."""

import secrets
from pathlib import Path

from flask import Flask, current_app, request, session
from sqlalchemy import event
from sqlalchemy.engine import Engine

from config import INSTANCE_DIR, Config

from . import cli, display, errors, jobs, models, sessions, web
from .account.routes import bp as account_bp
from .admin.routes import bp as admin_bp
from .auth.routes import bp as auth_bp
from .auth.two_factor import bp as two_factor_bp
from .cases.routes import bp as cases_bp
from .clock import zone_name
from .disputes.routes import bp as disputes_bp
from .extensions import babel, csrf, db, init_database, login_manager, migrate
from .intake.routes import bp as intake_bp
from .notifications.routes import bp as notifications_bp
from .notify.routes import bp as notify_bp
from .runs.routes import bp as runs_bp
from .shell.routes import bp as shell_bp
from .stats.routes import bp as stats_bp

# Every page of Casework, by feature (DESIGN.md: one package per feature with its routes and forms).
BLUEPRINTS = (
    *(auth_bp, cases_bp, disputes_bp, admin_bp, runs_bp, stats_bp, intake_bp, account_bp, two_factor_bp),
    shell_bp,  # the installable app: manifest, service worker, offline page
    notify_bp,  # one's notification channels and devices; the deliveries that did not go
    notifications_bp,  # one's notifications: the list the bell leads to
)


def create_app(config: dict | None = None) -> Flask:
    """Build the app; `config` overrides the defaults (as in Flask's tutorial). Never migrates."""
    app = Flask(__name__, instance_path=str(INSTANCE_DIR), template_folder="../templates")
    app.config.from_object(Config)
    if config:
        app.config.update(config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))
    _init_extensions(app)
    _register_blueprints(app)
    web.init_app(app)  # every form field and query parameter cleaned as intake cleans
    display.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    jobs.init_app(app)  # the embedded scheduler, only when CASEWORK_SCHEDULER=embedded (never in tests)
    return app


def _instance_secret(instance: Path) -> str:
    """Generated once and kept in instance/, so sessions survive restarts and no key is in the code."""
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _init_extensions(app: Flask) -> None:
    db.init_app(app)
    init_database(app)  # how long to wait for a lock, and SQLite's write lock taken when a request may write
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale, timezone_selector=lambda: zone_name(app.config))
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    sessions.install(app)  # the cookie carries a random key; the session is a row of user_sessions

    @login_manager.user_loader
    def load_user(user_id: str):
        user = web.row_or_none(models.User, user_id)
        return user if user is not None and user.active else None


def _select_locale() -> str:
    chosen = session.get("locale") or request.args.get("lang")
    languages = current_app.config["LANGUAGES"]
    return chosen if chosen in languages else current_app.config["BABEL_DEFAULT_LOCALE"]


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """SQLite: WAL so readers never block the writer, foreign keys on (how long a writer waits for the
    lock is DATABASE_BUSY_TIMEOUT: extensions.init_database)."""
    if type(dbapi_connection).__module__ != "sqlite3":
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _register_blueprints(app: Flask) -> None:
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)

"""Fixtures in the style of Flask's tutorial: app, client, runner, auth, and factories; and the ones several
test files share (the Chinese app, people acting at once). Plain helpers are in helpers.py.

The schema comes from the real migrations, applied once per run:
- SQLite (default): migrated into a template file, copied afresh for every test.
- PostgreSQL: when CASEWORK_TEST_DATABASE_URL is set, migrated once; every test ends with TRUNCATE.
  A PostgreSQL run that cannot connect fails loudly; it is never skipped.
"""

import os
import shutil
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask_migrate import upgrade
from hypothesis import HealthCheck, settings
from playwright.sync_api import sync_playwright
from sqlalchemy import create_engine, text
from werkzeug.security import generate_password_hash

from casework import create_app
from casework.extensions import db
from casework.models import Case, District, User, Village
from tests.browser import PHONE, launch, log_in, open_page, save_screenshots
from tests.helpers import PASSWORD, TRANSLATIONS, Person, forget_loaded_catalogs
from tests.live import LiveServer
from tests.october import build_october
from tests.web_attack import build_township

PG_URL = os.environ.get("CASEWORK_TEST_DATABASE_URL")

# Property-based tests: "ci" (the default, used by make test and .ci/run) is bounded so that the whole
# run stays short on both databases; "thorough" is for hunting (HYPOTHESIS_PROFILE=thorough make test).
# No deadline: a shared 2-core machine makes timings noisy, and speed is measured in `make bench`.
_QUIET = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
settings.register_profile("ci", max_examples=40, deadline=None, suppress_health_check=_QUIET, derandomize=True)
settings.register_profile("thorough", max_examples=1000, deadline=None, suppress_health_check=_QUIET)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def _config(url: str, tmp) -> dict:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "test",
        "WTF_CSRF_ENABLED": False,
        "SCHEDULER": "off",
        "BABEL_DEFAULT_LOCALE": "en",  # tests read English msgids; test_i18n checks the Chinese catalog
        "INBOX_DIR": str(tmp / "inbox"),
        "EXPORT_DIR": str(tmp / "exports"),
        "UPLOAD_DIR": str(tmp / "uploads"),
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        # Admins log in through the form in many tests; the second factor's own tests require it (default: admin).
        "TWO_FACTOR_REQUIRED_ROLES": "",
    }


def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    except Exception as exc:  # noqa: BLE001 - any failure to reach PostgreSQL must stop the run
        pytest.exit(f"PostgreSQL pass asked for ({url}) but it failed: {exc}", returncode=3)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def database_template(tmp_path_factory):
    """Apply the migrations once; yield what each test's database starts from."""
    tmp = tmp_path_factory.mktemp("db")
    url = PG_URL or f"sqlite:///{tmp / 'template.db'}"
    if PG_URL:
        _reset_postgres(PG_URL)
    app = create_app(_config(url, tmp))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return url if PG_URL else tmp / "template.db"


@pytest.fixture
def app(database_template, tmp_path):
    if PG_URL:
        url = PG_URL
    else:
        shutil.copy(database_template, tmp_path / "test.db")
        url = f"sqlite:///{tmp_path / 'test.db'}"
    app = create_app(_config(url, tmp_path))
    with app.app_context():
        yield app
        leave_database()


def leave_database() -> None:
    """End a test's use of its database: on PostgreSQL empty every table for the next test."""
    db.session.remove()
    if PG_URL:
        tables = ", ".join(t.name for t in db.metadata.sorted_tables)
        with db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class AuthActions:
    """Logs in through the real login form."""

    def __init__(self, client):
        self._client = client

    def login(self, user_or_name, password: str = PASSWORD, next: str = ""):
        username = getattr(user_or_name, "username", user_or_name)
        return self._client.post("/login", data={"username": username, "password": password, "next": next})

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


_HASH = generate_password_hash(PASSWORD)  # hashed once: scrypt per user would slow every test


class Factory:
    """Makes rows with plausible defaults; every call commits so that views see them."""

    def __init__(self):
        self._seq = count(1)

    def n(self) -> int:
        return next(self._seq)

    def user(self, role: str, villages=(), name: str | None = None, **kw) -> User:
        i = self.n()
        user = User(
            username=kw.pop("username", f"{role}{i}"),
            name=name or f"{role}-{i}",
            role=role,
            password_hash=_HASH,
            villages=list(villages),
            **kw,
        )
        db.session.add(user)
        db.session.commit()
        return user

    def district(self, name: str | None = None, **kw) -> District:
        d = District(name=name or f"片区{self.n()}", **kw)
        db.session.add(d)
        db.session.commit()
        return d

    def village(self, name: str | None = None, **kw) -> Village:
        v = Village(name=name or f"村{self.n()}", **kw)
        db.session.add(v)
        db.session.commit()
        return v

    def order(self, village: Village | None = None, **kw) -> Case:
        i = self.n()
        fields = dict(
            kind="order",
            number=f"GD2026{i:06d}",
            state="received",
            received_at=datetime(2026, 10, 10, 1, 0, tzinfo=UTC) + timedelta(minutes=i),
            content=f"诉求内容{i}：路灯不亮",
            category="道路",
            request_type="求助",
            caller_name="张三",
            caller_phone="13812345678",
            village=village,
        )
        fields.update(kw)
        case = Case(**fields)
        db.session.add(case)
        db.session.commit()
        return case


@pytest.fixture
def make(app):
    return Factory()


class World:
    """A small township: two districts, three villages, a cadre each, and one of every other role."""

    def __init__(self, make: Factory):
        self.north, self.south = make.district("北片区"), make.district("南片区")
        self.v1 = make.village("东风村", district=self.north)
        self.v2 = make.village("红旗村", district=self.north)
        self.v3 = make.village("向阳村", district=self.south)
        self.cadre1 = make.user("cadre", [self.v1], name="李明", username="cadre1")
        self.cadre1b = make.user("cadre", [self.v1], name="李二", username="cadre1b")
        self.cadre2 = make.user("cadre", [self.v2], name="王芳", username="cadre2")
        self.cadre3 = make.user("cadre", [self.v3], name="赵强", username="cadre3")
        self.dispatcher = make.user("dispatcher", name="陈调度", username="dispatcher")
        self.leader = make.user("leader", name="刘书记", username="leader")
        self.admin = make.user("admin", name="系统管理员", username="admin")
        self.v1.default_cadre, self.v2.default_cadre, self.v3.default_cadre = self.cadre1, self.cadre2, self.cadre3
        self.north.mediator = self.cadre2
        db.session.commit()


@pytest.fixture
def world(make) -> World:
    return World(make)


@pytest.fixture
def english(client):
    """Messages in English, so that the assertions read the msgids whatever the zh_CN catalog says."""
    client.get("/lang/en")


@pytest.fixture(scope="session")
def compiled_catalogs(tmp_path_factory) -> Path:
    """The .po files compiled into a fresh directory, so a stale or missing .mo cannot hide a mistake."""
    out = tmp_path_factory.mktemp("translations")
    for po in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        mo = out / po.relative_to(TRANSLATIONS).with_suffix(".mo")
        mo.parent.mkdir(parents=True)
        with po.open("rb") as src:
            catalog = read_po(src)
        with mo.open("wb") as dst:
            write_mo(dst, catalog)
    return out


@pytest.fixture
def zh_app(app, compiled_catalogs):
    """The app as shipped, in Chinese, over catalogs compiled afresh from the .po files, on the same database."""
    config = {**app.config, "BABEL_DEFAULT_LOCALE": "zh_CN", "BABEL_TRANSLATION_DIRECTORIES": str(compiled_catalogs)}
    chinese = create_app(config)
    forget_loaded_catalogs()
    yield chinese
    forget_loaded_catalogs()
    with chinese.app_context():
        db.engine.dispose()


@pytest.fixture
def chinese_client(zh_app):
    """A client of the app as shipped: Chinese unless the user picks English."""
    return zh_app.test_client()


@pytest.fixture
def people(app):
    """Makes Persons (each at their own screen) and sends them away at the end of the test."""
    made: list[Person] = []

    def person() -> Person:
        made.append(Person(app))
        return made[-1]

    yield person
    for p in made:
        p.leave()


@pytest.fixture
def october(world):
    """The hand-counted October 2026 of tests/october.py; its cases by letter."""
    return build_october(world)


@pytest.fixture
def township(world, make):
    """The world with cases in every state the case page's forms act on, and rows to correct (web_attack.py)."""
    return build_township(world, make)


# --- browser tests (tests/browser.py): Debian's Chromium through Playwright, on a live server ------------

_OPEN_PAGES = pytest.StashKey[list]()


@pytest.fixture(scope="module")
def chromium():
    """One browser per test module (skipped without Chromium, a failure when CI is set)."""
    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture
def live_server(app):
    """The test's app served over real HTTP on a free port (tests/live.py)."""
    server = LiveServer(app)
    yield server
    server.stop()


@pytest.fixture
def open_window(chromium, live_server, request):
    """open_window(viewport, user=None) -> tests.browser.Watched: a window of its own (own cookies) at that
    size, on the live server, logged in through the real form when `user` is given. Closed after the test;
    a failed test's windows are saved as PNGs first (pytest_runtest_makereport below)."""
    contexts, pages = [], []
    request.node.stash[_OPEN_PAGES] = pages

    def open_(viewport=PHONE, user=None, **options):
        context = chromium.new_context(viewport=viewport, base_url=live_server.url, **options)
        contexts.append(context)
        watched = open_page(context)
        pages.append(watched.page)
        if user is not None:
            log_in(watched.page, live_server.url, user)
        return watched

    yield open_
    for context in contexts:
        context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed browser test leaves a screenshot of each window it had open in test-screenshots/."""
    report = yield
    pages = item.stash.get(_OPEN_PAGES, None)
    if report.when == "call" and report.failed and pages:
        saved = save_screenshots(item.nodeid, pages)
        report.sections.append(("screenshots", "\n".join(str(path) for path in saved) or "(none could be taken)"))
    return report


@pytest.fixture
def platform(app):
    """A fake 12345 platform (casework.demo.fake_platform) served over HTTP, the app's feed pointed at it. A test
    file that needs tickets or another platform defines its own `platform`, which takes precedence."""
    from casework.demo.fake_platform import FakePlatform, serving

    fake = FakePlatform(token="feed-token")
    with serving(fake) as url:
        app.config.update(FEED_URL=url, FEED_TOKEN=fake.token, FEED_TIMEOUT=5)
        yield fake

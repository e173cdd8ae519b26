"""The database cannot be reached: every reader gets a readable page in Chinese (503), never a bare
"Internal Server Error" in English or a traceback, logged in or not. The page itself needs no database.

The app that lost its database is a second app over a database that is gone, with the same secret key,
so that the session cookie of a user who logged in on the first one is still valid there.
"""

import pytest
from sqlalchemy import make_url

from casework import create_app
from casework.extensions import db
from tests.conftest import PG_URL
from tests.helpers import PASSWORD

UNAVAILABLE = "暂时无法连接数据库"


def gone_urls(tmp_path) -> dict[str, str]:
    urls = {
        "sqlite file that cannot be opened": f"sqlite:///{tmp_path / 'no-such-dir' / 'casework.db'}",
        "postgresql server that refuses": "postgresql+psycopg://postgres@127.0.0.1:1/casework",
    }
    if PG_URL:
        missing = make_url(PG_URL).set(database="casework_h4_no_such_database")
        urls["postgresql database that does not exist"] = missing.render_as_string(hide_password=False)
    return urls


@pytest.fixture(params=["sqlite file that cannot be opened", "postgresql server that refuses", "postgresql database"])
def lost(request, app, tmp_path):
    """A client of the app as it is once its database is gone, in the shipped language (Chinese)."""
    urls = gone_urls(tmp_path)
    name = next((key for key in urls if key.startswith(request.param)), None)
    if name is None:
        pytest.skip("needs PostgreSQL: set CASEWORK_TEST_DATABASE_URL")
    keys = ("TESTING", "SECRET_KEY", "WTF_CSRF_ENABLED", "SCHEDULER", "INBOX_DIR", "EXPORT_DIR")
    config = {key: app.config[key] for key in keys}
    config |= {"SQLALCHEMY_DATABASE_URI": urls[name], "BABEL_DEFAULT_LOCALE": "zh_CN", "SQLALCHEMY_ENGINE_OPTIONS": {}}
    gone = create_app(config)
    gone.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: what the reader sees, not a traceback
    yield gone.test_client()
    with gone.app_context():
        db.engine.dispose()


def logged_in(client, lost, user):
    """`lost` carrying the session cookie of `user`, logged in on the app while its database was there."""
    assert client.post("/login", data={"username": user.username, "password": PASSWORD}).status_code == 302
    lost.set_cookie("session", client.get_cookie("session").value)
    return lost


def readable_unavailable_page(r) -> str:
    page = r.get_data(as_text=True)
    assert r.status_code == 503, page[:300]
    assert UNAVAILABLE in page and "Traceback" not in page and "Internal Server Error" not in page
    return page


def test_a_logged_in_user_gets_a_chinese_page_when_the_database_is_gone(client, world, lost):
    readable_unavailable_page(logged_in(client, lost, world.dispatcher).get("/queue"))


def test_a_logged_in_users_form_keeps_its_typing_when_the_database_is_gone(client, world, lost):
    browser = logged_in(client, lost, world.cadre1)
    note = {"note-note": "已电话联系村民", "note-version": 1}
    page = readable_unavailable_page(browser.post("/cases/1/note", data=note))
    assert "已电话联系村民" in page


def test_logging_in_when_the_database_is_gone_gets_the_chinese_page(world, lost):
    readable_unavailable_page(lost.post("/login", data={"username": "dispatcher", "password": PASSWORD}))

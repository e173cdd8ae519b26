"""What goes wrong with the platform is said in the township's language: the replies' errors over real HTTP,
stored in the default locale (zh_CN as shipped) with the technical detail in brackets; the log stays English."""

import socket
from contextlib import contextmanager

import pytest
from sqlalchemy import select

from casework import create_app
from casework.demo.fake_platform import FakePlatform, generate_tickets, serving
from casework.extensions import db
from casework.intake import feed, outbox
from casework.intake.messages import step_error
from casework.intake.run import intake_run
from casework.models import Reply
from tests.helpers import forget_loaded_catalogs, login_through_form, resolved_order

TOKEN = "messages-token"


@pytest.fixture
def platform(app, world):
    fake = FakePlatform(generate_tickets(3, villages=("东风村",)), token=TOKEN)
    with serving(fake) as url:
        app.config.update(FEED_URL=url, FEED_TOKEN=TOKEN, FEED_TIMEOUT=5)
        fake.url = url
        yield fake


@pytest.fixture
def chinese(app, compiled_catalogs):
    """Enters the app as shipped, on the same database (its default locale zh_CN), with the feed as set now."""

    @contextmanager
    def enter():
        zh_app = create_app(
            {**app.config, "BABEL_DEFAULT_LOCALE": "zh_CN", "BABEL_TRANSLATION_DIRECTORIES": str(compiled_catalogs)}
        )
        forget_loaded_catalogs()
        try:
            with zh_app.app_context():
                yield zh_app
                db.session.remove()
                db.engine.dispose()
        finally:
            forget_loaded_catalogs()

    return enter


def free_port() -> int:
    with socket.socket() as s:  # free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def feed_failure() -> feed.FeedError:
    with pytest.raises(feed.FeedError) as caught:
        feed.fetch_page(feed.feed_client(), "", 10)
    return caught.value


def test_a_refused_connection_is_said_in_chinese_with_the_errno_text_in_brackets(app, chinese):
    app.config.update(FEED_URL=f"http://127.0.0.1:{free_port()}", FEED_TOKEN=TOKEN)

    with chinese():
        problem = feed_failure()
        text = problem.text()

    assert text.startswith("无法连接平台（GET /tickets：") and text.endswith("Connection refused）")
    assert str(problem).startswith("GET /tickets: cannot reach the platform (")  # the log, as it always read


@pytest.mark.parametrize(
    ("break_it", "chinese_text", "english"),
    [
        (lambda p: setattr(p, "fail_status", 503), "平台返回 HTTP 503（GET /tickets）", "answered HTTP 503"),
        (lambda p: setattr(p, "token", "other"), "平台返回 HTTP 401（GET /tickets）", "answered HTTP 401"),
        (lambda p: setattr(p, "bad_json", True), "平台的应答不是有效的 JSON（GET /tickets）", "not valid JSON"),
        (lambda p: p.tickets.insert(0, "text"), "平台的应答不是一页工单（GET /tickets）", "not a page of tickets"),
    ],
)
def test_what_the_platform_answers_wrong_is_said_in_chinese(platform, chinese, break_it, chinese_text, english):
    break_it(platform)

    with chinese():
        problem = feed_failure()
        text = problem.text()

    assert text == chinese_text
    assert english in str(problem)


def test_a_reply_the_platform_does_not_take_keeps_its_error_in_chinese(platform, make, world, chinese):
    order = resolved_order(make, world)
    platform.fail_status = 503

    with chinese():
        result = outbox.send_pending()
        run_says = result.not_delivered().text()

    error = db.session.scalar(select(Reply.last_error))
    assert error == f"平台返回 HTTP 503（POST /tickets/{order.number}/reply）"
    assert run_says == f"1 条答复未能报送，最近一次错误：{error}"
    assert str(result.not_delivered()) == (
        f"1 reply not delivered; last error: POST /tickets/{order.number}/reply: the platform answered HTTP 503"
    )


def test_the_replies_page_shows_the_error_in_chinese(app, make, world, chinese):
    resolved_order(make, world)
    app.config.update(FEED_URL=f"http://127.0.0.1:{free_port()}", FEED_TOKEN=TOKEN)

    with chinese() as zh_app:
        outbox.send_pending()
        client = zh_app.test_client()
        login_through_form(client, "dispatcher")
        page = client.get("/replies").get_data(as_text=True)

    assert "无法连接平台（POST /tickets/" in page
    assert "cannot reach the platform" not in page


def test_a_run_names_the_step_that_failed_in_chinese(platform, chinese):
    platform.fail_status = 500

    with chinese():
        feed_line = step_error("feed", feed_failure().render)
        replies_line = step_error("replies", "RuntimeError: disk full")

    assert feed_line == "平台接口：平台返回 HTTP 500（GET /tickets）"
    assert replies_line == "报送答复：RuntimeError: disk full"


def test_without_the_chinese_default_the_stored_errors_read_as_they_always_did(platform, make, world):
    order = resolved_order(make, world)
    platform.fail_status = 503

    outbox.send_pending()

    expected = f"POST /tickets/{order.number}/reply: the platform answered HTTP 503"
    assert db.session.scalar(select(Reply.last_error)) == expected


def test_a_run_records_what_failed_in_chinese(platform, make, world, chinese):
    order = resolved_order(make, world)
    platform.fail_status = 503

    with chinese():
        error = intake_run("manual").error

    assert error.splitlines() == [
        "平台接口：平台返回 HTTP 503（GET /tickets）",
        f"报送答复：1 条答复未能报送，最近一次错误：平台返回 HTTP 503（POST /tickets/{order.number}/reply）",
    ]

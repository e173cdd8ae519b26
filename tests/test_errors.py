"""Error pages: our own message for every status, in the reader's language, never Werkzeug's English."""

import io

import pytest
from flask import abort
from werkzeug.exceptions import default_exceptions

OURS = {
    400: "The request could not be understood.",
    403: "You may not do this.",
    404: "There is no such page, or it is not yours to see.",
    405: "This address cannot be used that way.",
    409: "This was changed meanwhile.",
    413: "What was sent is too large",
    422: "Some of what was entered cannot be accepted.",
    500: "Something went wrong on our side.",
}


@pytest.fixture
def failing(app):
    """/fail/<status> answers with that status as a bare abort, /fail/500 with an unexpected exception."""

    def fail(status: int):
        if status == 500:
            raise RuntimeError("a bug")
        abort(status)

    app.add_url_rule("/fail/<int:status>", view_func=fail)
    app.add_url_rule("/own-words", view_func=lambda: abort(400, description="The month must look like 2026-10."))
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: a bug is the 500 page, not a traceback
    return app.test_client()


def text(r) -> str:
    return r.get_data(as_text=True)


@pytest.mark.parametrize("status", sorted(OURS))
def test_every_handled_status_shows_our_message_not_werkzeugs(failing, status):
    r = failing.get(f"/fail/{status}")
    assert r.status_code == status
    assert OURS[status] in text(r)
    assert default_exceptions[status].description not in text(r).replace("&#39;", "'")


def test_a_message_our_code_gives_is_kept(failing):
    r = failing.get("/own-words")
    assert r.status_code == 400 and "The month must look like 2026-10." in text(r)


def test_opening_a_post_only_address_is_405_with_the_allowed_methods(world, auth, client):
    auth.login(world.dispatcher)
    r = client.get("/logout")
    assert r.status_code == 405
    assert "POST" in r.headers["Allow"]
    assert "This address cannot be used that way." in text(r)


def test_an_upload_over_the_limit_says_the_file_is_too_large_and_the_limit(app, world, auth, client):
    auth.login(world.dispatcher)
    # a form that takes files may carry its text's limit and room for its files: 1 MB + 10 x 0.1 MB here
    app.config.update(MAX_CONTENT_LENGTH=10**6, UPLOAD_MAX_BYTES=10**5, UPLOAD_MAX_FILES=9)
    data = {"content": "x", "attachment": (io.BytesIO(b"0" * 3 * 10**6), "photo.jpg")}
    r = client.post("/disputes/new", data=data, content_type="multipart/form-data")
    assert r.status_code == 413
    assert "The file is too large: at most 2 MB can be uploaded." in text(r)


def test_a_form_over_the_limit_says_what_was_sent_is_too_large_and_the_limit(app, world, auth, client):
    auth.login(world.dispatcher)
    app.config["MAX_CONTENT_LENGTH"] = 10**6
    r = client.post("/password", data={"current_password": "x" * 2 * 10**6})  # a form that takes no files
    assert r.status_code == 413
    assert "What was sent is too large: at most 1 MB." in text(r)


def test_a_text_part_over_the_form_memory_limit_is_413_with_that_limit(world, auth, client):
    auth.login(world.dispatcher)
    r = client.post("/disputes/new", data={"content": "x" * 600_000}, content_type="multipart/form-data")
    assert r.status_code == 413
    assert "What was sent is too large: at most 500 KB." in text(r)


# --- the session ended: what was typed comes back under its field's label --------------------------


def test_typing_kept_after_the_session_ended_is_shown_under_the_fields_labels(world, make, client):
    case = make.order(world.v1)  # not logged in: the page is the session's end, whatever the case's state
    data = {"callback-note": "来电人表示满意", "callback-solved": "yes", "callback-version": case.version}
    page = text(client.post(f"/cases/{case.id}/callback", data=data))
    assert "来电人表示满意" in page
    assert ">Note<" in page and "callback-note" not in page
    assert "yes" not in page.split("<main>", 1)[1]  # a choice is not typing: its raw value means nothing to the reader


def test_a_dispute_posted_after_the_session_ended_names_its_fields(world, client):
    data = {"content": "两户因排水沟发生争执", "parties-0-name": "王大山", "village": "3"}
    page = text(client.post("/disputes/new", data=data))
    assert ">Summary of the dispute<" in page and ">Name<" in page
    assert "parties-0-name" not in page and ">content<" not in page and ">Village<" not in page


def test_a_request_larger_than_the_configured_limit_is_refused_by_default(client, auth, world):
    auth.login(world.dispatcher)
    limit = client.application.config["MAX_CONTENT_LENGTH"]
    r = client.post("/password", data={"current_password": "x" * (limit + 1)})  # a form that takes no files
    assert r.status_code == 413

"""Ids no database row can have (huge, negative, not numbers) are a 404 or a 4xx, never a 500."""

import pytest

HUGE = "99999999999999999999"


@pytest.fixture
def admin_client(world, auth, client):
    auth.login(world.admin)
    return client


@pytest.fixture
def dispatcher_client(world, auth, client):
    auth.login(world.dispatcher)
    return client


@pytest.mark.parametrize("path", [f"/admin/users/{HUGE}", f"/admin/villages/{HUGE}", f"/admin/districts/{HUGE}"])
def test_admin_pages_of_impossible_ids_are_404(admin_client, path):
    assert admin_client.get(path).status_code == 404


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/admin/villages/new", {"name": "新村", "district": HUGE, "default_cadre": HUGE}),
        ("/admin/districts/new", {"name": "新片区", "mediator": HUGE}),
        (
            "/admin/users/new",
            {"username": "newcadre", "name": "新人", "role": "cadre", "password": "x" * 10, "villages": HUGE},
        ),
    ],
)
def test_admin_forms_with_impossible_ids_do_not_crash(admin_client, path, data):
    assert admin_client.post(path, data=data).status_code < 500


def test_a_runs_page_far_past_the_end_is_empty_not_an_error(dispatcher_client):
    assert dispatcher_client.get(f"/runs?page={HUGE}").status_code == 200


def test_confirming_impossible_reply_ids_marks_nothing(dispatcher_client):
    assert dispatcher_client.post("/replies/confirm", data={"reply_ids": [HUGE, "-1", "x"]}).status_code < 500


@pytest.mark.parametrize("path", [f"/intake/rejected/{HUGE}", f"/cases/{HUGE}"])
def test_other_pages_of_impossible_ids_are_404(dispatcher_client, path):
    assert dispatcher_client.get(path).status_code == 404


def test_a_dispute_in_an_impossible_village_is_refused(dispatcher_client):
    data = {"village": HUGE, "category": "邻里纠纷", "source": "来访", "content": "争执", "parties-0-name": "甲"}
    assert dispatcher_client.post("/disputes/new", data=data).status_code == 422

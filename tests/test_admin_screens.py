"""The admin screens: who may open them, and users, villages and districts made and changed through the forms."""

import re

import pytest
from sqlalchemy import select

from casework.extensions import db
from casework.models import District, User, Village
from tests.helpers import GOOD_PW


@pytest.fixture
def as_admin(world, auth, client):
    """The client logged in as the admin, reading English (the messages checked below are msgids)."""
    auth.login(world.admin)
    with client.session_transaction() as session:
        session["locale"] = "en"
    return client


ADMIN_PAGES = [
    "/admin/users",
    "/admin/users/new",
    "/admin/villages",
    "/admin/villages/new",
    "/admin/districts",
    "/admin/districts/new",
]


@pytest.mark.parametrize("role", ["dispatcher", "cadre1", "leader"])
def test_non_admins_get_403_on_every_admin_page_and_post(world, auth, client, role):
    auth.login(role)
    user_id, village_id, district_id = world.cadre2.id, world.v2.id, world.north.id
    for url in [*ADMIN_PAGES, f"/admin/users/{user_id}", f"/admin/villages/{village_id}"]:
        assert client.get(url).status_code == 403, url
    posts = {
        f"/admin/users/{user_id}": {"name": "x", "role": "cadre", "active": "y"},
        f"/admin/users/{user_id}/password": {"password": GOOD_PW},
        "/admin/users/new": {"username": "sneaky", "name": "x", "role": "admin", "password": GOOD_PW},
        f"/admin/villages/{village_id}": {"name": "x"},
        f"/admin/districts/{district_id}": {"name": "x"},
    }
    for url, data in posts.items():
        assert client.post(url, data=data).status_code == 403, url
    db.session.expire_all()
    assert db.session.scalar(select(User).where(User.username == "sneaky")) is None
    assert world.cadre2.name == "王芳"


def test_strangers_are_sent_to_log_in(world, client):
    r = client.get("/admin/users")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_admin_sees_every_page(world, as_admin, url):
    assert as_admin.get(url).status_code == 200


def test_admin_lands_on_the_users_list_with_roles_and_villages(world, auth, client):
    assert auth.login(world.admin).headers["Location"].endswith("/admin/users")
    page = client.get("/admin/users?lang=en").get_data(as_text=True)
    row = page[page.index("李明") : page.index("</tr>", page.index("李明"))]
    assert "Village cadre" in row and "东风村" in row and "Active" in row


def test_lists_show_default_cadre_district_and_mediator(world, as_admin):
    villages = as_admin.get("/admin/villages").get_data(as_text=True)
    assert "北片区" in villages and "赵强" in villages
    districts = as_admin.get("/admin/districts").get_data(as_text=True)
    assert "王芳" in districts and "东风村" in districts and "向阳村" in districts


def test_a_districts_page_names_its_villages_in_one_sentence(world, as_admin):
    page = as_admin.get(f"/admin/districts/{world.north.id}").get_data(as_text=True)
    assert "Villages in this district: 东风村、红旗村" in page


def test_admin_creates_a_cadre_through_the_form(world, as_admin):
    data = {"username": "zhou", "name": "周敏", "role": "cadre", "password": GOOD_PW, "villages": [world.v3.id]}
    r = as_admin.post("/admin/users/new", data=data)
    assert r.status_code == 302
    user = db.session.scalar(select(User).where(User.username == "zhou"))
    assert user.village_ids == {world.v3.id}
    assert "周敏" in as_admin.get(r.headers["Location"]).get_data(as_text=True)


def test_a_refused_form_answers_422_with_the_message_and_the_typing(world, as_admin):
    data = {"username": "cadre1", "name": "重名的人", "phone": "13700001111", "role": "leader", "password": GOOD_PW}
    r = as_admin.post("/admin/users/new", data=data)
    page = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "already taken" in page
    assert 'value="重名的人"' in page and 'value="13700001111"' in page and 'value="cadre1"' in page
    assert '<option selected value="leader">' in page


def test_a_garbled_choice_is_422_not_500(world, as_admin):
    r = as_admin.post(f"/admin/villages/{world.v1.id}", data={"name": "东风村", "district": "abc"})
    assert r.status_code == 422


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/admin/villages/new", {"district": 999}),
        ("/admin/villages/new", {"default_cadre": 999}),
        ("/admin/villages/{v1}", {"district": 999}),
        ("/admin/villages/{v1}", {"default_cadre": 999}),
        ("/admin/districts/new", {"mediator": 999}),
        ("/admin/districts/{north}", {"mediator": 999}),
        ("/admin/districts/{north}", {"mediator": 10**20}),
        ("/admin/users/new", {"username": "zhou", "role": "cadre", "password": GOOD_PW, "villages": [999]}),
        ("/admin/users/{cadre1}", {"role": "cadre", "active": "y", "villages": ["{v1}", 999]}),
    ],
    ids=lambda value: value if isinstance(value, str) else "-".join(value),
)
def test_a_choice_that_names_nothing_is_refused_at_its_field_with_the_typing_kept(world, as_admin, url, data):
    ids = {"v1": world.v1.id, "north": world.north.id, "cadre1": world.cadre1.id}
    if "villages" in data:
        data = data | {"villages": [str(v).format(**ids) for v in data["villages"]]}
    r = as_admin.post(url.format(**ids), data=data | {"name": "新写的名字"})
    page = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "This choice is not in the list; choose again." in page
    assert 'value="新写的名字"' in page
    db.session.expire_all()
    names = {name for model in (User, Village, District) for name in db.session.scalars(select(model.name))}
    assert "新写的名字" not in names


def test_after_an_unknown_default_cadre_a_new_villages_form_sends_none(world, as_admin):
    """A new village offers no cadre (the choice is a hidden field): the next submit must not repeat the 999."""
    page = as_admin.post("/admin/villages/new", data={"name": "五星村", "default_cadre": 999}).get_data(as_text=True)
    assert '<input type="hidden" name="default_cadre" value="0">' in page


def test_deactivating_from_the_screen_warns_about_what_is_left(world, auth, client, make):
    make.order(world.v2, state="assigned", assignee=world.cadre2)
    auth.login(world.admin)
    data = {"name": "王芳", "role": "cadre", "villages": [world.v2.id]}  # "active" unticked
    r = client.post(f"/admin/users/{world.cadre2.id}", data=data, follow_redirects=True)
    page = r.get_data(as_text=True)
    assert "红旗村" in page and "北片区" in page and "1 case is still assigned" in page
    db.session.expire_all()
    assert db.session.get(User, world.cadre2.id).active is False


def test_admin_deactivating_themself_on_screen_gets_422(world, as_admin):
    r = as_admin.post(f"/admin/users/{world.admin.id}", data={"name": "改了名字", "role": "admin"})
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and "deactivate yourself" in page and 'value="改了名字"' in page
    db.session.expire_all()
    assert db.session.get(User, world.admin.id).name == "系统管理员"


def test_admin_resets_a_password_on_screen(world, as_admin):
    url = f"/admin/users/{world.cadre1.id}/password"
    assert as_admin.post(url, data={"password": "short"}).status_code == 422
    assert as_admin.post(url, data={"password": "new-password"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, world.cadre1.id).check_password("new-password")


def test_edit_user_form_shows_the_person(world, as_admin):
    page = as_admin.get(f"/admin/users/{world.cadre1.id}").get_data(as_text=True)
    assert 'value="李明"' in page and '<option selected value="cadre">' in page
    assert f'<input checked id="villages-0" name="villages" type="checkbox" value="{world.v1.id}">' in page
    assert f'type="checkbox" value="{world.v2.id}">' in page


def test_unknown_ids_are_404(world, as_admin):
    for url in ("/admin/users/9999", "/admin/villages/9999", "/admin/districts/9999"):
        assert as_admin.get(url).status_code == 404


def test_admin_creates_and_edits_a_village_on_screen(world, as_admin):
    r = as_admin.post("/admin/villages/new", data={"name": "五星村", "aliases": "五星", "district": world.south.id})
    assert r.status_code == 302
    village = db.session.scalar(select(Village).where(Village.name == "五星村"))
    assert village.district_id == world.south.id
    r = as_admin.post(
        f"/admin/villages/{world.v1.id}",
        data={"name": "东风村", "aliases": "", "district": world.north.id, "default_cadre": world.cadre1b.id},
    )
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(Village, world.v1.id).default_cadre_id == world.cadre1b.id


def test_a_non_serving_default_cadre_on_screen_is_422_with_message(world, as_admin):
    data = {"name": "东风村", "aliases": "东风新", "district": world.north.id, "default_cadre": world.cadre3.id}
    r = as_admin.post(f"/admin/villages/{world.v1.id}", data=data)
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and "赵强 is not an active cadre serving this village" in page
    assert 'value="东风新"' in page


def test_village_form_offers_only_the_cadres_serving_it(world, as_admin):
    page = as_admin.get(f"/admin/villages/{world.v1.id}").get_data(as_text=True)
    assert "李二" in page and "王芳" not in page


def test_admin_creates_and_renames_a_district_on_screen(world, as_admin):
    r = as_admin.post("/admin/districts/new", data={"name": "西片区", "mediator": world.dispatcher.id})
    assert r.status_code == 302
    district = db.session.scalar(select(District).where(District.name == "西片区"))
    assert district.mediator_id == world.dispatcher.id
    r = as_admin.post(f"/admin/districts/{district.id}", data={"name": "北片区", "mediator": 0})
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and "already a district named “北片区”" in page and 'value="北片区"' in page


def test_with_csrf_on_admin_forms_need_their_token(world, as_admin, app):
    app.config["WTF_CSRF_ENABLED"] = True
    assert as_admin.post("/admin/districts/new", data={"name": "西片区"}).status_code == 400
    assert db.session.scalar(select(District).where(District.name == "西片区")) is None
    page = as_admin.get("/admin/districts/new").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    r = as_admin.post("/admin/districts/new", data={"name": "西片区", "csrf_token": token})
    assert r.status_code == 302
    assert db.session.scalar(select(District).where(District.name == "西片区")) is not None

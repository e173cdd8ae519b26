"""Administration: the people services' rules, the admin screens and `flask users create`."""

import re
import threading
import time

import pytest
from conftest import PASSWORD, PG_URL
from sqlalchemy import select, text

from casework import people
from casework.extensions import db
from casework.models import District, User, Village
from casework.refusals import Forbidden, InvalidInput

GOOD_PW = "long-enough"


def new_user(actor, **kw):
    fields = dict(username="newbie", name="新人", role="dispatcher", password=GOOD_PW)
    fields.update(kw)
    return people.create_user(actor, **fields)


def edit(actor, user, **kw):
    fields = dict(name=user.name, phone=user.phone, role=user.role, villages=list(user.villages), active=user.active)
    fields.update(kw)
    return people.update_user(actor, user, **fields)


def edit_village(actor, village, **kw):
    fields = dict(name=village.name, aliases=village.aliases, district=village.district)
    fields["default_cadre"] = village.default_cadre
    fields.update(kw)
    return people.update_village(actor, village, **fields)


def refused(field: str, call, *args, **kw) -> str:
    """Run a service that must refuse the input at `field`; return the message."""
    with pytest.raises(InvalidInput) as info:
        call(*args, **kw)
    assert info.value.field == field
    db.session.rollback()
    return str(info.value)


# --- permission ---------------------------------------------------------------------------------

SERVICES = {
    "create_user": lambda w, actor: new_user(actor),
    "update_user": lambda w, actor: edit(actor, w.cadre1, name="改名"),
    "reset_password": lambda w, actor: people.reset_password(actor, w.cadre1, GOOD_PW),
    "create_village": lambda w, actor: people.create_village(actor, name="新村"),
    "update_village": lambda w, actor: edit_village(actor, w.v1, name="改名村"),
    "create_district": lambda w, actor: people.create_district(actor, name="西片区"),
    "update_district": lambda w, actor: people.update_district(actor, w.north, name="改名片区", mediator=None),
}


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("role", ["dispatcher", "cadre", "leader"])
def test_only_admins_may_use_the_people_services(world, service, role):
    actor = {"dispatcher": world.dispatcher, "cadre": world.cadre1, "leader": world.leader}[role]
    with pytest.raises(Forbidden):
        SERVICES[service](world, actor)


@pytest.mark.parametrize("service", SERVICES)
def test_an_active_admin_may_use_every_people_service(world, service):
    SERVICES[service](world, world.admin)
    db.session.commit()


def test_a_deactivated_admin_may_not(world, make):
    former = make.user("admin", active=False)
    with pytest.raises(Forbidden):
        new_user(former)


# --- users --------------------------------------------------------------------------------------


def test_created_user_can_log_in_with_the_password(world, auth, client):
    new_user(world.admin, username="wang", password="correct-horse")
    db.session.commit()
    assert auth.login("wang", "correct-horse").status_code == 302
    assert client.get("/queue").headers["Location"] == "/password"  # set by an admin: changed first (issue 9)


def test_a_taken_username_is_refused_clearly(world):
    message = refused("username", new_user, world.admin, username="cadre1")
    assert "cadre1" in message and "taken" in message


def test_a_username_differing_only_in_case_is_taken(world):
    refused("username", new_user, world.admin, username="Cadre1")


@pytest.mark.parametrize("username", ["", "   ", "with space", "x" * 41])
def test_a_username_must_be_plain_and_short(world, username):
    refused("username", new_user, world.admin, username=username)


def test_the_role_must_be_one_of_the_four(world):
    refused("role", new_user, world.admin, role="superuser")


def test_the_password_needs_ten_characters(world):
    refused("password", new_user, world.admin, password="9chars!!!")
    assert new_user(world.admin, password="10chars!!!").check_password("10chars!!!")


def test_a_cadre_must_serve_a_village(world):
    refused("villages", new_user, world.admin, role="cadre", villages=[])
    cadre = new_user(world.admin, role="cadre", villages=[world.v1, world.v2])
    assert cadre.village_ids == {world.v1.id, world.v2.id}


def test_only_cadres_serve_villages(world):
    refused("villages", new_user, world.admin, role="dispatcher", villages=[world.v1])


def test_name_is_required_and_phone_is_digits(world):
    refused("name", new_user, world.admin, name="  ")
    refused("phone", new_user, world.admin, phone="call me")
    refused("phone", new_user, world.admin, phone="1" * 21)


def test_update_changes_the_person(world):
    edit(world.admin, world.cadre1, name="李明明", phone="13900001111", villages=[world.v1, world.v3])
    db.session.commit()
    db.session.expire_all()
    cadre = db.session.get(User, world.cadre1.id)
    assert (cadre.name, cadre.phone, cadre.village_ids) == ("李明明", "13900001111", {world.v1.id, world.v3.id})


def test_a_cadre_who_stops_serving_a_village_is_no_longer_its_default(world):
    vacated = edit(world.admin, world.cadre1, villages=[world.v2])
    db.session.commit()
    assert [v.name for v in vacated.villages] == ["东风村"]
    assert db.session.get(Village, world.v1.id).default_cadre_id is None


def test_keeping_the_village_keeps_the_default(world):
    vacated = edit(world.admin, world.cadre1, villages=[world.v1, world.v2])
    assert not vacated
    assert world.v1.default_cadre_id == world.cadre1.id


def test_deactivating_clears_default_and_mediator_and_counts_open_cases(world, make):
    make.order(world.v2, state="assigned", assignee=world.cadre2)
    vacated = edit(world.admin, world.cadre2, active=False)
    db.session.commit()
    assert [v.name for v in vacated.villages] == ["红旗村"]
    assert [d.name for d in vacated.districts] == ["北片区"]
    assert vacated.open_cases == 1
    assert world.v2.default_cadre_id is None and world.north.mediator_id is None


def test_a_cadre_turned_leader_may_no_longer_mediate_and_leaves_cases_to_reassign(world, make):
    make.order(world.v2, state="assigned", assignee=world.cadre2)
    vacated = edit(world.admin, world.cadre2, role="leader", villages=[])
    assert world.north.mediator_id is None and vacated.districts == [world.north]
    assert vacated.open_cases == 1


def test_a_mere_rename_reports_nothing_left(world, make):
    make.order(world.v2, state="assigned", assignee=world.cadre2)
    assert not edit(world.admin, world.cadre2, name="王芳芳")


def test_deactivated_people_cannot_log_in_but_are_kept(world, auth):
    edit(world.admin, world.cadre3, active=False)
    db.session.commit()
    assert auth.login(world.cadre3).status_code == 401
    assert db.session.get(User, world.cadre3.id) is not None


def test_an_admin_cannot_deactivate_themself(world, make):
    make.user("admin")  # another admin exists: the rule is about oneself
    message = refused("active", edit, world.admin, world.admin, active=False)
    assert "yourself" in message


def test_the_last_active_admin_stays_an_admin(world):
    message = refused("role", edit, world.admin, world.admin, role="dispatcher")
    assert "last active administrator" in message
    refused("active", edit, None, world.admin, active=False)


def test_an_admin_may_step_down_when_another_remains(world, make):
    make.user("admin")
    edit(world.admin, world.admin, role="dispatcher")
    assert world.admin.role == "dispatcher"


def test_a_deactivated_admin_does_not_count_as_remaining(world, make):
    make.user("admin", active=False)
    refused("role", edit, world.admin, world.admin, role="leader")


def _wait_until_another_connection_waits_for_a_lock(timeout: float = 10.0) -> None:
    query = text(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        " AND datname = current_database() AND pid <> pg_backend_pid()"
    )
    deadline = time.monotonic() + timeout
    with db.engine.connect() as watcher:
        while watcher.execute(query).scalar() == 0:
            assert time.monotonic() < deadline, "the second admin never waited for the first"
            watcher.rollback()  # pg_stat_activity is read once per transaction: a new one sees the thread arrive
            time.sleep(0.02)


@pytest.mark.skipif(not PG_URL, reason="row locks need PostgreSQL and two real connections")
def test_two_admins_deactivating_each_other_at_once_leave_one_active(world, make, app):
    other = make.user("admin", name="二号管理员")
    first_id, other_id = world.admin.id, other.id
    edit(world.admin, other, active=False)  # not committed yet: holds the admins' rows
    outcome = {}

    def other_deactivates_first():
        with app.app_context():
            try:
                edit(db.session.get(User, other_id), db.session.get(User, first_id), active=False)
                db.session.commit()
                outcome["refused"] = None
            except InvalidInput as exc:
                outcome["refused"] = exc.field
            finally:
                db.session.remove()

    thread = threading.Thread(target=other_deactivates_first)
    thread.start()
    _wait_until_another_connection_waits_for_a_lock()
    db.session.commit()
    thread.join(timeout=30)
    assert outcome == {"refused": "active"}
    db.session.expire_all()
    assert db.session.scalars(select(User.id).where(User.role == "admin", User.active)).all() == [first_id]


def test_reset_password_replaces_the_old_one(world, auth):
    people.reset_password(world.admin, world.cadre1, "brand-new-pw")
    db.session.commit()
    assert auth.login(world.cadre1, PASSWORD).status_code == 401
    assert auth.login(world.cadre1, "brand-new-pw").status_code == 302


def test_reset_password_needs_ten_characters(world):
    refused("password", people.reset_password, world.admin, world.cadre1, "short")


# --- villages -----------------------------------------------------------------------------------


def test_create_village_cleans_its_aliases(world):
    village = people.create_village(
        world.admin, name="五星村", aliases=" 五星， 五星村委会、五星,五星村 ", district=world.south
    )
    db.session.commit()
    assert village.aliases == "五星,五星村委会"
    assert village.district_id == world.south.id


def test_a_village_name_is_unique(world):
    message = refused("name", people.create_village, world.admin, name="东风村")
    assert "东风村" in message
    refused("name", edit_village, world.admin, world.v2, name="东风村")


def test_a_village_keeps_its_own_name_on_update(world):
    edit_village(world.admin, world.v1, aliases="东风")
    assert world.v1.aliases == "东风"


def test_an_alias_may_not_name_another_village(world):
    edit_village(world.admin, world.v1, aliases="东风")
    db.session.commit()
    message = refused("aliases", people.create_village, world.admin, name="东方村", aliases="东风")
    assert "东风村" in message
    refused("aliases", people.create_village, world.admin, name="东方村", aliases="红旗村")
    refused("name", people.create_village, world.admin, name="东风")


LONG_ALIASES = ",".join(f"别名{i:03d}甲甲甲甲" for i in range(21))  # 209 characters, none repeated


def test_aliases_are_at_most_200_characters(world):
    refused(
        "aliases",
        people.create_village,
        world.admin,
        name="长村",
        aliases=",".join(f"别名{i:03d}甲甲甲甲" for i in range(21)),
    )


def test_default_cadre_must_serve_the_village(world):
    message = refused("default_cadre", edit_village, world.admin, world.v1, default_cadre=world.cadre2)
    assert "王芳" in message


def test_default_cadre_must_be_an_active_cadre(world, make):
    retired = make.user("cadre", [world.v1], active=False)
    refused("default_cadre", edit_village, world.admin, world.v1, default_cadre=retired)
    refused("default_cadre", edit_village, world.admin, world.v1, default_cadre=world.dispatcher)


def test_default_cadre_can_change_to_another_serving_cadre_or_none(world):
    edit_village(world.admin, world.v1, default_cadre=world.cadre1b)
    assert world.v1.default_cadre_id == world.cadre1b.id
    edit_village(world.admin, world.v1, default_cadre=None)
    assert world.v1.default_cadre_id is None


def test_a_new_village_has_no_one_to_be_its_default_cadre(world):
    refused("default_cadre", people.create_village, world.admin, name="新村", default_cadre=world.cadre1)


# --- districts ----------------------------------------------------------------------------------


def test_a_district_name_is_unique_and_required(world):
    refused("name", people.create_district, world.admin, name="南片区")
    refused("name", people.update_district, world.admin, world.north, name="南片区", mediator=None)
    refused("name", people.create_district, world.admin, name="")


def test_mediator_is_an_active_cadre_or_dispatcher(world, make):
    district = people.create_district(world.admin, name="西片区", mediator=world.dispatcher)
    assert district.mediator_id == world.dispatcher.id
    people.update_district(world.admin, district, name="西片区", mediator=world.cadre3)
    assert district.mediator_id == world.cadre3.id
    message = refused("mediator", people.create_district, world.admin, name="东片区", mediator=world.leader)
    assert "刘书记" in message
    retired = make.user("cadre", [world.v1], active=False)
    refused("mediator", people.create_district, world.admin, name="东片区", mediator=retired)


# --- screens ------------------------------------------------------------------------------------


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


# --- the command line ---------------------------------------------------------------------------


def users_create(runner, *args):
    return runner.invoke(args=["users", "create", *args])


def test_cli_creates_the_first_admin(app, runner, auth):
    r = users_create(runner, "root", "--name", "管理员", "--role", "admin", "--password", GOOD_PW)
    assert r.exit_code == 0, r.output
    assert auth.login("root", GOOD_PW).headers["Location"].endswith("/admin/users")


def test_cli_creates_a_cadre_with_villages(world, runner):
    r = users_create(runner, "zhou", "--name", "周", "--role", "cadre", "--password", GOOD_PW, "--village", "向阳村")
    assert r.exit_code == 0, r.output
    assert db.session.scalar(select(User).where(User.username == "zhou")).village_ids == {world.v3.id}


def test_cli_refuses_a_duplicate_username_clearly(world, runner):
    r = users_create(runner, "admin", "--name", "又一个", "--role", "admin", "--password", GOOD_PW)
    assert r.exit_code != 0
    assert "“admin” is already taken" in r.output
    assert db.session.scalar(select(User).where(User.name == "又一个")) is None


def test_cli_applies_the_same_rules_as_the_screens(world, runner):
    short = users_create(runner, "a1", "--name", "甲", "--role", "admin", "--password", "short")
    assert short.exit_code != 0 and "at least 10" in short.output
    common = users_create(runner, "a2", "--name", "甲", "--role", "admin", "--password", "qwertyuiop")
    assert common.exit_code != 0 and "common" in common.output
    no_village = users_create(runner, "c1", "--name", "乙", "--role", "cadre", "--password", GOOD_PW)
    assert no_village.exit_code != 0 and "villages" in no_village.output
    unknown = users_create(
        runner, "c2", "--name", "丙", "--role", "cadre", "--password", GOOD_PW, "--village", "无此村"
    )
    assert unknown.exit_code != 0 and "no village named 无" in unknown.output

"""The people services for users: only an active admin may use them, and the rules a user's fields follow."""

import threading
import time

import pytest
from sqlalchemy import select, text

from casework import people
from casework.extensions import db
from casework.models import User, Village
from casework.refusals import Forbidden, InvalidInput
from tests.conftest import PG_URL
from tests.helpers import GOOD_PW, PASSWORD, edit_village, refused


def new_user(actor, **kw):
    fields = dict(username="newbie", name="新人", role="dispatcher", password=GOOD_PW)
    fields.update(kw)
    return people.create_user(actor, **fields)


def edit(actor, user, **kw):
    fields = dict(name=user.name, phone=user.phone, role=user.role, villages=list(user.villages), active=user.active)
    fields.update(kw)
    return people.update_user(actor, user, **fields)


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

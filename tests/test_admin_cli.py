"""`flask users create`: the first admin and other users made from the command line, by the screens' rules."""

from sqlalchemy import select

from casework.extensions import db
from casework.models import User
from tests.helpers import GOOD_PW


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

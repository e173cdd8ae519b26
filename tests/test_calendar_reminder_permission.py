"""Who is reminded that next year's holiday schedule is still to be entered: administrators, who enter it, and
dispatchers, whose deadlines it moves."""

import pytest
from flask_login import AnonymousUserMixin

from casework import permissions as perm
from casework.extensions import db


@pytest.mark.parametrize(
    ("role", "reminded"), [("admin", True), ("dispatcher", True), ("leader", False), ("cadre1", False)]
)
def test_admins_and_dispatchers_see_the_calendar_reminder(world, role, reminded):
    assert perm.can_see_calendar_reminder(getattr(world, role)) is reminded


def test_an_inactive_admin_and_a_stranger_do_not(world):
    world.admin.active = False
    db.session.flush()
    assert not perm.can_see_calendar_reminder(world.admin)
    assert not perm.can_see_calendar_reminder(AnonymousUserMixin())

"""The second factor (issue 9, item 4): enrolment, codes within one 30-second step, never twice, recovery
codes used once, an admin's reset, roles that require it. Codes are computed with pyotp, as an app does."""

import re

import pyotp
import pytest
from sqlalchemy import select

from casework import audit, second_factor
from casework.extensions import db
from casework.models import AuthEvent, RecoveryCode, utcnow
from casework.refusals import Forbidden, InvalidInput
from casework.second_factor import WrongCode
from config import Config
from tests.helpers import HERE, STEP, enrolled, login_as


def kinds_of(user) -> list[str]:
    return list(db.session.scalars(select(AuthEvent.kind).where(AuthEvent.user_id == user.id).order_by(AuthEvent.id)))


# --- enrolment ---------------------------------------------------------------------------------------


def test_enrolment_shows_the_key_and_a_qr_code_drawn_here(world):
    setup = second_factor.start(world.cadre1)
    assert re.fullmatch(r"[A-Z2-7]{32}", setup.secret)
    assert setup.uri.startswith("otpauth://totp/") and f"secret={setup.secret}" in setup.uri
    assert (
        setup.svg.startswith("<svg")
        and "<path" in setup.svg
        and "http" not in setup.svg.replace("http://www.w3.org/2000/svg", "")
    )
    assert not second_factor.is_enrolled(world.cadre1)  # not until a code confirms it


def test_enrolment_with_the_apps_code_turns_it_on_with_ten_recovery_codes_stored_hashed(world):
    setup = second_factor.start(world.cadre1)
    codes = second_factor.enrol(world.cadre1, pyotp.TOTP(setup.secret).now(), HERE)
    db.session.commit()
    assert second_factor.is_enrolled(world.cadre1) and len(set(codes)) == 10
    stored = db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == world.cadre1.id)).all()
    assert len(stored) == 10
    assert not any(code.replace("-", "") in h or code in h for code in codes for h in stored)
    assert kinds_of(world.cadre1) == [audit.TOTP_ENROLLED]


def test_enrolment_refuses_a_wrong_code_and_stays_off(world):
    setup = second_factor.start(world.cadre1)
    wrong = f"{(int(pyotp.TOTP(setup.secret).now()) + 1) % 1_000_000:06d}"
    with pytest.raises(InvalidInput):
        second_factor.enrol(world.cadre1, wrong, HERE)
    assert not second_factor.is_enrolled(world.cadre1)


def test_a_second_enrolment_is_refused_while_one_is_on(world):
    enrolled(world.cadre1)
    with pytest.raises(InvalidInput):
        second_factor.start(world.cadre1)


# --- codes ---------------------------------------------------------------------------------------------


def test_the_code_of_now_is_accepted_and_recorded(world):
    app, _ = enrolled(world.cadre1)
    assert second_factor.verify(world.cadre1, app.now(), HERE) == "totp"
    assert kinds_of(world.cadre1)[-1] == audit.TOTP_ACCEPTED


@pytest.mark.parametrize("steps", [-1, 1])
def test_the_code_of_the_step_before_or_after_is_accepted(world, steps):
    app, _ = enrolled(world.cadre1)
    now = utcnow()
    assert second_factor.verify(world.cadre1, app.at(now + steps * STEP), HERE, now=now) == "totp"


@pytest.mark.parametrize("steps", [-2, 2])
def test_the_code_of_two_steps_away_is_refused_as_a_failure(world, steps):
    app, _ = enrolled(world.cadre1)
    now = utcnow()
    with pytest.raises(WrongCode):
        second_factor.verify(world.cadre1, app.at(now + steps * STEP), HERE, now=now)
    assert kinds_of(world.cadre1)[-1] == audit.TOTP_FAILURE


def test_a_code_is_never_accepted_twice(world):
    app, _ = enrolled(world.cadre1)
    code = app.now()
    second_factor.verify(world.cadre1, code, HERE)
    db.session.commit()
    with pytest.raises(WrongCode, match="used already"):
        second_factor.verify(world.cadre1, code, HERE)


def test_an_older_code_is_refused_once_a_newer_one_was_accepted(world):
    app, _ = enrolled(world.cadre1)
    now = utcnow()
    second_factor.verify(world.cadre1, app.at(now), HERE, now=now)
    db.session.commit()
    with pytest.raises(WrongCode, match="used already"):
        second_factor.verify(world.cadre1, app.at(now - STEP), HERE, now=now)


def test_the_code_that_confirmed_the_enrolment_does_not_log_in(world):
    setup = second_factor.start(world.cadre1)
    code = pyotp.TOTP(setup.secret).now()
    second_factor.enrol(world.cadre1, code, HERE)
    db.session.commit()
    with pytest.raises(WrongCode, match="used already"):
        second_factor.verify(world.cadre1, code, HERE)


def test_the_code_may_be_typed_with_a_space_as_apps_show_it(world):
    app, _ = enrolled(world.cadre1)
    code = app.now()
    assert second_factor.verify(world.cadre1, f" {code[:3]} {code[3:]} ", HERE) == "totp"


@pytest.mark.parametrize("typed", ["", "abcdef", "１２３４５６", "1234567", "\x00" * 6, "9" * 400])
def test_text_that_is_no_code_is_a_wrong_code(world, typed):
    enrolled(world.cadre1)
    with pytest.raises(WrongCode):
        second_factor.verify(world.cadre1, typed, HERE)


# --- recovery codes ------------------------------------------------------------------------------------


def test_a_recovery_code_logs_in_once_then_is_refused(world):
    _, codes = enrolled(world.cadre1)
    assert second_factor.verify(world.cadre1, codes[3], HERE) == "recovery"
    db.session.commit()
    assert kinds_of(world.cadre1)[-1] == audit.RECOVERY_USED
    assert second_factor.recovery_codes_left(world.cadre1) == 9
    with pytest.raises(WrongCode):
        second_factor.verify(world.cadre1, codes[3], HERE)
    assert second_factor.verify(world.cadre1, codes[4].upper().replace("-", " "), HERE) == "recovery"


# --- reset and required roles ----------------------------------------------------------------------------


def test_an_admin_reset_removes_the_key_and_codes_and_is_recorded_with_the_admin(world):
    enrolled(world.cadre1)
    second_factor.reset(world.admin, world.cadre1, HERE)
    db.session.commit()
    assert not second_factor.is_enrolled(world.cadre1) and world.cadre1.totp_secret is None
    assert second_factor.recovery_codes_left(world.cadre1) == 0
    event = db.session.scalars(select(AuthEvent).where(AuthEvent.kind == audit.TOTP_RESET)).one()
    assert (event.user_id, event.actor_id) == (world.cadre1.id, world.admin.id)
    assert second_factor.login_step(world.cadre1) is None  # a cadre: the password alone again


def test_only_an_admin_resets_another_persons_second_factor(world):
    enrolled(world.cadre1)
    with pytest.raises(Forbidden):
        second_factor.reset(world.dispatcher, world.cadre1, HERE)


def test_admins_must_have_a_second_factor_by_default():
    assert Config.TWO_FACTOR_REQUIRED_ROLES == "admin"  # the tests' app config says "" (conftest)


def test_the_login_step_follows_the_required_roles_and_spares_demo_accounts(world, make, app):
    app.config["TWO_FACTOR_REQUIRED_ROLES"] = "admin"
    assert second_factor.login_step(world.admin) == "enrol"
    assert second_factor.login_step(world.cadre1) is None  # others may, and need not
    assert second_factor.login_step(make.user("admin", demo=True)) is None
    enrolled(world.cadre1)
    assert second_factor.login_step(world.cadre1) == "code"
    app.config["TWO_FACTOR_REQUIRED_ROLES"] = "cadre, leader"
    assert second_factor.login_step(world.admin) is None
    assert second_factor.login_step(world.leader) == "enrol"


# --- the account page -------------------------------------------------------------------------------------


def test_a_user_turns_on_the_second_factor_from_their_account_page(world, client):
    login_as(client, world.cadre1)
    page = client.get("/account/two-factor")
    assert page.status_code == 200 and "/account/two-factor/start" in page.get_data(as_text=True)
    assert client.post("/account/two-factor/start").status_code == 302
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "<svg" in page and page.count("<script") == page.count("<script src=")  # no inline script (CSP)
    key = re.search(r'<code class="key">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")
    assert client.post("/account/two-factor/confirm", data={"code": "000000"}).status_code == 422
    shown = client.post("/account/two-factor/confirm", data={"code": pyotp.TOTP(key).now()})
    codes = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", shown.get_data(as_text=True))
    assert shown.status_code == 200 and len(codes) == 10
    db.session.refresh(world.cadre1)
    assert second_factor.is_enrolled(world.cadre1)
    assert "9 recovery codes" not in client.get("/account/two-factor").get_data(as_text=True)
    assert "10 recovery codes left" in client.get("/account/two-factor").get_data(as_text=True)


def test_an_admin_resets_a_second_factor_from_the_users_page(world, client):
    enrolled(world.cadre1)
    login_as(client, world.admin)
    page = client.get(f"/admin/users/{world.cadre1.id}").get_data(as_text=True)
    assert f"/admin/users/{world.cadre1.id}/two-factor/reset" in page
    assert client.post(f"/admin/users/{world.cadre1.id}/two-factor/reset").status_code == 302
    db.session.refresh(world.cadre1)
    assert not second_factor.is_enrolled(world.cadre1)
    assert kinds_of(world.cadre1)[-1] == audit.TOTP_RESET

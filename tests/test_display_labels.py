"""Words on the case screens in Chinese: the domain's own, the same as the statistics and exports use."""

from datetime import timedelta

import pytest

from casework import display
from casework.models import utcnow
from casework.stats.definitions import TIER_NAMES
from tests.helpers import login_as


def test_in_chinese_the_tiers_are_named_as_the_exports_name_them(zh_app):
    with zh_app.test_request_context():
        assert {k: str(v) for k, v in display.TIER_LABELS.items()} == TIER_NAMES


@pytest.mark.parametrize("tier", ["village", "district", "centre"])
def test_a_disputes_page_names_its_tier_in_the_domains_words(zh_app, world, make, tier):
    dispute = make.order(world.v1, kind="dispute", number="JF2026-00009", tier=tier, category="邻里纠纷")
    client = zh_app.test_client()
    with zh_app.app_context():
        login_as(client, world.dispatcher)
    page = client.get(f"/cases/{dispute.id}").get_data(as_text=True)
    assert TIER_NAMES[tier] in page
    assert "村调委会" not in page


def test_in_chinese_the_queue_says_how_long_an_acknowledgement_is_overdue(zh_app, world, make):
    make.order(world.v1, number="GD2026000777", ack_due_at=utcnow() - timedelta(hours=1, minutes=5, seconds=1))
    client = zh_app.test_client()
    with zh_app.app_context():
        login_as(client, world.dispatcher)
    page = client.get("/queue").get_data(as_text=True)
    assert "签收超时1小时 5分钟" in page and "签收超时</label>" in page.replace(" ", "")


def test_in_chinese_an_order_reopened_three_times_is_a_problem_order(zh_app, world, make):
    case = make.order(world.v1, number="GD2026000778", state="assigned", assignee=world.cadre1, reopen_count=3)
    client = zh_app.test_client()
    with zh_app.app_context():
        login_as(client, world.dispatcher)
    assert 'title="已重办3次">问题工单</span>' in client.get(f"/cases/{case.id}").get_data(as_text=True)


def test_in_chinese_refusals_name_the_action_in_words_and_a_second_tap_is_told_it_is_done(zh_app, world, make):
    case = make.order(world.v1, state="assigned", assignee=world.cadre1)
    client = zh_app.test_client()
    with zh_app.app_context():
        login_as(client, world.dispatcher)
    refused = client.post(f"/cases/{case.id}/assign", data={"assign-assignee": world.cadre1.id, "assign-version": 1})
    assert "此件当前状态下不能执行“派单”。" in refused.get_data(as_text=True)
    with zh_app.app_context():
        login_as(client, world.cadre1)
    tap = {"resolve-result": "已修好", "resolve-version": 1}
    client.post(f"/cases/{case.id}/resolve", data=tap)
    again = client.post(f"/cases/{case.id}/resolve", data=tap, follow_redirects=True)
    assert "您已办结此件。" in again.get_data(as_text=True)

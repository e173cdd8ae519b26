"""Statistics pages and downloads: who may see and download them, bad input, the leaders' dashboard."""

import io
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook

from casework import workflow as wf
from casework.extensions import db
from casework.stats.dashboard import dashboard, overdue_by_village


@pytest.mark.parametrize("who", ["dispatcher", "leader", "admin"])
def test_readers_see_the_month_page(client, auth, world, october, who):
    auth.login(getattr(world, who))
    response = client.get("/stats/month?month=2026-10")
    assert response.status_code == 200
    assert "东风村" in response.get_data(as_text=True)


def test_a_cadre_may_not_read_statistics(client, auth, world):
    auth.login(world.cadre1)
    for url in ("/stats/", "/stats/month?month=2026-10", "/stats/year?year=2026", "/stats/month/2026-10.xlsx"):
        assert client.get(url).status_code == 403, url


def test_anonymous_visitors_are_sent_to_the_login(client):
    response = client.get("/stats/month/2026-10.csv")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("who, status", [("dispatcher", 200), ("leader", 200), ("admin", 403), ("cadre1", 403)])
def test_only_dispatchers_and_leaders_download(client, auth, world, who, status):
    auth.login(getattr(world, who))
    assert client.get("/stats/month/2026-10.json").status_code == status
    assert client.get("/stats/year/2026.docx").status_code == status


def test_the_download_button_is_shown_to_those_who_may_download(client, auth, world):
    auth.login(world.admin)
    assert "/stats/month/2026-10.xlsx" not in client.get("/stats/month?month=2026-10").get_data(as_text=True)
    auth.logout()
    auth.login(world.leader)
    assert "/stats/month/2026-10.xlsx" in client.get("/stats/month?month=2026-10").get_data(as_text=True)


def test_the_xlsx_download_opens_with_the_figures(client, auth, world, october):
    auth.login(world.dispatcher)
    response = client.get("/stats/month/2026-10.xlsx")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.data), read_only=True)
    overview = {r[0]: r[1] for r in wb["概览"].iter_rows(values_only=True) if len(r) > 1 and r[0]}
    assert overview["受理工单"] == 3


def test_the_csv_download_has_a_bom(client, auth, world, october):
    auth.login(world.leader)
    response = client.get("/stats/month/2026-10.csv")
    assert response.data.startswith(b"\xef\xbb\xbf") and response.mimetype == "text/csv"


@pytest.mark.parametrize("url", ["/stats/month/2026-13.xlsx", "/stats/month/abc.csv", "/stats/month?month=2026-00"])
def test_a_bad_month_is_a_400_with_the_reason(client, auth, world, url):
    auth.login(world.dispatcher)
    response = client.get(url)
    assert response.status_code == 400
    assert "Not a month" in response.get_data(as_text=True)


def test_a_bad_year_or_format_is_a_4xx(client, auth, world):
    auth.login(world.leader)
    assert client.get("/stats/year?year=abcd").status_code == 400
    assert client.get("/stats/year/2026.pdf").status_code == 404
    assert client.get("/stats/month/2026-10.pdf").status_code == 404


def test_the_year_page_shows_the_report_sentences(client, auth, world, october):
    auth.login(world.leader)
    page = client.get("/stats/year?year=2026").get_data(as_text=True)
    assert "今年共处理“12345”热线来访3件" in page
    assert "全年累计化解矛盾纠纷1起" in page


def test_leaders_land_on_the_dashboard(client, auth, world):
    response = auth.login(world.leader)
    assert response.headers["Location"].endswith("/stats/")


def test_the_dashboard_draws_its_charts_inline(client, auth, world, october):
    auth.login(world.leader)
    page = client.get("/stats/").get_data(as_text=True)
    assert page.split("<main>", 1)[1].count("<svg") == 2  # the page's own, not the header's bell
    assert '<script src="http' not in page and "cdn" not in page.lower()


def test_the_dashboard_compares_this_month_with_last_month_and_a_year_ago(world, october):
    board = dashboard(now=datetime(2026, 11, 15, 4, tzinfo=UTC))
    assert [str(m) for m in board.months] == ["2026-11", "2026-10", "2025-11"]
    assert [c["received"] for c in board.orders] == [1, 3, 0]
    assert [str(m) for m, _ in board.trend][0] == "2025-12" and len(board.trend) == 12
    assert board.trend[-2][1]["resolved"] == 3


def test_villages_with_the_most_overdue_orders_come_first(world, make):
    now = datetime(2026, 11, 15, tzinfo=UTC)
    for village, n in ((world.v2, 3), (world.v1, 1)):
        for _ in range(n):
            make.order(village, due_at=now - timedelta(days=1))
    done = make.order(world.v3, due_at=now - timedelta(days=1))
    wf.assign(done, world.dispatcher, assignee=world.cadre3)
    wf.resolve(done, world.cadre3, result="好了")
    make.order(world.v3, due_at=now + timedelta(days=1))
    db.session.commit()
    assert overdue_by_village(now) == [("红旗村", 3), ("东风村", 1)]


def test_a_bad_year_says_how_to_write_one_and_never_echoes_markup(client, auth, world):
    auth.login(world.leader)
    response = client.get("/stats/year", query_string={"year": "<b>20x6</b>"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Not a year" in page and "e.g. 2026" in page
    assert "<b>20x6</b>" not in page and "&lt;b&gt;20x6&lt;/b&gt;" in page


def test_the_month_page_offers_a_month_picker_holding_the_month_shown(client, auth, world):
    auth.login(world.leader)
    page = client.get("/stats/month?month=2026-03").get_data(as_text=True)
    assert '<input type="month" name="month" value="2026-03"' in page


def test_a_year_out_of_range_is_refused_with_the_range(client, auth, world):
    auth.login(world.leader)
    page = client.get("/stats/year?year=1999").get_data(as_text=True)
    assert "Write a year from 2000 to 2100" in page

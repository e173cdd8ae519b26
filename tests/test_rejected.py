"""The rejected-rows screen: dispatchers see rows intake could not import, correct and re-import or dismiss."""

import re

import pytest
from sqlalchemy import select, update

from casework.clock import localtime
from casework.extensions import db
from casework.intake import rejected
from casework.intake.ingest import ingest
from casework.models import Case, CaseEvent, RejectedRow, utcnow
from casework.refusals import NotAllowed


def bad_row(**kw) -> dict:
    fields = {
        "order_no": "GD20260001",
        "received_at": "2026年3月5日 8时30分",
        "content": "",
        "caller_phone": "13812345678",
        "address": "红旗村",
        "line": 7,
    }
    fields.update(kw)
    return fields


@pytest.fixture
def row(app) -> RejectedRow:
    ingest([bad_row()], None, "export-0305.csv")
    db.session.commit()
    return db.session.scalar(select(RejectedRow))


def form_of(row: RejectedRow, **changes) -> dict:
    data = dict(row.raw)
    data.update(changes)
    return data


def test_dispatchers_see_the_open_rows_with_file_line_reason_and_fields(world, row, client, auth):
    auth.login(world.dispatcher)
    page = client.get("/intake/rejected").get_data(as_text=True)
    for text in ("export-0305.csv", "<td>7</td>", "The content is missing.", "GD20260001", "2026年3月5日 8时30分"):
        assert text in page


def test_the_nav_links_dispatchers_to_the_rejected_rows(world, client, auth):
    auth.login(world.dispatcher)
    page = client.get("/intake/rejected").get_data(as_text=True)
    nav = page[page.index("<nav>") : page.index("</nav>")]
    assert '<a href="/intake/rejected">' in nav


@pytest.mark.parametrize("role", ["cadre1", "leader", "admin"])
def test_other_roles_may_not_see_them(world, row, client, auth, role):
    auth.login(getattr(world, role))
    assert client.get("/intake/rejected").status_code == 403
    assert client.post(f"/intake/rejected/{row.id}", data=form_of(row, content="x")).status_code == 403
    assert row.status == "open"


def test_the_correction_form_shows_the_reason_under_its_field(world, row, client, auth):
    auth.login(world.dispatcher)
    page = client.get(f"/intake/rejected/{row.id}").get_data(as_text=True)
    assert 'value="GD20260001"' in page and "The content is missing." in page


def test_a_corrected_row_imports_through_the_same_checks(world, row, client, auth):
    auth.login(world.dispatcher)
    response = client.post(f"/intake/rejected/{row.id}", data=form_of(row, content="路灯坏了"))
    assert response.status_code == 302
    case = db.session.scalar(select(Case))
    assert (case.number, case.content, case.village_id) == ("GD20260001", "路灯坏了", world.v2.id)
    assert case.due_at is not None and case.ack_due_at is not None
    db.session.refresh(row)
    assert (row.status, row.case_id) == ("imported", case.id)
    event = db.session.scalar(select(CaseEvent))
    assert (event.action, event.actor_id, event.data["line"]) == ("receive", world.dispatcher.id, 7)
    assert response.headers["Location"].endswith(f"/cases/{case.id}")


def test_a_correction_that_still_fails_is_a_422_with_the_typing_kept(world, row, client, auth):
    auth.login(world.dispatcher)
    response = client.post(f"/intake/rejected/{row.id}", data=form_of(row, content="新内容", received_at="三月五日"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The received time cannot be read." in page and "新内容" in page and "三月五日" in page
    assert db.session.scalar(select(Case)) is None and row.status == "open"


def test_a_number_already_imported_is_refused(world, row, make, client, auth):
    make.order(number="GD20260001")
    auth.login(world.dispatcher)
    response = client.post(f"/intake/rejected/{row.id}", data=form_of(row, content="x"))
    assert response.status_code == 422 and "already in Casework" in response.get_data(as_text=True)


def test_a_dismissed_row_leaves_the_list_but_stays_in_the_table(world, row, client, auth):
    auth.login(world.dispatcher)
    assert client.post(f"/intake/rejected/{row.id}/dismiss").status_code == 302
    db.session.refresh(row)
    assert row.status == "dismissed"
    assert "GD20260001" not in client.get("/intake/rejected").get_data(as_text=True)


def test_a_row_dealt_with_cannot_be_imported_again(world, row, client, auth):
    auth.login(world.dispatcher)
    client.post(f"/intake/rejected/{row.id}/dismiss")
    response = client.post(f"/intake/rejected/{row.id}", data=form_of(row, content="x"))
    assert response.status_code == 409
    assert db.session.scalar(select(Case)) is None


def test_an_unknown_row_is_a_404(world, client, auth):
    auth.login(world.dispatcher)
    assert client.get("/intake/rejected/99999").status_code == 404
    assert client.post("/intake/rejected/99999999999/dismiss").status_code == 404


def test_the_list_pages_by_id(world, app, client, auth):
    app.config["PAGE_SIZE"] = 2
    ingest([bad_row(order_no=f"ROW-NO-{i}", line=i) for i in range(5)], None, "f.csv")
    db.session.commit()
    auth.login(world.dispatcher)
    first = client.get("/intake/rejected").get_data(as_text=True)
    assert "ROW-NO-4" in first and "ROW-NO-3" in first and "ROW-NO-2" not in first
    newest = db.session.scalars(select(RejectedRow.id).order_by(RejectedRow.id.desc())).all()
    second = client.get(f"/intake/rejected?after={newest[1]}").get_data(as_text=True)
    assert "ROW-NO-2" in second and "ROW-NO-1" in second and "ROW-NO-4" not in second


# --- who decided, and when ----------------------------------------------------------------------


def test_dismissing_records_the_dispatcher_and_the_moment(world, row, client, auth):
    auth.login(world.dispatcher)
    before = utcnow()
    client.post(f"/intake/rejected/{row.id}/dismiss")
    db.session.refresh(row)
    assert (row.status, row.decided_by_id) == ("dismissed", world.dispatcher.id)
    assert before <= row.decided_at <= utcnow()


def test_reimporting_records_the_dispatcher_and_the_moment(world, row, client, auth):
    auth.login(world.dispatcher)
    before = utcnow()
    client.post(f"/intake/rejected/{row.id}", data=form_of(row, content="路灯坏了"))
    db.session.refresh(row)
    assert (row.status, row.decided_by_id) == ("imported", world.dispatcher.id)
    assert before <= row.decided_at <= utcnow()


def test_a_row_decided_meanwhile_by_someone_else_is_refused_and_keeps_their_name(world, row, make):
    other = make.user("dispatcher", name="周敏")
    assert row.status == "open"  # as this dispatcher loaded it; then the other one dismisses it
    meanwhile = update(RejectedRow).values(status="dismissed", decided_by_id=other.id)
    db.session.execute(meanwhile.execution_options(synchronize_session=False))
    with pytest.raises(NotAllowed):
        rejected.dismiss(row, world.dispatcher)
    db.session.refresh(row)
    assert (row.status, row.decided_by_id) == ("dismissed", other.id)


def test_the_decided_rows_show_what_was_decided_by_whom_and_when(world, row, make, client, auth):
    ingest([bad_row(order_no="GD20260002", line=8)], None, "export-0305.csv")
    db.session.commit()
    auth.login(world.dispatcher)
    client.post(f"/intake/rejected/{row.id}", data=form_of(row, content="路灯坏了"))
    second = db.session.scalar(select(RejectedRow).where(RejectedRow.status == "open"))
    client.post(f"/intake/rejected/{second.id}/dismiss")
    db.session.refresh(second)
    page = client.get("/intake/rejected?show=decided").get_data(as_text=True)
    decisions = re.findall(r"<td data-decision>(.*?)</td>", page, re.S)
    case = db.session.scalar(select(Case))
    assert "Dismissed" in decisions[0] and "Imported" in decisions[1] and f"/cases/{case.id}" in decisions[1]
    when = localtime(second.decided_at)
    assert all(f"by {world.dispatcher.name}, " in d for d in decisions) and when in decisions[0]
    assert "Correct" not in page.split("<tbody>")[1]  # nothing left to do on them
    assert "GD20260001" not in client.get("/intake/rejected").get_data(as_text=True)


def test_rows_decided_before_it_was_recorded_say_so(world, row, client, auth):
    db.session.execute(update(RejectedRow).values(status="dismissed"))
    db.session.commit()
    auth.login(world.dispatcher)
    page = client.get("/intake/rejected?show=decided").get_data(as_text=True)
    assert "before who and when were recorded" in page

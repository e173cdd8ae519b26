"""Photos over HTTP: sent with the case page's forms, shown in the history, served only to who may see the
case, refused with the typing kept (the platform's side: test_attachments_platform.py)."""

import hashlib
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image
from sqlalchemy import select

from casework import attachments, workflow
from casework.extensions import db
from casework.models import Attachment
from tests.helpers import case_in, dispute_form, login_as, photo


def post_action(client, case, action: str, files=(), **fields):
    data = {f"{action}-{k}": v for k, v in fields.items()} | {f"{action}-version": str(case.version)}
    data[f"{action}-photos"] = [(io.BytesIO(content), name) for name, content in files]
    return client.post(f"/cases/{case.id}/{action}", data=data, content_type="multipart/form-data")


def resolved_with_photo(client, make, world, **kw):
    case = case_in(make, world, "order", "assigned", **kw)
    login_as(client, world.cadre1)
    answer = post_action(client, case, "resolve", [("路面.jpg", photo(size=(800, 600)))], result="已修补路面")
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return case, db.session.scalars(select(Attachment)).one()


def test_a_cadre_resolves_with_a_photo_and_the_history_shows_its_thumbnail(client, make, world):
    case, row = resolved_with_photo(client, make, world)

    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    full, thumb = f"/cases/{case.id}/attachments/{row.id}", f"/cases/{case.id}/attachments/{row.id}/thumb"
    assert f'href="{full}"' in page and f'src="{thumb}"' in page
    image = client.get(full)
    assert (image.status_code, image.mimetype) == (200, "image/jpeg")
    assert image.headers["X-Content-Type-Options"] == "nosniff"
    assert image.headers["Content-Disposition"] == f"inline; filename={case.number}-{row.id}.jpg"
    assert set(image.headers["Cache-Control"].replace(" ", "").split(",")) == {"private", "no-store"}
    assert hashlib.sha256(image.data).hexdigest() == row.sha256
    small = client.get(thumb)
    assert (small.mimetype, Image.open(io.BytesIO(small.data)).size) == ("image/jpeg", (320, 240))


def test_another_villages_cadre_gets_404_for_the_file_and_the_thumb_and_a_leader_sees_them(client, make, world):
    case, row = resolved_with_photo(client, make, world)
    paths = [f"/cases/{case.id}/attachments/{row.id}", f"/cases/{case.id}/attachments/{row.id}/thumb"]

    login_as(client, world.cadre2)
    assert [client.get(p).status_code for p in paths] == [404, 404]
    assert client.get(f"/cases/{case.id}").status_code == 404  # as the case itself
    login_as(client, world.leader)
    assert [client.get(p).status_code for p in paths] == [200, 200]
    client.post("/logout")
    assert all(client.get(p).status_code == 302 for p in paths)  # to the login page


def test_a_file_is_served_only_under_its_own_case(client, make, world):
    case, row = resolved_with_photo(client, make, world)
    other = case_in(make, world, "order", "assigned")

    login_as(client, world.dispatcher)
    assert client.get(f"/cases/{other.id}/attachments/{row.id}").status_code == 404
    assert client.get(f"/cases/{case.id}/attachments/{row.id + 1}").status_code == 404
    assert client.get(f"/cases/{case.id}/attachments/99999999999999999999").status_code == 404


def test_a_pdf_agreement_is_downloaded_not_shown(client, make, world):
    dispute = case_in(make, world, "dispute", "assigned")
    login_as(client, world.cadre1)
    data = {
        "resolve-version": str(dispute.version),
        "resolve-result": "调解成功",
        "resolve-outcome": "settled",
        "resolve-agreement_terms": "赔偿500元",
        "resolve-agreement": (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "协议.pdf"),
    }
    assert client.post(f"/cases/{dispute.id}/resolve", data=data).status_code == 302
    row = db.session.scalars(select(Attachment)).one()

    answer = client.get(f"/cases/{dispute.id}/attachments/{row.id}")
    assert (answer.mimetype, answer.data) == ("application/pdf", b"%PDF-1.4\n%%EOF\n")
    assert answer.headers["Content-Disposition"].startswith("attachment;")
    assert client.get(f"/cases/{dispute.id}/attachments/{row.id}/thumb").status_code == 404


@pytest.mark.parametrize(
    ("files", "says"),
    [
        ([("notes.jpg", b"not a photo at all")], "“notes.jpg” is not a photo that can be read"),
        ([("cut.jpg", photo()[:300])], "“cut.jpg” is not a photo that can be read"),
        ([(f"{i}.jpg", photo()) for i in range(10)], "At most 9 files can be attached at once; 10 were chosen."),
    ],
)
def test_a_refused_upload_says_which_file_and_why_and_keeps_the_typing(client, make, world, english, files, says):
    case = case_in(make, world, "order", "assigned")
    login_as(client, world.cadre1)

    answer = post_action(client, case, "resolve", files, result="已派人清理，现场已恢复")

    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert says in page and "已派人清理，现场已恢复" in page
    assert "Choose the photos again" in page
    assert db.session.scalars(select(Attachment)).all() == [] and case.state == "assigned"


def test_a_file_over_the_limit_is_refused_at_its_field_and_a_request_over_all_limits_is_413(app, client, make, world):
    app.config.update(UPLOAD_MAX_BYTES=2000, MAX_CONTENT_LENGTH=50_000)
    case = case_in(make, world, "order", "assigned")
    login_as(client, world.cadre1)

    big = post_action(client, case, "note", [("big.jpg", b"\xff" * 2500)], note="现场照片")
    assert big.status_code == 422 and "“big.jpg” is larger than" in big.get_data(as_text=True)
    huge = post_action(client, case, "note", [("huge.jpg", b"\xff" * 80_000)], note="保密内容")
    assert huge.status_code == 413 and "保密内容" not in huge.get_data(as_text=True)
    assert client.post("/login", data={"username": "y" * 60_000}).status_code == 413  # others keep the small limit


def test_a_photo_required_category_refuses_a_resolve_without_one_over_http(app, client, make, world):
    app.config["PHOTO_REQUIRED_CATEGORIES"] = ("道路",)
    case = case_in(make, world, "order", "assigned", category="道路")
    login_as(client, world.cadre1)

    answer = post_action(client, case, "resolve", result="路面已修补")

    assert answer.status_code == 422
    assert "needs at least one photo" in answer.get_data(as_text=True)
    assert post_action(client, case, "resolve", [("a.webp", photo("WEBP"))], result="路面已修补").status_code == 302


def test_a_dispute_registered_with_a_photo_and_one_refused_keeping_the_summary(client, world):
    login_as(client, world.cadre1)
    form = dispute_form(world.v1, content="两户因排水沟堵塞争执")
    refused = client.post("/disputes/new", data=form | {"photos": [(io.BytesIO(b"<svg/>"), "x.png")]})
    assert refused.status_code == 422 and "两户因排水沟堵塞争执" in refused.get_data(as_text=True)

    assert client.post("/disputes/new", data=form | {"photos": [(io.BytesIO(photo()), "沟.jpg")]}).status_code == 302
    assert db.session.scalars(select(Attachment)).one().event.action == "register"


@given(content=st.binary(max_size=600))
def test_any_bytes_as_a_note_photo_are_never_a_server_error(client, make, world, content):
    case = case_in(make, world, "order", "received")
    login_as(client, world.dispatcher)

    answer = post_action(client, case, "note", [("x.jpg", content)], note="看看")

    assert answer.status_code in (302, 422)


def test_the_workflow_keeps_a_note_photo_visible_on_the_case_page(client, make, world):
    case = case_in(make, world, "dispute", "received")
    upload = attachments.photos([io.BytesIO(photo())])  # a stream without a name is a photo named "—"
    workflow.add_note(case, world.dispatcher, note="现场", attachments=upload)
    db.session.commit()
    login_as(client, world.dispatcher)

    assert "/attachments/" in client.get(f"/cases/{case.id}").get_data(as_text=True)


def test_the_replies_page_shows_a_waiting_reply_with_its_photo_and_no_other_cases(client, make, world):
    case, row = resolved_with_photo(client, make, world)
    other = case_in(make, world, "order", "assigned")
    assert post_action(client, other, "resolve", result="已答复").status_code == 302
    login_as(client, world.dispatcher)

    page = client.get("/replies").get_data(as_text=True)

    rows = {c.number: page.split(c.number, 1)[1].split("</tr>", 1)[0] for c in (case, other)}
    assert f'src="/cases/{case.id}/attachments/{row.id}/thumb"' in rows[case.number]
    assert f"/cases/{case.id}/" not in rows[other.number]

"""The photos of a resolution reach the platform over real HTTP: each uploaded to its upload endpoint (at most
1600 px, checked by its SHA-256) before the reply that names their ids; a photo missing or an upload refused
keeps the reply in the outbox with its error on the replies page."""

import csv
import hashlib
import io
import json
from datetime import UTC, datetime
from urllib.error import HTTPError
from urllib.request import Request, urlopen

from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import select

from casework import attachments, workflow
from casework.demo.fake_platform import FakePlatform, serving
from casework.extensions import db
from casework.intake import outbox
from casework.models import Attachment, Reply
from tests.helpers import case_in, login_as, photo

TOKEN = "feed-token"


def resolved_with(make, world, *images: bytes):
    case = case_in(make, world, "order", "assigned")
    uploads = attachments.photos([io.BytesIO(image) for image in images])
    workflow.resolve(case, world.cadre1, result="已修补路面", attachments=uploads)
    db.session.commit()
    return case, list(db.session.scalars(select(Attachment).order_by(Attachment.id)))


def stored(row: Attachment) -> bytes:
    return attachments.file_path(row.sha256, row.media_type).read_bytes()


def unsent_again() -> None:
    db.session.execute(Reply.__table__.update().values(sent_at=None))
    db.session.commit()


def reply_of(case) -> Reply:
    db.session.expire_all()
    return db.session.scalars(select(Reply).where(Reply.case_id == case.id)).one()


def test_a_small_photo_arrives_whole_as_stored_and_the_reply_names_its_upload(platform, make, world):
    case, [row] = resolved_with(make, world, photo(size=(800, 600)))

    assert outbox.send_pending().sent == 1

    [image] = platform.images[case.number]
    assert image["data"] == stored(row) and hashlib.sha256(image["data"]).hexdigest() == row.sha256
    assert image["media_type"] == "image/jpeg"
    assert platform.replies[case.number]["images"] == [row.sha256]
    assert platform.image_posts == [row.sha256]


def test_a_big_photo_goes_at_1600_pixels_derived_once_and_arrives_whole(platform, make, world):
    case, [row] = resolved_with(make, world, photo("PNG", size=(2400, 1800)))

    assert outbox.send_pending().sent == 1

    [image] = platform.images[case.number]
    assert Image.open(io.BytesIO(image["data"])).size == (1600, 1200)
    assert hashlib.sha256(image["data"]).hexdigest() == image["sha256"] != row.sha256
    assert image["media_type"] == "image/png"
    assert attachments.platform_copy(row.sha256, row.media_type) == image["data"]  # kept, the same bytes


def test_a_retried_reply_uploads_its_photos_again_and_the_platform_keeps_each_once(platform, make, world):
    case, rows = resolved_with(make, world, photo(size=(300, 200)), photo(size=(200, 300), color=(0, 90, 0)))
    platform.fail_uploads = 503  # the first attempt stops at the first photo
    assert outbox.send_pending().failed == 1
    platform.heal()
    assert outbox.send_pending().sent == 1
    unsent_again()  # as if our commit after the delivery was lost

    assert outbox.send_pending().sent == 1

    assert sorted(platform.image_posts) == sorted([r.sha256 for r in rows] * 2)
    assert len(platform.uploads) == 2
    assert [i["sha256"] for i in platform.images[case.number]] == [r.sha256 for r in rows]


def test_an_upload_refused_keeps_the_reply_in_the_outbox_with_the_error_shown(platform, make, world, client):
    case, _ = resolved_with(make, world, photo())
    platform.fail_uploads = 422

    result = outbox.send_pending()

    assert (result.sent, result.failed) == (0, 1)
    assert case.number not in platform.replies
    reply = reply_of(case)
    assert reply.sent_at is None and reply.attempts == 1 and "HTTP 422" in reply.last_error
    login_as(client, world.dispatcher)
    assert "HTTP 422" in client.get("/replies").get_data(as_text=True)


def test_a_photo_gone_from_the_store_holds_its_reply_back_and_not_the_others(platform, make, world, client):
    lost, [row] = resolved_with(make, world, photo(color=(1, 2, 3)))
    attachments.file_path(row.sha256, row.media_type).unlink()
    fine = case_in(make, world, "order", "assigned")
    workflow.resolve(fine, world.cadre1, result="已处理")
    db.session.commit()

    result = outbox.send_pending()

    assert (result.sent, result.failed) == (1, 1)
    assert lost.number not in platform.replies and fine.number in platform.replies
    assert platform.image_posts == []
    assert reply_of(lost).sent_at is None and row.sha256[:12] in reply_of(lost).last_error
    login_as(client, world.dispatcher)
    assert row.sha256[:12] in client.get("/replies").get_data(as_text=True)


def post(url: str, path: str, data: bytes, content_type: str, **headers) -> tuple[int, dict]:
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": content_type, **headers}
    try:
        with urlopen(Request(url + path, data=data, method="POST", headers=headers), timeout=5) as answer:
            return answer.status, json.loads(answer.read())
    except HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_the_fake_platform_refuses_bytes_not_of_their_sha256_and_a_reply_naming_an_unknown_id():
    platform, data = FakePlatform(token=TOKEN), photo()
    sha256 = hashlib.sha256(data).hexdigest()
    with serving(platform) as url:
        cut_short = post(url, "/images", data[:-10], "image/jpeg", **{"X-Content-SHA256": sha256})
        first = post(url, "/images", data, "image/jpeg", **{"X-Content-SHA256": sha256})
        again = post(url, "/images", data, "image/jpeg", **{"X-Content-SHA256": sha256})
        reply = {"result": "好", "resolved_at": "2026-11-30T15:40:00+08:00", "handler": "李明"}
        named = {"id": "img-unknown", "sha256": sha256, "content_type": "image/jpeg"}
        unknown = post(url, "/tickets/GD1/reply", json.dumps(reply | {"images": [named]}).encode(), "application/json")

    assert cut_short[0] == 422 and list(platform.uploads) == [first[1]["id"]]
    assert (first[0], again[0], again[1]["id"]) == (201, 200, first[1]["id"])
    assert unknown[0] == 422 and "GD1" not in platform.replies


# --- the exports that list cases say how many photos each has --------------------------------------


def test_the_replies_csv_says_how_many_photos_each_order_has(make, world, client):
    two, _ = resolved_with(make, world, photo(), photo(color=(0, 0, 9)))
    workflow.add_note(two, world.cadre1, note="", attachments=attachments.photos([io.BytesIO(photo(color=(7, 7, 7)))]))
    none = case_in(make, world, "order", "assigned")
    workflow.resolve(none, world.cadre1, result="已处理")
    db.session.commit()
    login_as(client, world.dispatcher)

    rows = list(csv.reader(io.StringIO(client.get("/replies.csv").data.decode("utf-8-sig"))))

    assert {row[0]: row[4] for row in rows[1:]} == {two.number: "3", none.number: "0"}


def test_the_months_order_list_counts_the_photos_attached_before_the_months_end(make, world, runner, tmp_path):
    october = make.order(world.v1, number="GD-PHOTO", received_at=datetime(2026, 10, 9, 2, tzinfo=UTC))
    uploads = attachments.photos([io.BytesIO(photo()), io.BytesIO(photo(color=(1, 1, 1)))])
    workflow.add_note(october, world.dispatcher, note="现场", attachments=uploads)
    make.order(world.v1, number="GD-NONE", received_at=datetime(2026, 10, 10, 2, tzinfo=UTC))
    db.session.commit()
    first, later = db.session.scalars(select(Attachment).order_by(Attachment.id))
    first.created_at, later.created_at = datetime(2026, 10, 20, tzinfo=UTC), datetime(2026, 11, 2, tzinfo=UTC)
    db.session.commit()
    path = tmp_path / "october.xlsx"

    assert runner.invoke(args=["export-month", "2026-10", "--format", "xlsx", "-o", str(path)]).exit_code == 0

    header, *orders = list(load_workbook(path)["本月工单清单"].iter_rows(min_row=2, values_only=True))
    assert header[-1] == "照片数"
    assert {row[0]: row[-1] for row in orders} == {"GD-PHOTO": 1, "GD-NONE": 0}

"""Photos and agreements checked, stripped and stored by their content (casework.attachments), and the
workflow's services keeping them with the event they came with. The pages and the files' route are in
test_attachments_web.py."""

import io
import os
import struct
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from casework import attachments, workflow
from casework.extensions import db
from casework.models import Attachment
from casework.refusals import InvalidInput
from tests.helpers import EXIF_IFD, GPS_IFD, case_in, photo


def upload(data: bytes, name: str = "IMG_0001.jpg") -> FileStorage:
    return FileStorage(io.BytesIO(data), filename=name)


def refusal(call, *args) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        call(*args)
    return caught.value


def stored_files(app) -> list[Path]:
    return sorted(p for p in Path(app.config["UPLOAD_DIR"]).rglob("*") if p.is_file())


def png_declaring(width: int, height: int) -> bytes:
    """A PNG whose header declares width x height, followed by a few bytes of image data (a decompression bomb)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    )


# --- checking -------------------------------------------------------------------------------------


def test_a_phone_photo_is_stored_upright_without_its_metadata_and_keeps_its_capture_time(app):
    sideways = photo(size=(64, 48), orientation=6, taken="2026:11:30 08:15:00", gps=True)

    [kept] = attachments.photos([upload(sideways)])

    stored = Image.open(io.BytesIO(kept.data))
    assert (stored.format, stored.size, (kept.width, kept.height)) == ("JPEG", (48, 64), (48, 64))
    r, g, b = stored.convert("RGB").getpixel((45, 2))  # orientation 6: the top-left corner turned to the top right
    assert b > 150 and r < 100, (r, g, b)
    exif = stored.getexif()
    assert not exif and not exif.get_ifd(GPS_IFD) and not exif.get_ifd(EXIF_IFD)
    assert not {"exif", "icc_profile", "xmp", "comment"} & set(stored.info)
    assert b"Exif" not in kept.data
    assert kept.captured_at == datetime(2026, 11, 30, 0, 15, tzinfo=UTC)  # 08:15 in Shanghai


def test_a_png_and_a_webp_are_known_by_their_content_not_their_name(app):
    png, webp = attachments.photos([upload(photo("PNG"), "a.jpg"), upload(photo("WEBP"), "b.gif")])

    assert (png.media_type, webp.media_type) == ("image/png", "image/webp")
    assert Image.open(io.BytesIO(png.data)).format == "PNG" and Image.open(io.BytesIO(webp.data)).format == "WEBP"
    assert Image.open(io.BytesIO(png.thumb)).format == "JPEG"


def test_a_photo_without_exif_has_no_capture_time_and_a_big_one_gets_a_small_thumbnail(app):
    [kept] = attachments.photos([upload(photo(size=(1200, 900)))])

    assert kept.captured_at is None
    assert Image.open(io.BytesIO(kept.thumb)).size == (320, 240)


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"just some text, not a photo\n", "notes.jpg"),
        (photo()[:300], "cut.jpg"),  # truncated in transit
        (b"GIF89a/*\x00\x00\x00\x00*/=alert(1)//", "polyglot.jpg"),  # a GIF that is also a script: no GIF taken
        (b"%PDF-1.4\n" + photo(), "agreement.jpg"),  # a PDF header before a JPEG: not a photo
        (png_declaring(100_000, 100_000), "bomb.png"),
        (png_declaring(8_000, 8_000), "large.png"),  # 64 million pixels: over UPLOAD_MAX_PIXELS, never decoded
        (b"\x00", "one-byte.jpg"),
        (b"", "empty.jpg"),
    ],
)
def test_what_is_no_readable_photo_is_refused_at_the_photos_field_naming_the_file(app, content, name):
    exc = refusal(attachments.photos, [upload(content, name)])

    assert exc.field == "photos" and exc.params["name"] == name
    assert exc.status == 422


def test_a_decompression_bomb_is_told_as_too_many_pixels(app):
    exc = refusal(attachments.photos, [upload(png_declaring(100_000, 100_000), "bomb.png")])

    assert exc.message == attachments.TOO_MANY_PIXELS


def test_trailing_bytes_after_a_real_photo_are_not_stored(app):
    polyglot = photo() + b"<html><script>alert(1)</script></html>PK\x03\x04"

    [kept] = attachments.photos([upload(polyglot)])

    assert b"<script>" not in kept.data and b"PK\x03\x04" not in kept.data


def test_more_files_than_the_limit_are_refused_before_any_is_read(app):
    files = [upload(photo(), f"{i}.jpg") for i in range(app.config["UPLOAD_MAX_FILES"] + 1)]

    exc = refusal(attachments.photos, files)

    assert (exc.message, exc.params) == (attachments.TOO_MANY_FILES, {"most": 9, "sent": 10})
    assert all(f.stream.tell() == 0 for f in files)


def test_nine_photos_and_an_agreement_are_ten_files_and_refused_together(app):
    nine = [upload(photo(), f"{i}.jpg") for i in range(9)]

    exc = refusal(attachments.photos_and_agreement, nine, upload(b"%PDF-1.4\n", "协议.pdf"))

    assert (exc.message, exc.params) == (attachments.TOO_MANY_FILES, {"most": 9, "sent": 10})
    kept = attachments.photos_and_agreement(nine[:8], upload(b"%PDF-1.4\n", "协议.pdf"))
    assert [u.agreement for u in kept] == [False] * 8 + [True]


def test_a_file_over_the_size_limit_is_refused_after_reading_one_byte_past_it(app):
    app.config["UPLOAD_MAX_BYTES"] = 1000
    big = upload(photo(size=(400, 400), color=(1, 2, 3)) + b"\0" * 2000, "big.jpg")

    exc = refusal(attachments.photos, [big])

    assert (exc.message, exc.params["name"]) == (attachments.TOO_BIG, "big.jpg")
    assert big.stream.tell() == 1001


@given(content=st.binary(max_size=2000))
def test_arbitrary_bytes_are_a_photo_or_a_refusal_never_an_error(app, content):
    try:
        kept = attachments.photos([upload(content)])
    except InvalidInput as exc:
        assert exc.field == "photos"
    else:
        assert Image.open(io.BytesIO(kept[0].data)).format in ("JPEG", "PNG", "WEBP")


def test_an_agreement_is_a_pdf_kept_as_sent_or_a_photo(app):
    pdf = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"

    [kept] = attachments.agreement(upload(pdf, "协议.pdf"))
    [scanned] = attachments.agreement(upload(photo(), "协议.jpg"))

    assert (kept.media_type, kept.data, kept.thumb) == ("application/pdf", pdf, None)
    assert scanned.media_type == "image/jpeg"
    assert refusal(attachments.agreement, upload(b"<html>", "a.pdf")).field == "agreement"


# --- keeping with the workflow ---------------------------------------------------------------------


def test_the_same_photo_twice_is_one_file_named_by_its_content_and_two_rows(app, make, world):
    case = case_in(make, world, "order", "assigned")
    for _ in range(2):
        workflow.add_note(case, world.cadre1, note="现场", attachments=attachments.photos([upload(photo())]))
        db.session.commit()

    rows = db.session.scalars(select(Attachment).order_by(Attachment.id)).all()
    assert len(rows) == 2 and rows[0].sha256 == rows[1].sha256 and rows[0].event_id != rows[1].event_id
    sha = rows[0].sha256
    folder = Path(app.config["UPLOAD_DIR"]) / sha[:2] / sha[2:4]
    assert stored_files(app) == [folder / f"{sha}.jpg", folder / f"{sha}.thumb.jpg"]
    assert attachments.file_path(sha, "image/jpeg").read_bytes() == attachments.photos([upload(photo())])[0].data


def test_a_note_may_be_only_photos_and_they_go_with_its_event(app, make, world):
    case = case_in(make, world, "dispute", "received")

    event = workflow.add_note(case, world.dispatcher, note=" ", attachments=attachments.photos([upload(photo())]))
    db.session.commit()

    [row] = db.session.scalars(select(Attachment)).all()
    assert (row.event_id, row.case_id, row.uploaded_by_id, row.original_name) == (
        event.id,
        case.id,
        world.dispatcher.id,
        "IMG_0001.jpg",
    )


def test_a_refused_resolution_keeps_no_row_though_its_file_may_stay(app, make, world):
    case = case_in(make, world, "order", "assigned")

    with pytest.raises(InvalidInput):
        workflow.resolve(case, world.cadre1, result="", attachments=attachments.photos([upload(photo())]))
    db.session.rollback()

    assert db.session.scalars(select(Attachment)).all() == []


@pytest.mark.parametrize(("category", "refused"), [("道路", True), ("供水", False)])
def test_a_category_that_requires_a_photo_is_not_resolved_without_one(app, make, world, category, refused):
    app.config["PHOTO_REQUIRED_CATEGORIES"] = ("道路", "环境卫生")
    case = case_in(make, world, "order", "assigned", category=category)

    if refused:
        exc = refusal(lambda: workflow.resolve(case, world.cadre1, result="已修"))
        assert (exc.field, exc.params) == ("photos", {"category": "道路"})
        db.session.rollback()
    workflow.resolve(case, world.cadre1, result="已修", attachments=attachments.photos([upload(photo())]))
    db.session.commit()
    assert case.state == "resolved"


def test_a_pdf_goes_only_with_a_settled_disputes_agreement(app, make, world):
    pdf = attachments.agreement(upload(b"%PDF-1.4\n%%EOF\n", "协议.pdf"))
    order = case_in(make, world, "order", "assigned")
    dispute = case_in(make, world, "dispute", "assigned")

    assert refusal(lambda: workflow.resolve(order, world.cadre1, result="已办", attachments=pdf)).field == "agreement"
    db.session.rollback()
    workflow.resolve(
        dispute, world.cadre1, result="调解成功", outcome="settled", agreement_terms="赔偿500元", attachments=pdf
    )
    db.session.commit()

    [row] = db.session.scalars(select(Attachment)).all()
    assert (row.media_type, row.case_id) == ("application/pdf", dispute.id)
    assert attachments.file_path(row.sha256, row.media_type).read_bytes() == b"%PDF-1.4\n%%EOF\n"


def test_an_order_or_an_unsettled_dispute_refuses_even_a_photo_in_the_agreement_field(app, make, world):
    order, dispute = case_in(make, world, "order", "assigned"), case_in(make, world, "dispute", "assigned")
    paper = attachments.agreement(upload(photo(), "协议.jpg"))

    assert refusal(lambda: workflow.resolve(order, world.cadre1, result="已办", attachments=paper)).field == "agreement"
    db.session.rollback()
    failed = {"outcome": "failed", "failure_route": "诉讼", "attachments": paper}
    assert refusal(lambda: workflow.resolve(dispute, world.cadre1, result="未成", **failed)).field == "agreement"
    db.session.rollback()
    workflow.resolve(
        dispute, world.cadre1, result="调解成功", outcome="settled", agreement_terms="赔偿", attachments=paper
    )
    db.session.commit()
    assert db.session.scalars(select(Attachment.case_id)).all() == [dispute.id]


def test_a_dispute_registered_with_photos_keeps_them_with_its_registration(app, world):
    dispute = workflow.register_dispute(
        world.cadre1,
        village=world.v1,
        category="邻里纠纷",
        source="群众来访",
        content="邻居漏水",
        parties=[{"name": "张三"}],
        attachments=attachments.photos([upload(photo("PNG"), "漏水.png")]),
    )
    db.session.commit()

    [row] = db.session.scalars(select(Attachment)).all()
    assert (row.case_id, row.event.action, row.media_type) == (dispute.id, "register", "image/png")


def test_the_exif_time_is_read_as_the_townships_local_time(app):
    app.config["TIMEZONE"] = "Asia/Urumqi"  # UTC+6

    [kept] = attachments.photos([upload(photo(taken="2026:01:02 10:00:00"))])

    assert kept.captured_at == datetime(2026, 1, 2, 4, 0, tzinfo=UTC)


def test_prune_removes_old_files_no_row_names_and_keeps_named_recent_and_rewritten_ones(app, make, world, runner):
    case = case_in(make, world, "order", "received")
    named, orphan, recent, again = (attachments.photos([upload(photo(color=(60 * i, 90, 0)))])[0] for i in range(4))
    workflow.add_note(case, world.dispatcher, note="", attachments=[named])
    db.session.commit()
    for u in (orphan, recent, again):
        attachments._write(u)
    temporary = attachments.file_path(orphan.sha256, orphan.media_type).with_name(".upload-abandoned")
    temporary.write_bytes(b"half")
    hours_ago = datetime.now(UTC).timestamp() - 7200
    for path in stored_files(app):
        if recent.sha256 not in path.name:
            os.utime(path, (hours_ago, hours_ago))
    attachments._write(again)  # the same bytes uploaded again, its row not yet committed

    output = runner.invoke(args=["attachments", "prune"]).output

    assert "removed 1 " in output
    assert {p.name.split(".")[0] for p in stored_files(app)} == {named.sha256, recent.sha256, again.sha256}

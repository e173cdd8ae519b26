"""Photos of the work (现场照片) and a dispute agreement's PDF: checked, stripped, stored by their content.

An upload is checked before anything is written (`photos`, `agreement`): at most UPLOAD_MAX_FILES, each read in
bounded chunks up to UPLOAD_MAX_BYTES whatever the request claims; an image is whatever Pillow, asked only for
JPEG, PNG and WebP, decodes (never the name or the extension), within UPLOAD_MAX_PIXELS; a PDF only where the
form takes one (the agreement), by its %PDF- signature. What is stored of an image is a re-encoded copy, upright
(its EXIF orientation applied), without any metadata (EXIF, GPS, XMP, ICC, comments): only the capture time is
kept, in the row. A refusal is an InvalidInput at the form's field naming the file and why, never a 500.

Files are content-addressed: UPLOAD_DIR/ab/cd/<sha256>.<ext> of the stored bytes, written atomically (a temporary
file, then os.replace), so the same bytes are stored once; an image's thumbnail is beside it. They are written
inside the request's transaction, before its commit: a request rolled back afterwards leaves at worst a file no
row names, never a row without its file. `flask --app wsgi attachments prune` removes such files once untouched for
an hour (prune_orphans); writing the same bytes again touches the file, so a prune never takes it from an upload.
"""

import hashlib
import io
import logging
import os
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import current_app
from PIL import Image, ImageOps
from sqlalchemy import Select, Subquery, func, select

from .clock import local_zone
from .extensions import db
from .models import Attachment, Case, CaseEvent, User
from .refusals import N_, InvalidInput
from .text import clean

log = logging.getLogger(__name__)
IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}  # what Pillow may decode
PDF = "application/pdf"
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", PDF: "pdf"}
STORED_LONG_SIDE = 4096  # a stored photo is at most this wide or high: proof enough
PLATFORM_LONG_SIDE = 1600  # what the platform gets of a bigger one: a bounded upload over a township's line
THUMB_LONG_SIDE = 320
JPEG_QUALITY = 85
CHUNK = 64 * 1024
EXIF_IFD, DATE_TIME_ORIGINAL, DATE_TIME = 0x8769, 0x9003, 0x0132

TOO_MANY_FILES = N_("At most %(most)d files can be attached at once; %(sent)d were chosen.")
TOO_BIG = N_("“%(name)s” is larger than %(limit)s MB.")
EMPTY = N_("“%(name)s” is empty.")
NOT_A_PHOTO = N_("“%(name)s” is not a photo that can be read: JPEG, PNG or WebP.")
TOO_MANY_PIXELS = N_("“%(name)s” has too many pixels: at most %(most)d million.")
NOT_AN_AGREEMENT = N_("“%(name)s” is neither a PDF nor a photo that can be read.")


@dataclass(frozen=True)
class Upload:
    """A checked file, ready to keep: what will be stored (an image re-encoded, a PDF as sent) and its thumbnail."""

    name: str  # as the phone named it, cleaned: shown, never trusted for anything
    media_type: str
    data: bytes
    thumb: bytes | None = None
    width: int | None = None
    height: int | None = None
    captured_at: datetime | None = None
    agreement: bool = False  # came in a form's agreement field (only a settled dispute takes one)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def is_image(self) -> bool:
        return self.media_type in IMAGE_FORMATS.values()


# --- checking ------------------------------------------------------------------------------------


def photos(files: Iterable | None, field: str = "photos", besides: int = 0) -> list[Upload]:
    """The chosen photos, each checked and re-encoded without metadata; refused at `field` when there are more
    than UPLOAD_MAX_FILES (with `besides` other files of the same action), or one is too big or no JPEG, PNG or
    WebP Pillow can decode. None chosen: []."""
    files = [f for f in files or () if f]
    most = current_app.config["UPLOAD_MAX_FILES"]
    if len(files) + besides > most:
        raise InvalidInput(TOO_MANY_FILES, field, most=most, sent=len(files) + besides)
    return [_image(_read(f, field), _name(f), field) for f in files]


def photos_and_agreement(files: Iterable | None, agreement_file) -> list[Upload]:
    """An action's photos and its agreement, at most UPLOAD_MAX_FILES together (nine photos and an agreement
    are ten files), each checked as photos() and agreement() do."""
    return photos(files, besides=1 if agreement_file else 0) + agreement(agreement_file)


def agreement(file, field: str = "agreement") -> list[Upload]:
    """A dispute agreement: a PDF (its %PDF- signature; stored as sent) or a photo of the signed paper; [] if none."""
    if not file:
        return []
    data, name = _read(file, field), _name(file)
    if data.startswith(b"%PDF-"):
        return [Upload(name=name, media_type=PDF, data=data, agreement=True)]
    return [replace(_image(data, name, field, refusal=NOT_AN_AGREEMENT), agreement=True)]


def _name(file) -> str:
    return clean(os.path.basename((getattr(file, "filename", None) or "").replace("\\", "/")))[:200] or "—"


def _read(file, field: str) -> bytes:
    """The file's bytes, read in chunks and refused one past UPLOAD_MAX_BYTES (a sent length is never believed)."""
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    stream, parts, size = getattr(file, "stream", file), [], 0
    while size <= limit and (chunk := stream.read(min(CHUNK, limit + 1 - size))):
        parts.append(chunk)
        size += len(chunk)
    if size > limit:
        raise InvalidInput(TOO_BIG, field, name=_name(file), limit=f"{limit / 1024 / 1024:g}")
    if not size:
        raise InvalidInput(EMPTY, field, name=_name(file))
    return b"".join(parts)


def _image(data: bytes, name: str, field: str, refusal: str = NOT_A_PHOTO) -> Upload:
    most = current_app.config["UPLOAD_MAX_PIXELS"]
    try:
        with Image.open(io.BytesIO(data), formats=list(IMAGE_FORMATS)) as image:
            if image.width * image.height > most:
                raise InvalidInput(TOO_MANY_PIXELS, field, name=name, most=most // 1_000_000)
            return _stored(image, name)
    except InvalidInput:
        raise
    except Image.DecompressionBombError as exc:
        raise InvalidInput(TOO_MANY_PIXELS, field, name=name, most=most // 1_000_000) from exc
    except Exception as exc:  # noqa: BLE001 - whatever a damaged or hostile file makes a decoder raise is a refusal
        raise InvalidInput(refusal, field, name=name) from exc


def _stored(image: Image.Image, name: str) -> Upload:
    """The upright image, at most STORED_LONG_SIDE, re-encoded in its own format from its pixels alone."""
    fmt, media_type, captured = image.format, IMAGE_FORMATS[image.format], captured_at(image)
    pixels = _pixels_only(_bounded_upright(image, STORED_LONG_SIDE), keep_alpha=media_type != "image/jpeg")
    return Upload(name, media_type, _encode(pixels, fmt), _thumbnail(pixels), pixels.width, pixels.height, captured)


def _bounded_upright(image: Image.Image, long_side: int) -> Image.Image:
    """The image decoded at most `long_side` on its long side, then turned upright: a JPEG is decoded already
    scaled down by its decoder (draft), any other is reduced before it is turned, so that a 40-megapixel photo
    never has more than one full-size copy in memory (a JPEG not even one)."""
    bound = (long_side, long_side)
    if image.format == "JPEG":
        image.draft(None, _fitted(image.size, long_side))
    image.thumbnail(bound, reducing_gap=None)  # decodes (scaled, for a JPEG) and shrinks in place
    return ImageOps.exif_transpose(image)


def _fitted(size: tuple[int, int], long_side: int) -> tuple[int, int]:
    scale = min(1.0, long_side / max(size))
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def _pixels_only(image: Image.Image, keep_alpha: bool) -> Image.Image:
    """A new image of the pixels: none of the original's info (EXIF, XMP, ICC profile, comments) comes along."""
    alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    mode = "RGBA" if alpha and keep_alpha else ("L" if image.mode in ("L", "1", "I", "I;16") else "RGB")
    image = image.convert(mode) if image.mode != mode else image
    bare = Image.new(mode, image.size)
    bare.paste(image)
    return bare


def _encode(image: Image.Image, fmt: str, quality: int = JPEG_QUALITY) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, quality=quality, optimize=True)
    return out.getvalue()


def _thumbnail(image: Image.Image) -> bytes:
    """About THUMB_LONG_SIDE on its long side, JPEG; transparent parts on white."""
    small = image.copy()
    small.thumbnail((THUMB_LONG_SIDE, THUMB_LONG_SIDE))
    if small.mode == "RGBA":
        flat = Image.new("RGB", small.size, "white")
        flat.paste(small, mask=small.getchannel("A"))
        small = flat
    return _encode(small, "JPEG", quality=80)


def captured_at(image: Image.Image) -> datetime | None:
    """When the photo was taken, by its EXIF DateTimeOriginal (else DateTime), read as the township's local time,
    in UTC; None when absent or not a plausible moment."""
    exif = image.getexif()
    text = exif.get_ifd(EXIF_IFD).get(DATE_TIME_ORIGINAL) or exif.get(DATE_TIME)
    if not isinstance(text, str):
        return None
    try:
        local = datetime.strptime(text.strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")
        moment = local.replace(tzinfo=local_zone()).astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    plausible = datetime(1990, 1, 1, tzinfo=UTC) <= moment <= datetime.now(UTC) + timedelta(days=1)
    return moment if plausible else None


# --- keeping --------------------------------------------------------------------------------------


def attach(event: CaseEvent, actor: User | None, uploads: Iterable[Upload]) -> list[Attachment]:
    """The uploads kept with the history event they came with, in the caller's transaction: each file written
    (once per content) before its row is added. The same bytes twice in one action are kept once."""
    kept = []
    for upload in {u.sha256: u for u in uploads}.values():
        _write(upload)
        row = Attachment(
            case=event.case,
            event=event,
            sha256=upload.sha256,
            media_type=upload.media_type,
            size=len(upload.data),
            width=upload.width,
            height=upload.height,
            original_name=upload.name,
            captured_at=upload.captured_at,
            uploaded_by=actor,
        )
        db.session.add(row)
        kept.append(row)
    return kept


def _write(upload: Upload) -> None:
    path = file_path(upload.sha256, upload.media_type)
    _write_once(path, upload.data)
    if upload.thumb is not None:
        _write_once(thumb_path(upload.sha256), upload.thumb)


def _write_once(path: Path, data: bytes) -> None:
    """Written whole or not at all: a temporary file beside it, then renamed; a file already there is the same,
    and touched, so that prune_orphans leaves it to the row about to name it."""
    if path.exists():
        os.utime(path)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _folder(sha256: str) -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / sha256[:2] / sha256[2:4]


def file_path(sha256: str, media_type: str) -> Path:
    return _folder(sha256) / f"{sha256}.{EXTENSIONS[media_type]}"


def thumb_path(sha256: str) -> Path:
    return _folder(sha256) / f"{sha256}.thumb.jpg"


# --- clean-up -------------------------------------------------------------------------------------

ORPHAN_AGE = timedelta(hours=1)  # far longer than any request between writing its files and its commit


def prune_orphans(age: timedelta = ORPHAN_AGE) -> int:
    """Removes the stored files that no attachment names (left by actions refused or rolled back after their
    files were written: the photo, its thumbnail, its platform copy) and abandoned temporary files, once none of
    them has been touched for `age`. Reads the rows one folder at a time. Returns how many photos or PDFs went."""
    cutoff, removed = time.time() - age.total_seconds(), 0
    for folder in sorted(Path(current_app.config["UPLOAD_DIR"]).glob("[0-9a-f][0-9a-f]/[0-9a-f][0-9a-f]")):
        by_content: dict[str, list[Path]] = {}
        for path in folder.iterdir():
            by_content.setdefault(path.name.split(".")[0] or path.name, []).append(path)
        named = set(db.session.scalars(select(Attachment.sha256).where(Attachment.sha256.in_(list(by_content)))))
        for content, paths in by_content.items():
            if content not in named and all(_untouched(p, cutoff) for p in paths):
                gone = [_removed(p, cutoff) for p in paths]
                removed += any(gone) and len(content) == 64  # a photo or a PDF, not a temporary file
    return removed


def _untouched(path: Path, cutoff: float) -> bool:
    try:
        return path.stat().st_mtime < cutoff
    except FileNotFoundError:
        return True


def _removed(path: Path, cutoff: float) -> bool:
    """Unlinked if still untouched (looked at again just before, against an upload of the same bytes)."""
    if not _untouched(path, cutoff):
        return False
    path.unlink(missing_ok=True)
    return True


# --- reading --------------------------------------------------------------------------------------


def of_events(case: Case) -> dict[int, list[Attachment]]:
    """The case's attachments by the history event they came with, in the order they came."""
    rows = db.session.scalars(select(Attachment).where(Attachment.case_id == case.id).order_by(Attachment.id))
    found: dict[int, list[Attachment]] = {}
    for row in rows:
        found.setdefault(row.event_id, []).append(row)
    return found


def of_replies(replies: Iterable) -> dict[int, list[Attachment]]:
    """The photos each reply row carries (its payload's images), by reply id: found among its case's attachments by
    SHA-256, for a page of replies in one query."""
    replies = list(replies)
    wanted = {(r.case_id, i.get("sha256")) for r in replies for i in r.payload.get("images", ())}
    if not wanted:
        return {}
    rows = db.session.scalars(
        select(Attachment)
        .where(Attachment.case_id.in_({c for c, _ in wanted}), Attachment.sha256.in_({s for _, s in wanted}))
        .order_by(Attachment.id)
    )
    first: dict[tuple[int, str], Attachment] = {}
    for row in rows:
        first.setdefault((row.case_id, row.sha256), row)
    return {
        r.id: [first[key] for i in r.payload.get("images", ()) if (key := (r.case_id, i.get("sha256"))) in first]
        for r in replies
    }


def photo_counts(cases: Select, before: datetime | None = None) -> Subquery:
    """(case_id, photos): how many photos each of `cases` (a SELECT of case ids) has, attached before `before`
    if given; one GROUP BY over the attachments' (case_id, id) index, to outer-join into a list of cases."""
    query = select(Attachment.case_id, func.count().label("photos")).where(
        Attachment.case_id.in_(cases), Attachment.media_type != PDF
    )
    if before is not None:
        query = query.where(Attachment.created_at < before)
    return query.group_by(Attachment.case_id).subquery("photo_counts")


def download_name(attachment: Attachment) -> str:
    """A name safe in any header and file system: the case number and the attachment's id, never the upload's."""
    number = "".join(c for c in attachment.case.number if c.isascii() and (c.isalnum() or c in "-_")) or "case"
    return f"{number}-{attachment.id}.{EXTENSIONS[attachment.media_type]}"


def reply_images(uploads: Iterable[Upload]) -> list[dict]:
    """The photos of a resolution as its reply row keeps them (name, media type, SHA-256 of the stored file); the
    outbox uploads each one's platform copy to the platform before it sends the reply (docs/feed.md)."""
    photos = {u.sha256: u for u in uploads if u.is_image}.values()
    return [{"name": u.name, "media_type": u.media_type, "sha256": u.sha256} for u in photos]


class PhotoMissing(Exception):
    """A reply's photo is not in the store, or no longer readable there: the reply must not go without it."""

    def __init__(self, sha256: str):
        super().__init__(sha256)
        self.sha256 = sha256


def platform_copy(sha256: str, media_type: str) -> bytes:
    """The stored photo as sent to the platform: itself when at most PLATFORM_LONG_SIDE, else a copy scaled down
    to it (same format, no metadata), derived once and kept beside it. PhotoMissing when the store lacks it."""
    try:
        derived = _folder(sha256) / f"{sha256}.platform.{EXTENSIONS[media_type]}"
        if derived.exists():
            return derived.read_bytes()
        data = file_path(sha256, media_type).read_bytes()
        smaller = _scaled_down(data, PLATFORM_LONG_SIDE)
    except (OSError, KeyError, ValueError) as exc:  # gone, unreadable, or no image we know (a damaged file)
        log.warning("photo %s of a reply is not in the store: %s", sha256, exc)
        raise PhotoMissing(sha256) from exc
    if smaller is None:
        return data
    _write_once(derived, smaller)
    return smaller


def _scaled_down(data: bytes, long_side: int) -> bytes | None:
    """The stored image re-encoded at most `long_side`, or None if it is no bigger than that."""
    with Image.open(io.BytesIO(data), formats=list(IMAGE_FORMATS)) as image:
        if max(image.size) <= long_side:
            return None
        fmt, keep_alpha = image.format, image.format != "JPEG"
        return _encode(_pixels_only(_bounded_upright(image, long_side), keep_alpha), fmt)

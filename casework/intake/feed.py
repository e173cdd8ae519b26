"""The platform's HTTP feed (docs/feed.md): pages of tickets since a cursor, and replies posted back.

A page is read whole and checked before any of it is ingested, so a failure never imports half a
page. Each page is committed before its cursor is saved: a run that fails on page 3 keeps pages 1-2
and their cursor, and the next run starts from there.
"""

import http.client
import json
import logging
from dataclasses import dataclass
from urllib.error import HTTPError
from urllib.parse import quote, urlencode
from urllib.request import Request, urlopen

from flask import current_app

from ..extensions import db
from ..models import IntakeRun, IntakeState, utcnow
from ..refusals import N_
from ..text import clean
from .ingest import IngestResult, ingest
from .messages import IntakeProblem
from .normalize import FIELDS

log = logging.getLogger(__name__)

SOURCE_NAME = "feed"
CURSOR = "feed_cursor"
MAX_PAGES = 10_000  # a platform that never says "no more" cannot keep a run going forever
TICKET_FIELDS = FIELDS  # a ticket carries the canonical fields of an export row (docs/feed.md)


# What went wrong with the platform, as a run records it. The English keeps the words the log and
# docs/feed.md have always used; each language places the request and the technical detail as it reads.
CANNOT_REACH = N_("%(request)s: cannot reach the platform (%(detail)s)")
HTTP_STATUS = N_("%(request)s: the platform answered HTTP %(code)d")
NOT_JSON = N_("%(request)s: the platform's answer is not valid JSON")
NOT_A_PAGE = N_("%(request)s: the answer is not a page of tickets")
BAD_NEXT = N_("%(request)s: 'next' is neither a cursor nor null")
NO_IMAGE_ID = N_("%(request)s: the platform's answer names no image id")
TICKETS = "GET /tickets"
IMAGES = "POST /images"


class FeedError(IntakeProblem):
    """The platform could not be reached or answered badly: a msgid with the request and its detail
    (messages.IntakeProblem: str() for the log, text() to store). `status` is the HTTP status, if any."""

    def __init__(self, message: str, status: int | None = None, **params):
        super().__init__(message, **params)
        self.status = status


@dataclass(frozen=True)
class Page:
    tickets: list[dict]
    next: str | None


@dataclass(frozen=True)
class FeedClient:
    """Talks to the platform over HTTP with a bearer token and a timeout on every request."""

    url: str
    token: str | None
    timeout: float

    def get(self, path: str) -> object:
        return self._send(Request(self._url(path), method="GET", headers=self._headers()))

    def post(self, path: str, body: dict, headers: dict | None = None) -> object:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        return self.post_bytes(path, data, "application/json; charset=utf-8", headers)

    def post_bytes(self, path: str, data: bytes, content_type: str, headers: dict | None = None) -> object:
        all_headers = {**self._headers(), "Content-Type": content_type, **(headers or {})}
        return self._send(Request(self._url(path), data=data, method="POST", headers=all_headers))

    def _url(self, path: str) -> str:
        return self.url.rstrip("/") + path

    def _headers(self) -> dict:
        headers = {"Accept": "application/json", "User-Agent": "Casework intake"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def _send(self, request: Request) -> object:
        where = f"{request.get_method()} {request.selector.split('?')[0]}"
        try:
            with urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except HTTPError as exc:
            raise FeedError(HTTP_STATUS, exc.code, request=where, code=exc.code) from exc
        except (OSError, http.client.HTTPException) as exc:  # refused, timed out, reset, DNS, cut short
            raise FeedError(CANNOT_REACH, request=where, detail=str(getattr(exc, "reason", exc))) from exc
        try:
            return json.loads(raw.decode("utf-8"))
        except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError; [[[[… nested too deep
            raise FeedError(NOT_JSON, request=where) from exc


def feed_client() -> FeedClient | None:
    """The client for CASEWORK_FEED_URL, or None when no feed is configured."""
    config = current_app.config
    if not config.get("FEED_URL"):
        return None
    return FeedClient(config["FEED_URL"], config.get("FEED_TOKEN"), float(config.get("FEED_TIMEOUT", 10)))


def fetch_page(client: FeedClient, since: str, limit: int) -> Page:
    """One page of tickets after `since`, checked in full; FeedError if it is not a proper page."""
    body = client.get("/tickets?" + urlencode({"since": since, "limit": limit}))
    tickets = body.get("tickets") if isinstance(body, dict) else None
    if not isinstance(tickets, list) or not all(isinstance(t, dict) for t in tickets):
        raise FeedError(NOT_A_PAGE, request=TICKETS)
    cursor = body.get("next")
    if cursor is not None and not _storable_cursor(cursor):
        raise FeedError(BAD_NEXT, request=TICKETS)
    return Page(tickets, None if cursor is None else str(cursor))


def _storable_cursor(cursor) -> bool:
    """A string or a number that can be stored and sent back exactly as given: a cursor holding what the
    database refuses (NUL, a lone surrogate) or a control character would fail every run at the same page."""
    if isinstance(cursor, bool) or not isinstance(cursor, str | int):
        return False
    return clean(str(cursor)) == str(cursor)


def ticket_row(ticket: dict) -> dict:
    """A ticket as the row ingest expects: the canonical keys, values as text (ingest reads the times)."""
    return {key: _text(ticket.get(key)) for key in TICKET_FIELDS} | {"line": None}


def _text(value) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def load_cursor() -> str:
    state = db.session.get(IntakeState, CURSOR)
    return state.value if state else ""


def save_cursor(cursor: str) -> None:
    """Flushes; the caller commits."""
    state = db.session.get(IntakeState, CURSOR) or IntakeState(name=CURSOR)
    state.value, state.updated_at = cursor, utcnow()
    db.session.add(state)
    db.session.flush()


def add_counts(run: IntakeRun, result: IngestResult) -> None:
    """Add one batch's counts to the run (committed with the batch)."""
    run.fetched += result.fetched
    run.new += result.new
    run.duplicates += result.duplicates
    run.rejected += result.rejected


def import_feed(run: IntakeRun) -> IngestResult:
    """Import every ticket the platform has after the saved cursor, page by page.

    After each page: its orders (and rejected rows, and the run's counts) are committed, then the
    cursor the page gave is saved and committed. Returns the IngestResult of the whole feed. When the
    platform fails (FeedError) or a page cannot be ingested, the pages before it stay imported with
    their cursor, nothing of the failing page is kept, and the error is raised to the caller.
    """
    client = feed_client()
    limit = int(current_app.config.get("FEED_PAGE_SIZE", 100))
    since, total = load_cursor(), IngestResult()
    for _ in range(MAX_PAGES):
        page = fetch_page(client, since, limit)
        total += _import_page(page, run)
        if page.next is None or page.next == since:
            break
        save_cursor(page.next)
        db.session.commit()
        since = page.next
    return total


def _import_page(page: Page, run: IntakeRun) -> IngestResult:
    """The whole page or none of it: ingested, counted on the run and committed together."""
    try:
        result = ingest([ticket_row(t) for t in page.tickets], run, SOURCE_NAME)
        add_counts(run, result)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return result


def post_reply(client: FeedClient, order_no: str, payload: dict, key: str) -> object:
    """POST one reply; the Idempotency-Key lets the platform recognise a reply it already has."""
    return client.post(f"/tickets/{quote(order_no, safe='')}/reply", payload, {"Idempotency-Key": key})


def upload_image(client: FeedClient, data: bytes, content_type: str, sha256: str) -> str:
    """POST one photo's bytes to the platform's upload endpoint; its id there. The platform checks the bytes
    against X-Content-SHA256 and answers the same id for the same bytes, so sending one again is harmless."""
    body = client.post_bytes("/images", data, content_type, {"X-Content-SHA256": sha256})
    image_id = body.get("id") if isinstance(body, dict) else None
    if not isinstance(image_id, str) or not image_id or clean(image_id) != image_id:
        raise FeedError(NO_IMAGE_ID, request=IMAGES)
    return image_id

"""The field half of the tour, ready right after `make run` starts: the history's notices read, and for the tour's
cadre (TOUR_CADRE, README's first tour) a few things of the last day, each done through the workflow's services:

- an order assigned to him a few minutes ago (the bell: 已派给您);
- an order whose platform time limit ends within hours, which a dispatcher has just urged (催办); the scheduler's
  first reminder run at start-up warns him of it (黄牌);
- a road order he resolved with photos this morning, whose reply waits in the outbox: the first intake sends it,
  photos and all, to the fake platform.

Every person has a mobile number, so that the group robots mention them; the tour's cadre takes every channel the
deployment has set up, SMS included.
"""

from datetime import datetime, timedelta

from sqlalchemy import update

from .. import workflow as wf
from ..extensions import db
from ..models import Case, Delivery, Notification, User, Village
from ..notify.devices import choose_channels
from .calls import RESULTS

TOUR_CADRE = "liuzhiqiang"
URGE_NOTE = "群众又来电催问，请今天之内办结并回复。"


def set_the_loop(story) -> None:
    """The tour cadre's unread notices, an order near its deadline and a reply with photos waiting (Story: story.py)."""
    cadre = story.town.cadres[TOUR_CADRE]
    choose_channels(cadre, {"webpush", "wecom", "dingtalk", "sms"})
    village, now = cadre.villages[0], story.now
    resolved = _order(story, village, cadre, received=now - timedelta(days=2), category="道路")
    _resolve(story, resolved, cadre, at=now - timedelta(minutes=90))
    history_read(now)
    urged = _order(story, village, cadre, received=now - timedelta(hours=26), deadline=now + timedelta(hours=3))
    wf.urge(urged, story.dispatcher(), note=URGE_NOTE, at=now - timedelta(minutes=6))
    _order(story, village, cadre, received=now - timedelta(minutes=50), assigned=now - timedelta(minutes=12))


def history_read(now: datetime) -> None:
    """Every notice so far read when it came, and its deliveries sent then: the history's notices are long known,
    so they neither fill the bell nor go out again to the robots."""
    db.session.flush()
    db.session.execute(
        update(Notification).where(Notification.read_at.is_(None)).values(read_at=Notification.created_at)
    )
    sent = {"status": "sent", "sent_at": Delivery.created_at, "attempts": 1}
    db.session.execute(update(Delivery).where(Delivery.status == "pending").values(**sent))


def _order(
    story,
    village: Village,
    cadre: User,
    *,
    received: datetime,
    assigned: datetime | None = None,
    deadline: datetime | None = None,
    category: str | None = None,
) -> Case:
    """An order of the cadre's village, received then and assigned to him (by default 40 minutes later)."""
    case = story.receive(received, village, deadline=deadline, category=category)
    at = assigned or received + timedelta(minutes=40)
    wf.assign(case, story.dispatcher(), assignee=cadre, village=village if case.village_id is None else None, at=at)
    return case


def _resolve(story, case: Case, cadre: User, at: datetime) -> None:
    """办结 by the cadre with photos of the work; the reply to the platform waits for the next intake."""
    result = story.fill(story.rng.choice(RESULTS[case.category]), case.village)
    wf.resolve(case, cadre, result=result, attachments=story.photos_for(case), at=at)
    story.reply_entered(case, at)

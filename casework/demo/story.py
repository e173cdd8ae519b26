"""The year the demo tells: `months` months of hotline orders and dispute cases up to now, every step
driven through the real workflow services with its time in the past, so that the history is the one the
app would have written."""

import contextlib
import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from .. import workflow as wf
from ..clock import local_zone
from ..deadlines import deadlines_for
from ..extensions import db
from ..models import Case, Reply, User, Village
from .arrivals import MONTHS, arrivals, months_before
from .calls import (
    CALLBACK_NOTES,
    CONTENT,
    EXTENSION_REASONS,
    GIVEN,
    NOTES,
    PHONE_PREFIXES,
    REOPEN_REASONS,
    RESULTS,
    RETURN_ELSEWHERE,
    RETURN_NOT_OURS,
    SURNAMES,
    UTILITIES,
    draw_call,
    fill,
)
from .disputes import DISPUTE_WEIGHTS, DISPUTES, ESCALATION_NOTES, MEDIATION_NOTES, WITHDRAWN
from .loop import set_the_loop
from .photos import SCENES, Album
from .township import Township, create_township


def load_township(seed: int, now: datetime, months: int = MONTHS) -> list[tuple[User, str]]:
    """The township and `months` months of cases up to `now`; returns the logins. The caller commits."""
    town = create_township()
    rng = random.Random(seed)
    story = Story(town, rng, now, local_zone())
    start = months_before(now, months)
    for received, kind in arrivals(rng, start, now, story.zone):
        village = rng.choice(story.village_list)
        stuck = kind == "order" and now - received > timedelta(days=10) and rng.random() < 0.012
        if kind == "order":
            story.order_life(received, village, stuck=stuck)
        else:
            story.dispute_life(received, village)
    _the_rare_cases(story, start, now)
    set_the_loop(story)
    return town.passwords


def _the_rare_cases(story: "Story", start: datetime, now: datetime) -> None:
    """What chance alone might leave out: problem orders, fresh arrivals, an unassigned dispute."""
    rng, window = story.rng, now - start
    for share, times in ((0.5, 3), (0.3, 4), (0.18, 3), (0.1, 3)):
        received = now - window * share + timedelta(minutes=rng.randint(0, 600))
        story.problem_order(received, rng.choice(story.village_list), times)
    for minutes in (25, 70, 140):
        story.order_life(now - timedelta(minutes=minutes), rng.choice(story.village_list), stuck=True)
    story.receive(now - timedelta(minutes=8), rng.choice(story.village_list))  # not yet seen by a dispatcher
    story.dispute_life(now - timedelta(minutes=50), rng.choice(story.village_list), unassigned=True)


class _Later(Exception):
    """The next step of a case's life would happen after now: the case stays where it is."""


class Story:
    """Drives cases through the real workflow services, each step at a time in the past."""

    def __init__(self, town: Township, rng: random.Random, now: datetime, zone: ZoneInfo):
        self.town, self.rng, self.now, self.zone = town, rng, now, zone
        self.polls = [tuple(int(x) for x in t.split(":")) for t in current_app.config["POLL_TIMES"].split(",")]
        self.village_list = list(town.villages.values())
        self.order_seq: dict[date, int] = {}
        self.problem_orders = 0
        self.album: Album | None = None

    # time ---------------------------------------------------------------------------------------

    def at(self, when: datetime) -> datetime:
        if when > self.now:
            raise _Later
        return when

    def local(self, day: date, hour: int, minute: int) -> datetime:
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=self.zone).astimezone(UTC)

    def next_poll(self, after: datetime) -> datetime:
        """When a dispatcher next looks at the platform (four times a day), plus the minutes it takes."""
        local = after.astimezone(self.zone)
        for offset in range(3):
            day = local.date() + timedelta(days=offset)
            for hour, minute in self.polls:
                slot = self.local(day, hour, minute)
                if slot >= after:
                    return slot + timedelta(minutes=self.rng.randint(2, 40))
        raise AssertionError("no poll slot within three days")

    def working_time(self, after: datetime, hours: float) -> datetime:
        """`hours` later, moved into the next working hours (08:00-18:00) when it falls outside them."""
        when = (after + timedelta(hours=hours)).astimezone(self.zone)
        if when.hour < 8:
            when = when.replace(hour=8, minute=self.rng.randint(0, 59))
        elif when.hour >= 18:
            when = (when + timedelta(days=1)).replace(hour=8, minute=self.rng.randint(0, 59))
        return when.astimezone(UTC)

    # people -------------------------------------------------------------------------------------

    def dispatcher(self) -> User:
        return self.rng.choice(self.town.dispatchers)

    def person_name(self) -> str:
        return self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)

    def phone(self) -> str:
        return self.rng.choice(PHONE_PREFIXES) + f"{self.rng.randint(0, 99_999_999):08d}"

    def other_cadre(self, village: Village, than: User | None) -> User | None:
        others = [c for c in village.cadres if c.id != (than.id if than else None)]
        return self.rng.choice(others) if others else None

    # text ---------------------------------------------------------------------------------------

    def fill(self, template: str, village: Village, **extra) -> str:
        return fill(self.rng, template, village.name, [v.name for v in self.village_list], **extra)

    # hotline orders -----------------------------------------------------------------------------

    def order_number(self, received: datetime) -> str:
        day = received.astimezone(self.zone).date()
        self.order_seq[day] = self.order_seq.get(day, 0) + 1
        return f"GD{day:%Y%m%d}{self.order_seq[day]:04d}"

    def receive(
        self, received: datetime, village: Village, deadline: datetime | None = None, category: str | None = None
    ) -> Case:
        """An order from the platform, received then; `deadline`: the time limit the platform set for it."""
        r = self.rng
        drawn, request_type, urgency = draw_call(r, received, self.zone)
        category = category or drawn
        content = self.fill(r.choice(CONTENT[category]), village)
        if content.startswith("来电人感谢"):
            request_type = "感谢"
        ack_due, due = deadlines_for(request_type, urgency, received, category=category, deadline=deadline)
        return wf.receive_order(
            None,
            number=self.order_number(received),
            received_at=received,
            village=village if r.random() > 0.03 else None,  # a few come without a known village
            category=category,
            content=content,
            address=f"{current_app.config['TOWNSHIP_NAME']}{village.name}{r.choice('一二三四五六七八')}组",
            urgency=urgency,
            request_type=request_type,
            caller_name=self.person_name() if r.random() > 0.08 else "匿名",
            caller_phone=self.phone(),
            ack_due_at=ack_due,
            due_at=due,
        )

    def order_life(self, received: datetime, village: Village, stuck: bool = False) -> Case:
        """One order from the platform to its callback, as far as it got by now."""
        case = self.receive(received, village)
        with contextlib.suppress(_Later):
            self._handle(case, village, stuck)
        return case

    def _handle(self, case: Case, village: Village, stuck: bool) -> None:
        r = self.rng
        when = self.next_poll(case.received_at)
        self._assign(case, village, when)
        when = self.working_time(when, r.uniform(1, 8))
        if r.random() < 0.06:
            when, village = self._return(case, village, when)
        elif r.random() < 0.12 and len(village.cadres) > 1:
            when = self.next_poll(when)
            wf.reassign(case, self.dispatcher(), assignee=self.other_cadre(village, case.assignee), at=self.at(when))
        if r.random() < 0.1:
            when = self.working_time(when, r.uniform(0.5, 6))
            wf.add_note(case, case.assignee, note=r.choice(NOTES), at=self.at(when))
        if case.category in ("劳资", "房屋") and r.random() < 0.15:
            when = self._convert(case, village, when)
        when = self._maybe_extend(case, when)
        if stuck:
            return
        self._resolve_and_call_back(case, village, when, reopen_times=0)

    def _maybe_extend(self, case: Case, when: datetime) -> datetime:
        """延期: now and then the cadre asks for more time before the deadline; a dispatcher decides at the
        next check. Only for deadlines still ahead: the workflow checks them against the present time."""
        r = self.rng
        if case.due_at is None or case.due_at <= self.now or r.random() > 0.35:
            return when
        asked = min(self.working_time(when, r.uniform(1, 12)), self.now)
        days = r.randint(1, current_app.config.get("EXTENSION_MAX_DAYS", 3))
        wf.request_extension(
            case, case.assignee, reason=r.choice(EXTENSION_REASONS), working_days=days, at=self.at(asked)
        )
        decided = self.next_poll(asked)
        if r.random() < 0.75:
            wf.grant_extension(case, self.dispatcher(), note="同意延期。", at=self.at(decided))
        else:
            wf.refuse_extension(case, self.dispatcher(), reason="时限内可以办结，请抓紧办理。", at=self.at(decided))
        return decided

    def _assign(self, case: Case, village: Village, when: datetime) -> None:
        """派单 to the village's default cadre, mostly; an order without a village gets it from its address."""
        assignee = village.default_cadre if self.rng.random() < 0.92 else self.other_cadre(village, None)
        wf.assign(
            case,
            self.dispatcher(),
            assignee=assignee or village.default_cadre,
            village=village if case.village_id is None else None,
            at=self.at(when),
        )

    def _return(self, case: Case, village: Village, when: datetime) -> tuple[datetime, Village]:
        """退单: wrong village (then assigned there) or a matter for a department (then reassigned here)."""
        r = self.rng
        elsewhere = r.random() < 0.6
        target = r.choice([v for v in self.village_list if v is not village]) if elsewhere else village
        reason = self.fill(RETURN_ELSEWHERE if elsewhere else RETURN_NOT_OURS, village, v2=target.name)
        wf.return_to_dispatcher(case, case.assignee, reason=reason, at=self.at(when))
        when = self.next_poll(when)
        wf.assign(
            case,
            self.dispatcher(),
            assignee=target.default_cadre,
            village=target if elsewhere else None,
            note="" if elsewhere else "已协调相关部门配合办理。",
            at=self.at(when),
        )
        return self.working_time(when, r.uniform(1, 6)), target

    def _resolve_and_call_back(self, case: Case, village: Village, when: datetime, reopen_times: int) -> None:
        r = self.rng
        when = self._resolve_order(case, village, when)
        when = self.working_time(when, r.uniform(18, 60))
        problem = reopen_times > 0  # a problem order (问题工单): the caller stays unsatisfied
        satisfaction = "unsatisfied" if problem else r.choices(("satisfied", "basic", "unsatisfied"), (72, 19, 9))[0]
        if r.random() > 0.88 and not problem:
            return  # not every caller is reached
        solved = satisfaction != "unsatisfied" or r.random() < 0.25
        note = CALLBACK_NOTES[satisfaction]
        wf.record_callback(
            case, self.dispatcher(), solved=solved, satisfaction=satisfaction, note=note, at=self.at(when)
        )
        if satisfaction == "unsatisfied" and (problem or r.random() < 0.7):
            when = self.next_poll(when)
            wf.reopen(case, self.dispatcher(), reason=r.choice(REOPEN_REASONS), at=self.at(when))
            self._resolve_and_call_back(case, village, self.working_time(when, r.uniform(2, 20)), reopen_times - 1)

    def _resolve_order(self, case: Case, village: Village, when: datetime) -> datetime:
        r = self.rng
        hours = r.uniform(2, 20) if case.urgency != "一般" or case.category in UTILITIES else 0
        hours = hours or r.choice(
            (r.uniform(4, 48), r.uniform(24, 120), r.uniform(48, 240) if r.random() < 0.2 else 30)
        )
        when = self.working_time(when, hours)
        actor = case.assignee if r.random() < 0.9 else self.dispatcher()
        result = self.fill(r.choice(RESULTS[case.category]), village)
        wf.resolve(case, actor, result=result, attachments=self.photos_for(case), at=self.at(when))
        self.reply_entered(case, when)
        return when

    def photos_for(self, case: Case) -> list:
        """现场照片 of the work: on every resolution of a road or sanitation order, and wherever the settings
        require a photo (PHOTO_REQUIRED_CATEGORIES)."""
        if case.category not in SCENES and case.category not in current_app.config["PHOTO_REQUIRED_CATEGORIES"]:
            return []
        self.album = self.album or Album(self.rng)
        return self.album.for_category(case.category)

    def reply_entered(self, case: Case, resolved: datetime) -> None:
        """The outbox's reply (if the workflow wrote one) dates from the resolution; staff entered it
        on the platform within hours, except for the latest ones, which still wait for them."""
        reply = db.session.scalar(
            select(Reply).where(Reply.case_id == case.id, Reply.sent_at.is_(None)).order_by(Reply.id.desc())
        )
        if reply is None:
            return
        reply.created_at = resolved
        entered = self.working_time(resolved, self.rng.uniform(1, 20))
        if entered < self.now - timedelta(days=1):
            reply.sent_at, reply.sent_via = entered, "manual"

    def _convert(self, case: Case, village: Village, when: datetime) -> datetime:
        """A wage or housing order that turns out to be a dispute: registered from the order."""
        r = self.rng
        when = self.working_time(when, r.uniform(2, 24))
        category = "劳动争议" if case.category == "劳资" else r.choice(("房屋宅基地", "邻里纠纷"))
        dispute = wf.convert_to_dispute(
            case,
            self.dispatcher(),
            village=case.village,
            category=category,
            content=f"由12345工单{case.number}转入：{case.content}",
            parties=self.parties(category),
            received_at=self.at(when),
            at=when,
        )
        with contextlib.suppress(_Later):
            self._mediate(dispute, case.village, when)
        return when

    def problem_order(self, received: datetime, village: Village, reopen_times: int) -> Case:
        """An order reopened `reopen_times` times (三次以上重办: a problem order for supervision)."""
        case = self.receive(received, village)
        try:
            when = self.next_poll(received)
            self._assign(case, village, when)
            self._resolve_and_call_back(case, village, self.working_time(when, 3), reopen_times)
        except _Later:
            pass
        return case

    # disputes -----------------------------------------------------------------------------------

    def parties(self, category: str) -> list[dict]:
        """申请人 and 被申请人; a party the other side (a company) is named after the category's template."""
        return [{"name": self.person_name(), "contact": self.phone(), "role": role} for role in ("申请人", "被申请人")]

    def dispute_life(self, registered: datetime, village: Village, unassigned: bool = False) -> Case:
        """One dispute from registration (screening, a visit or a referral) to its outcome, as far as by now."""
        r = self.rng
        category = r.choices(list(DISPUTE_WEIGHTS), weights=list(DISPUTE_WEIGHTS.values()))[0]
        source = r.choices(("排查", "来访", "移交", "其他"), (45, 35, 15, 5))[0]
        actor = village.default_cadre if source == "排查" else self.dispatcher()
        parties = self.parties(category)
        a, b = parties[0]["name"], parties[1]["name"]
        case = wf.register_dispute(
            actor,
            village=village,
            category=category,
            source=source,
            content=self.fill(DISPUTES[category][0], village, a=a, b=b),
            parties=parties,
            address=f"{current_app.config['TOWNSHIP_NAME']}{village.name}",
            received_at=registered,
            at=registered,
        )
        if not unassigned:
            with contextlib.suppress(_Later):
                self._mediate(case, village, registered)
        return case

    def _mediate(self, case: Case, village: Village, when: datetime) -> None:
        r = self.rng
        when = self.next_poll(when)
        wf.assign(case, self.dispatcher(), assignee=village.default_cadre, at=self.at(when))
        when = self.working_time(when, r.uniform(4, 72))
        if r.random() < 0.5:
            wf.add_note(case, case.assignee, note=r.choice(MEDIATION_NOTES), at=self.at(when))
            when = self.working_time(when, r.uniform(24, 96))
        if r.random() < 0.28:
            when = self._escalate(case, village, when, "district")
            if r.random() < 0.35:
                when = self._escalate(case, village, when, "centre")
        self._settle(case, village, when)

    def _escalate(self, case: Case, village: Village, when: datetime, tier: str) -> datetime:
        mediator = self.town.mediators[self.town.districts.index(village.district) if tier == "district" else -1]
        wf.escalate(case, case.assignee, assignee=mediator, note=ESCALATION_NOTES[tier], at=self.at(when))
        return self.working_time(when, self.rng.uniform(48, 240))

    def _settle(self, case: Case, village: Village, when: datetime) -> None:
        """调解结果: settled (now and then the agreement is not performed: mediated again), failed or withdrawn."""
        r = self.rng
        outcome = r.choices(("settled", "failed", "withdrawn"), (66, 20, 14))[0]
        outcome_fields = self._outcome(case, village, when, outcome)
        wf.resolve(case, case.assignee, **outcome_fields, attachments=self.photos_for(case), at=self.at(when))
        if outcome == "settled" and r.random() < 0.05:  # the agreement was not performed: mediate again
            when = self.next_poll(when + timedelta(days=r.randint(10, 40)))
            wf.reopen(case, self.dispatcher(), reason="协议未履行，当事人申请再次调解。", at=self.at(when))
            self._settle(case, village, self.working_time(when, r.uniform(24, 120)))

    def _outcome(self, case: Case, village: Village, when: datetime, outcome: str) -> dict:
        """The resolution's fields for this outcome: its result, an agreement's terms and deadline, or where a
        failed mediation leaves the parties."""
        a, b = case.parties[0].name, case.parties[-1].name
        due = (when + timedelta(days=self.rng.randint(10, 60))).astimezone(self.zone).date()
        terms = self.fill(DISPUTES[case.category][1], village, a=a, b=b, due=f"{due:%Y年%m月%d日}", year=due.year - 8)
        route = self.fill(DISPUTES[case.category][2], village, a=a, b=b)
        result = {"settled": "经调解，双方达成协议：" + terms, "failed": "调解不成。" + route, "withdrawn": WITHDRAWN}
        return {
            "result": result[outcome],
            "outcome": outcome,
            "agreement_terms": terms if outcome == "settled" else "",
            "performance_deadline": due if outcome == "settled" else None,
            "failure_route": route if outcome == "failed" else "",
        }

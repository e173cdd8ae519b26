"""A hand-counted October 2026, built through the workflow with real history: the statistics tests count it.

Times are Shanghai local (UTC+8). October 2026 is [2026-10-01 00:00, 2026-11-01 00:00) local.

Orders                                          in October
  A 东风村 道路/求助   rec 10-02 09:00 ack by 11:00 assigned 10:00 (on time), resolved 10-05 (due 10-09),
                      callback solved 满意
  B 东风村 供暖/投诉   rec 10-03 09:00 ack by 10:00 assigned 12:00 (late), resolved 10-10 (due 10-08: late),
                      callback unsolved 不满意, reopened 10-12, resolved 10-14 (late), callback solved 基本满意
  C 红旗村 环境卫生/咨询 rec 10-31 23:30 (October!), no ack deadline, assigned 11-01 08:00 (8.5 h: on time)
  D 红旗村 道路/求助   rec 11-01 00:10 (November)
  E 向阳村 道路/投诉   rec 09-20, due 09-25, assigned 09-20; returned 10-05, assigned again 10-06; open
  F 东风村 供暖/求助   rec 09-28, due 09-30, resolved 09-29; reopened 10-20, resolved 10-22 (late)
Disputes
  P 东风村 邻里纠纷 registered 10-03, settled 10-08
  Q 红旗村 土地承包 registered 10-04, escalated 10-10 (district, to its mediator), failed 10-20
  R 向阳村 婚姻家庭 registered 09-25, withdrawn 10-05
  S 东风村 邻里纠纷 registered 10-30, open
  T 红旗村 邻里纠纷 registered 10-15, settled 10-16, reopened 10-17, failed 10-18 (last outcome: failed)
"""

from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from casework import workflow as wf
from casework.extensions import db
from casework.stats.periods import Month

SH = ZoneInfo("Asia/Shanghai")
OCTOBER = Month(2026, 10)


def sh(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2026) -> datetime:
    """A Shanghai local time, in 2026 unless told."""
    return datetime(year, month, day, hour, minute, tzinfo=SH)


def new_order(w, number, village, category, request_type, received, ack_due=None, due=None):
    """An order as the platform sends it, received at `received` with the deadlines given."""
    return wf.receive_order(
        None,
        number=number,
        received_at=received,
        content=f"{category}问题",
        village=village,
        category=category,
        request_type=request_type,
        ack_due_at=ack_due,
        due_at=due,
    )


def new_dispute(w, village, category, received):
    """A dispute between two parties, registered by the dispatcher as received at `received`."""
    return wf.register_dispute(
        w.dispatcher,
        village=village,
        category=category,
        source="排查",
        content=f"{category}纠纷",
        parties=[{"name": "张三"}, {"name": "李四"}],
        received_at=received,
    )


def build_october(w) -> SimpleNamespace:
    """The township's October described in the module docstring; returns the cases by letter."""
    d = w.dispatcher
    a = new_order(w, "GD-A", w.v1, "道路", "求助", sh(10, 2, 9), sh(10, 2, 11), sh(10, 9, 18))
    wf.assign(a, d, assignee=w.cadre1, at=sh(10, 2, 10))
    wf.resolve(a, w.cadre1, result="路灯已修", at=sh(10, 5, 9))
    wf.record_callback(a, d, solved=True, satisfaction="satisfied", at=sh(10, 6, 9))

    b = new_order(w, "GD-B", w.v1, "供暖", "投诉", sh(10, 3, 9), sh(10, 3, 10), sh(10, 8, 18))
    wf.assign(b, d, assignee=w.cadre1, at=sh(10, 3, 12))
    wf.resolve(b, w.cadre1, result="已协调", at=sh(10, 10, 9))
    wf.record_callback(b, d, solved=False, satisfaction="unsatisfied", at=sh(10, 11, 9))
    wf.reopen(b, d, reason="群众不满意", at=sh(10, 12, 9))
    wf.resolve(b, w.cadre1, result="已供暖", at=sh(10, 14, 9))
    wf.record_callback(b, d, solved=True, satisfaction="basic", at=sh(10, 15, 9))

    c = new_order(w, "GD-C", w.v2, "环境卫生", "咨询", sh(10, 31, 23, 30), None, sh(11, 5, 18))
    wf.assign(c, d, assignee=w.cadre2, at=sh(11, 1, 8))
    dd = new_order(w, "GD-D", w.v2, "道路", "求助", sh(11, 1, 0, 10), sh(11, 1, 12), sh(11, 6, 18))

    e = new_order(w, "GD-E", w.v3, "道路", "投诉", sh(9, 20, 9), sh(9, 20, 12), sh(9, 25, 18))
    wf.assign(e, d, assignee=w.cadre3, at=sh(9, 20, 10))
    wf.return_to_dispatcher(e, w.cadre3, reason="需要上级协调", at=sh(10, 5, 9))
    wf.assign(e, d, assignee=w.cadre3, at=sh(10, 6, 9))

    f = new_order(w, "GD-F", w.v1, "供暖", "求助", sh(9, 28, 9), sh(9, 28, 12), sh(9, 30, 18))
    wf.assign(f, d, assignee=w.cadre1, at=sh(9, 28, 10))
    wf.resolve(f, w.cadre1, result="已处理", at=sh(9, 29, 9))
    wf.reopen(f, d, reason="复发", at=sh(10, 20, 9))
    wf.resolve(f, w.cadre1, result="已处理", at=sh(10, 22, 9))

    p = new_dispute(w, w.v1, "邻里纠纷", sh(10, 3, 9))
    wf.assign(p, d, assignee=w.cadre1, at=sh(10, 3, 10))
    wf.resolve(p, d, result="达成协议", outcome="settled", agreement_terms="赔偿500元", at=sh(10, 8, 9))

    q = new_dispute(w, w.v2, "土地承包", sh(10, 4, 9))
    wf.assign(q, d, assignee=w.cadre2, at=sh(10, 4, 10))
    wf.escalate(q, d, assignee=w.cadre2, at=sh(10, 10, 9))
    wf.resolve(q, d, result="未达成", outcome="failed", failure_route="诉讼", at=sh(10, 20, 9))

    r = new_dispute(w, w.v3, "婚姻家庭", sh(9, 25, 9))
    wf.assign(r, d, assignee=w.cadre3, at=sh(9, 25, 10))
    wf.resolve(r, d, result="当事人撤回", outcome="withdrawn", at=sh(10, 5, 9))

    s = new_dispute(w, w.v1, "邻里纠纷", sh(10, 30, 9))

    t = new_dispute(w, w.v2, "邻里纠纷", sh(10, 15, 9))
    wf.assign(t, d, assignee=w.cadre2, at=sh(10, 15, 10))
    wf.resolve(t, d, result="达成协议", outcome="settled", agreement_terms="道歉", at=sh(10, 16, 9))
    wf.reopen(t, d, reason="反悔", at=sh(10, 17, 9))
    wf.resolve(t, d, result="未达成", outcome="failed", failure_route="诉讼", at=sh(10, 18, 9))
    db.session.commit()
    return SimpleNamespace(a=a, b=b, c=c, d=dd, e=e, f=f, p=p, q=q, r=r, s=s, t=t)


def later_activity(w, cases) -> None:
    """Things that happen in November and would change October if it were counted from today's state."""
    d = w.dispatcher
    wf.resolve(cases.e, w.cadre3, result="已解决", at=sh(11, 3, 9))
    wf.reopen(cases.f, d, reason="又坏了", at=sh(11, 10, 9))
    wf.reassign(cases.f, d, assignee=w.cadre1b, at=sh(11, 10, 10))
    wf.assign(cases.s, d, assignee=w.cadre1, at=sh(11, 2, 8))
    wf.resolve(cases.s, d, result="达成协议", outcome="settled", agreement_terms="和解", at=sh(11, 2, 9))
    wf.reopen(cases.q, d, reason="重新调解", at=sh(11, 4, 9))
    wf.resolve(cases.q, d, result="达成协议", outcome="settled", agreement_terms="和解", at=sh(11, 5, 9))
    wf.resolve(cases.c, w.cadre2, result="已清理", at=sh(11, 9, 9))
    wf.record_callback(cases.c, d, solved=True, satisfaction="satisfied", at=sh(11, 9, 12))
    db.session.commit()


OCTOBER_ORDERS = dict(
    received=3,  # A, B, C (C at 23:30 on the 31st); D is November's
    ack_due=3,  # all three: acknowledged, or past their acknowledgement time, by the time of counting
    ack_on_time=2,  # A, C (within 24 h, no deadline); B late
    assigned=3,  # A, B, E (again, after its return)
    resolved=3,  # A, B (twice, counted once), F
    resolved_on_time=1,  # A
    open_past_due=1,  # E, received in September
    returned=1,  # E
    reopened=2,  # B, F
    extended=0,
    callbacks=3,  # A, B twice
    callbacks_solved=2,
    callbacks_satisfied=2,  # 满意 + 基本满意
)
OCTOBER_DISPUTES = dict(received=4, concluded=4, settled=1, failed=2, withdrawn=1, mediated=3, escalated=1)

"""The sender made safe: a delivery taken back from a slow sender is finished by the one that took it (fencing),
a run stops claiming when its time is up, a channel that is down holds up none of the others, a push service that
does not answer is tried once a run, and notices are packed whole into what each channel takes, never cut."""

from datetime import timedelta

import pytest
from flask_babel import force_locale
from hypothesis import given
from hypothesis import strategies as st

from casework.extensions import db
from casework.models import Notification, utcnow
from casework.notices import message, notify
from casework.notify import sms, wecom
from casework.notify.outbox import STUCK, send_due
from casework.notify.words import fitted, with_link
from tests.notify_support import Browser, deliveries, fake_channels, notice, with_phone

SITE = "https://casework.example.gov.cn"
NOTE = "村道路灯损坏，夜间行人看不清路面，需要尽快更换灯泡并检查线路。"  # 30 characters, 90 bytes


@pytest.fixture
def fakes(app, tmp_path):
    with fake_channels(app, tmp_path, NOTIFY_DEFAULT_CHANNELS=("sms",), SITE_URL=SITE) as served:
        yield served


@pytest.fixture
def cadre(world):
    return with_phone(world.cadre1)


def test_a_sender_overtaken_while_sending_cannot_undo_what_the_other_sender_does(fakes, cadre, people):
    notice(cadre, "intake_failed", time="08:30")
    fakes.failing(1, status=503)  # the first sender's text: held past STUCK, then refused
    fakes.hold(2)
    first, second = people(), people()
    slow = first.start(send_due)
    assert fakes.held(1)
    later = utcnow() + STUCK + timedelta(seconds=1)
    other = second.start(lambda: send_due(later))  # takes the "stuck" delivery back, sends it: held too
    assert fakes.held(2)
    fakes.release(0)  # the first sender finishes while the other is still sending
    late = first.outcome(slow)
    fakes.release(1)
    done = second.outcome(other)
    assert (late.overtaken, late.retrying, late.sent) == (1, 0, 0)
    assert (done.reclaimed, done.sent, done.overtaken) == (1, 1, 0)
    [delivery] = deliveries("sms")
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 1, None)
    assert send_due(utcnow() + timedelta(days=1)).sent == 0
    assert len(fakes.of("sms")) == 1


def test_a_run_stops_claiming_when_its_time_is_up_and_leaves_the_rest_untouched(fakes, world):
    for user, phone in ((world.cadre1, "13900001111"), (world.cadre2, "13900002222"), (world.cadre3, "13900003333")):
        notice(with_phone(user, phone), "intake_failed", time="08:30")
    fakes.delay = 1.0
    counts = send_due(budget=timedelta(seconds=0.6))
    assert (counts.sent, counts.waiting) == (1, 2)
    assert sorted((d.status, d.attempts) for d in deliveries("sms")) == [("pending", 0), ("pending", 0), ("sent", 1)]
    fakes.delay = 0
    assert send_due().sent == 2


def test_a_robot_that_is_down_does_not_hold_up_a_text_behind_its_600_posts(app, fakes, world):
    app.config["NOTIFY_DEFAULT_CHANNELS"] = ("wecom",)
    for _ in range(600):
        notify(world.cadre2, "intake_failed", time="07:00")
    db.session.commit()
    app.config["NOTIFY_DEFAULT_CHANNELS"] = ("sms",)
    notice(with_phone(world.cadre1), "intake_failed", time="08:30")
    fakes.failing(1, status=502)
    counts = send_due()
    assert counts.sent == 1 and "08:30" in fakes.of("sms")[0].json["text"]
    assert [r.channel for r in fakes.received].count("wecom") == 1  # tried once, then left alone in this run
    assert (counts.retrying, counts.waiting) == (10, 590)
    robot = deliveries("wecom")
    assert sorted({d.attempts for d in robot}) == [0, 1] and all(d.status == "pending" for d in robot)
    assert all(d.next_attempt_at > utcnow() for d in robot)  # the next run starts with the others' news too


def test_long_notes_go_whole_in_as_many_robot_posts_as_they_need(app, fakes, world):
    app.config["NOTIFY_DEFAULT_CHANNELS"] = ("wecom", "dingtalk")
    notes = [f"第{n}条：" + NOTE * 6 for n in range(1, 7)]  # about 560 bytes each: three or so to a WeCom post
    for note in notes:
        notice(world.cadre1, "intake_failed", text=note, time="08:30")
    send_due()
    posts = [r.json["text"]["content"] for r in fakes.of("wecom")]
    assert len(posts) > 1 and all(len(post.encode()) <= 2048 for post in posts)
    assert all(sum(note in post for post in posts) == 1 for note in notes)  # each once, whole
    [dingtalk] = fakes.of("dingtalk")  # its posts take 18000 bytes: one post
    assert all(note in dingtalk.json["text"]["content"] for note in notes)
    assert all(d.status == "sent" for d in deliveries())


def test_a_note_too_long_for_any_post_is_shortened_visibly_with_its_link_kept(app, fakes, world):
    app.config["NOTIFY_DEFAULT_CHANNELS"] = ("wecom", "dingtalk")
    written = notice(world.cadre1, "intake_failed", text=NOTE * 30, time="08:30")  # 2700 bytes
    send_due()
    [post] = [r.json["text"]["content"] for r in fakes.of("wecom")]
    assert 2000 < len(post.encode()) <= 2048
    assert post.endswith(f"…\n{SITE}/notifications") and NOTE * 20 in post
    assert NOTE * 30 in fakes.of("dingtalk")[0].json["text"]["content"]
    assert written.id and all(d.status == "sent" for d in deliveries())


def test_texts_to_one_number_carry_a_few_whole_notices_each(fakes, cadre):
    times = [f"0{n}:15" for n in range(1, 8)]
    for at in times:
        notice(cadre, "intake_failed", text=NOTE, time=at)
    send_due()
    texts = [r.json["text"] for r in fakes.of("sms")]
    assert all(len(text) <= 335 and sum(at in text for at in times) <= 3 for text in texts)
    assert sorted(at for text in texts for at in times if at in text) == times
    assert all(text.count(NOTE) == sum(at in text for at in times) for text in texts)


def test_a_push_service_that_does_not_answer_is_tried_once_a_run_and_the_rest_go(app, fakes, cadre):
    app.config.update(NOTIFY_DEFAULT_CHANNELS=("webpush", "sms"), NOTIFY_TIMEOUT=0.5)
    for n in range(3):
        Browser(f"{fakes.base}/push/phone-{n}").subscribe(cadre)
    notice(cadre, "intake_failed", time="08:30")
    fakes.hold(1)
    try:
        counts = send_due()
    finally:
        fakes.release()
    assert (counts.sent, counts.retrying, counts.waiting) == (1, 1, 2)
    pushes = deliveries("webpush")
    assert sorted(d.attempts for d in pushes) == [0, 0, 1] and all(d.status == "pending" for d in pushes)
    assert sum(d.last_error == "no answer in time" for d in pushes) == 1
    assert len(fakes.of("sms")) == 1


@given(note=st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=3000))
def test_a_notice_is_fitted_whole_when_it_fits_and_else_shortened_to_fit_with_its_link(app, note):
    app.config["SITE_URL"] = SITE
    written = Notification(kind="intake_failed", data={"time": "08:30"}, text=note)
    with force_locale("zh_Hans_CN"):
        for channel in (wecom, sms):
            piece, whole = fitted(written, channel.fits), with_link(message(written), written)
            assert channel.fits(piece) and piece.endswith(f"\n{SITE}/notifications")
            if channel.fits(whole):
                assert piece == whole
            else:
                assert piece.endswith(f"…\n{SITE}/notifications") and whole.startswith(piece.split("…\n")[0])

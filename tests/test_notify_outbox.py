"""The sender of the channels' outbox: each delivery sent once however many senders run (threads on the real
database), failures retried with a growing wait up to NOTIFY_MAX_ATTEMPTS then failed, a sender's crash
recovered, and nothing ever sent inside a request: the job (notify-send) sends what a request wrote."""

import threading
from datetime import timedelta

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from casework import jobs
from casework.extensions import db
from casework.models import Case, utcnow
from casework.notify.outbox import STUCK, send_due
from tests.helpers import login_as, valid_form
from tests.notify_support import Browser, deliveries, fake_channels, notice, with_phone


@pytest.fixture
def fakes(app, tmp_path):
    with fake_channels(app, tmp_path, NOTIFY_DEFAULT_CHANNELS=("sms",), NOTIFY_MAX_ATTEMPTS=3) as served:
        yield served


@pytest.fixture
def cadre(world):
    return with_phone(world.cadre1)


def test_a_failing_gateway_is_retried_with_a_growing_wait_then_failed_at_the_limit(fakes, cadre):
    notice(cadre, "intake_failed", time="08:30")
    fakes.failing(10, status=503)
    now = utcnow()
    waits = []
    for _ in range(3):
        counts = send_due(now)
        [delivery] = deliveries("sms")
        waits.append(delivery.next_attempt_at - now)
        assert send_due(now).sent == 0  # not due again at once
        now = delivery.next_attempt_at
    assert delivery.status == "failed" and delivery.attempts == 3 and delivery.last_error == "HTTP 503"
    assert counts.failed == 1 and waits[0] == timedelta(minutes=1) and waits[1] == timedelta(minutes=2)
    fakes.failing(0)
    assert send_due(now + timedelta(days=1)).sent == 0  # failed for good: only an administrator sends it again


def test_a_gateway_back_after_a_failure_gets_the_message_once(fakes, cadre):
    notice(cadre, "intake_failed", time="08:30")
    fakes.failing(1)
    first = send_due()
    later = send_due(utcnow() + timedelta(minutes=2))
    assert (first.retrying, later.sent) == (1, 1)
    assert len(fakes.of("sms")) == 1
    [delivery] = deliveries("sms")
    assert delivery.status == "sent" and delivery.attempts == 2 and delivery.last_error is None


def test_two_senders_at_once_send_each_delivery_once(app, fakes, world, people):
    for user in (world.cadre1, world.cadre1b, world.cadre2, world.cadre3, world.dispatcher):
        user.phone = f"139{user.id:08d}"
    db.session.commit()
    for user in (world.cadre1, world.cadre1b, world.cadre2, world.cadre3, world.dispatcher):
        for _ in range(4):
            notice(user, "intake_failed", time="08:30")
    start = threading.Barrier(2)

    def sender():
        start.wait()
        return send_due(limit=1000)

    a, b = people(), people()
    answers = [a.start(sender), b.start(sender)]
    counts = [a.outcome(x) for x in answers]
    assert sum(c.sent for c in counts) == 20
    assert all(d.status == "sent" for d in deliveries("sms"))
    texts = [r.json["text"] for r in fakes.of("sms")]
    assert sum(t.count("08:30") for t in texts) == 20  # every notice sent, none twice


def test_a_delivery_left_sending_by_a_dead_sender_is_taken_back(fakes, cadre):
    notice(cadre, "intake_failed", time="08:30")
    [delivery] = deliveries("sms")
    delivery.status, delivery.claimed_at = "sending", utcnow()
    db.session.commit()
    assert send_due().sent == 0  # another sender may still be sending it
    counts = send_due(utcnow() + STUCK + timedelta(seconds=1))
    assert (counts.reclaimed, counts.sent) == (1, 1)
    assert len(fakes.of("sms")) == 1


def test_the_outbox_is_never_sent_inside_a_request(app, fakes, cadre):
    notice(cadre, "intake_failed", time="08:30")
    with app.test_request_context("/"), pytest.raises(RuntimeError):
        send_due()
    assert not fakes.received and deliveries("sms")[0].status == "pending"


def test_an_assignment_is_sent_by_the_job_after_the_request_not_during_it(app, client, fakes, cadre, world, make):
    case = make.order(world.v1)
    login_as(client, world.dispatcher)
    answer = client.post(f"/cases/{case.id}/assign", data=valid_form("assign", world, case.version))
    assert answer.status_code == 302 and db.session.get(Case, case.id).assignee_id == cadre.id
    assert not fakes.received and [d.status for d in deliveries("sms")] == ["pending"]
    result = app.test_cli_runner().invoke(args=["notify-send"])
    assert result.exit_code == 0 and "sent 1" in result.output
    [got] = fakes.of("sms")
    assert got.json["to"] == "13900001111" and case.number in got.json["text"]


def test_the_sender_job_is_declared_every_notify_send_seconds_and_sends(app, fakes, cadre):
    app.config["NOTIFY_SEND_SECONDS"] = 30
    scheduler = BackgroundScheduler()
    jobs.declare_jobs(scheduler, app)
    job = scheduler.get_job(jobs.NOTIFY_JOB)
    assert job.trigger.interval == timedelta(seconds=30)
    notice(cadre, "intake_failed", time="08:30")
    assert job.func(*job.args).sent == 1 and len(fakes.of("sms")) == 1


def test_a_channel_set_up_wrong_fails_its_own_deliveries_and_the_others_still_go(app, fakes, cadre, tmp_path):
    broken = tmp_path / "broken.pem"
    broken.write_text("not a key")
    app.config.update(NOTIFY_DEFAULT_CHANNELS=("webpush", "sms"), WEBPUSH_VAPID_PRIVATE_KEY_FILE=str(broken))
    Browser(f"{fakes.base}/push/phone").subscribe(cadre)
    notice(cadre, "intake_failed", time="08:30")
    counts = send_due()
    [push] = deliveries("webpush")
    assert (counts.sent, counts.retrying) == (1, 1) and len(fakes.of("sms")) == 1
    assert push.status == "pending" and push.last_error.startswith("error in Casework: ")


def test_a_gateway_that_is_down_is_tried_once_per_run_and_the_rest_wait_unharmed(fakes, world):
    for user, phone in ((world.cadre1, "13900001111"), (world.cadre2, "13900002222"), (world.cadre3, "13900003333")):
        notice(with_phone(user, phone), "intake_failed", time="08:30")
    fakes.failing(100, status=502)
    counts = send_due()
    assert (counts.retrying, counts.waiting) == (1, 2)
    assert len([r for r in fakes.received if r.channel == "sms"]) == 1
    assert sorted(d.attempts for d in deliveries("sms")) == [0, 0, 1]
    fakes.failing(0)
    assert send_due(utcnow() + timedelta(minutes=2)).sent == 3 and len(fakes.of("sms")) == 3

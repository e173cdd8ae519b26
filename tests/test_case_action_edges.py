"""The case page's actions at their edges: a version conflict met by what the commit writes is told on the case
page as any other conflict (or as the actor's own first tap), and an action whose form serves only the other
kind of case is not found."""

from sqlalchemy import update
from sqlalchemy.orm.attributes import flag_modified

from casework import workflow
from casework.cases import forms
from casework.extensions import db
from casework.models import Case
from tests.helpers import case_in, events_of, login_as, page, valid_form


def _changed_meanwhile(case_id: int) -> None:
    """Someone else's change lands after the service's last flush: the version moves on in the database, not
    in the session, and the case has a change left for the commit to write."""
    case = db.session.get(Case, case_id)
    cases = Case.__table__
    db.session.execute(update(cases).where(cases.c.id == case_id).values(version=cases.c.version + 1))
    flag_modified(case, "state")


def _resolve_then(monkeypatch, after) -> None:
    real = workflow.resolve

    def resolve(case, actor, **arguments):
        event = real(case, actor, **arguments)
        after(case)
        return event

    monkeypatch.setattr(workflow, "resolve", resolve)


def test_a_conflict_met_at_the_commit_shows_the_case_page_with_the_form_and_the_typing(
    world, make, client, monkeypatch
):
    case = case_in(make, world, "order", "assigned")
    _resolve_then(monkeypatch, lambda c: _changed_meanwhile(c.id))
    login_as(client, world.cadre1)
    r = client.post(f"/cases/{case.id}/resolve", data=valid_form("resolve", world, case.version))
    assert r.status_code == 409 and "changed by someone else" in page(r)
    assert f'action="/cases/{case.id}/resolve"' in page(r) and "已调解" in page(r)  # the case page, typing kept
    assert events_of(case) == 0


def test_a_conflict_at_the_commit_with_the_actors_own_first_tap_says_it_is_done(world, make, client, monkeypatch):
    case = case_in(make, world, "order", "assigned")

    def first_tap_lands(c: Case) -> None:
        db.session.commit()  # the first tap's resolution, committed; this request is the second tap
        _changed_meanwhile(c.id)

    _resolve_then(monkeypatch, first_tap_lands)
    login_as(client, world.cadre1)
    r = client.post(f"/cases/{case.id}/resolve", data=valid_form("resolve", world, case.version))
    assert r.status_code == 302 and r.location.endswith(f"/cases/{case.id}")
    assert "You already resolved this case." in page(client.get(r.location))
    assert events_of(case) == 1


def test_an_action_whose_form_serves_only_the_other_kind_is_not_found(world, make, client, monkeypatch):
    case = case_in(make, world, "order", "assigned")
    monkeypatch.delitem(forms.ACTION_FORMS["urge"], "order")  # urge's form, as if registered for disputes only
    login_as(client, world.dispatcher)
    r = client.post(f"/cases/{case.id}/urge", data={"urge-version": case.version})
    assert r.status_code == 404
    assert events_of(case) == 0

"""One action registry: each action is declared once in workflow.ACTIONS, and the case page reads it. Every action
it offers has exactly one form for each kind of case (or a page of its own), and each form's arguments are
what the action's service takes."""

import inspect

import pytest

from casework import workflow
from casework.cases.forms import ACTION_FORMS, ACTION_PAGES, action_form, form_for
from casework.models import Case
from tests.helpers import case_in, login_as

DECLARED = [(a.name, kind) for a in workflow.ACTIONS.values() for kind in sorted(a.kinds)]


@pytest.mark.parametrize(("action", "kind"), DECLARED)
def test_every_action_the_case_page_offers_has_exactly_one_form_or_a_page_of_its_own(action, kind):
    form = form_for(action, Case(kind=kind))
    assert (form is None) == (action in ACTION_PAGES)


def test_forms_are_registered_only_for_declared_actions():
    assert set(ACTION_FORMS) <= set(workflow.ACTIONS)
    assert not set(ACTION_FORMS) & set(ACTION_PAGES)


def test_a_second_form_for_an_action_and_kind_is_refused():
    with pytest.raises(ValueError, match="two forms"):
        action_form("note")(type("AnotherNoteForm", (), {}))
    assert ACTION_FORMS["note"]["order"].__name__ == "NoteForm"


def test_an_undeclared_action_gets_no_form():
    with pytest.raises(KeyError):
        action_form("delete")(type("DeleteForm", (), {}))
    assert "delete" not in ACTION_FORMS


def test_order_and_dispute_resolution_have_separate_forms(world, make, client):
    assert ACTION_FORMS["resolve"]["order"] is not ACTION_FORMS["resolve"]["dispute"]
    login_as(client, world.cadre1)
    order, dispute = (case_in(make, world, kind, "assigned") for kind in ("order", "dispute"))
    order_page, dispute_page = (client.get(f"/cases/{c.id}").get_data(as_text=True) for c in (order, dispute))
    assert 'name="resolve-result"' in order_page and 'name="resolve-result"' in dispute_page
    for field in ("outcome", "agreement_terms", "performance_deadline", "failure_route"):
        assert f'name="resolve-{field}"' not in order_page and f'name="resolve-{field}"' in dispute_page


@pytest.mark.parametrize("action", sorted(workflow.ACTIONS))
def test_every_action_names_a_service_of_the_workflow(action):
    service = workflow.service_of(action)
    assert callable(service) and service.__module__ == "casework.workflow"


@pytest.mark.parametrize(("action", "kind"), [(a, k) for a, k in DECLARED if a not in ACTION_PAGES])
def test_a_form_gives_its_service_only_arguments_it_takes(app, action, kind):
    with app.test_request_context(method="POST"):
        form = form_for(action, Case(kind=kind))(prefix=action, formdata=None, version=1)
        taken = inspect.signature(workflow.service_of(action)).parameters
        assert set(form.arguments()) <= set(taken) - {"case", "actor"}


def test_every_event_of_the_history_has_its_words():
    assert set(workflow.ACTION_LABELS) == set(workflow.ACTIONS) | set(workflow.EVENT_LABELS)
    assert all(a.label for a in workflow.ACTIONS.values())

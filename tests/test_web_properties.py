"""Hypothesis over every route of the web (issue 8, section 3): every form and every query string, with
hostile text (NUL, control characters, lone surrogates in percent-encoding, 10,000 characters, formula
prefixes, huge and negative numbers) sent as each role, logged in or not.

The invariant: no request answers 5xx, and a refusal (4xx) is one of our pages, with its message.

The routes come from app.url_map and the fields from the form classes themselves: a new route or form
that is not listed in web_attack.py fails the first two tests. Each example starts from a valid submission (so that
it reaches the services and the database) and makes a few of its fields hostile, absent or repeated.
"""

import pytest
from flask import current_app
from hypothesis import given, settings
from hypothesis import strategies as st
from wtforms import Form

from casework.cases.forms import ACTION_FORMS
from tests.web_attack import (
    ATTACKED_OTHERWISE,
    ROLES,
    SURFACES,
    act_as,
    assert_transaction_usable,
    draw_request,
    says_why,
    send,
)

CI_EXAMPLES = 40  # the ci profile's max_examples: Surface.examples are scaled by the profile loaded


# --- the properties ----------------------------------------------------------------------------------


def test_every_route_of_the_app_is_attacked_or_says_why_not(app):
    assert {r.endpoint for r in app.url_map.iter_rules()} == set(SURFACES)


def test_every_form_of_the_web_is_attacked():
    attacked = {s.form for s in SURFACES.values()} | {f for forms in ACTION_FORMS.values() for f in forms.values()}
    assert _form_classes() - attacked == ATTACKED_OTHERWISE


def _form_classes() -> set[type]:
    found, todo = set(), [Form]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("casework."):
            found.add(cls)
    return found


@pytest.mark.parametrize("endpoint", sorted(e for e, s in SURFACES.items() if not s.skip))
def test_no_request_to_a_route_answers_5xx(township, client, endpoint):
    """Any role (mostly those who can reach the route), any of its parameters, any text: never a 5xx;
    a refusal is our page with its message."""
    rule = next(r for r in current_app.url_map.iter_rules() if r.endpoint == endpoint)
    surface = SURFACES[endpoint]

    @settings(max_examples=max(1, surface.examples * settings().max_examples // CI_EXAMPLES))
    @given(data=st.data())
    def attack(data):
        role = data.draw(st.sampled_from(surface.reach * 3 + ROLES), label="role")
        act_as(client, township, role)
        drawn = draw_request(data, township, rule, surface)
        response = send(client, drawn)
        assert_transaction_usable(f"{drawn} answered {response.status_code}")
        assert response.status_code < 500, f"{drawn.method} {drawn.path} as {role}: {response.status_code}"
        if response.status_code >= 400:
            assert says_why(response), (
                f"{drawn.method} {drawn.path} as {role}: {response.status_code} without a message"
            )

    attack()

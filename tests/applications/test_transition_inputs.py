"""The limits of the stage data are those of the transition table's input forms, wherever the
data comes in: the API's input serializers and the pages' `maxlength`."""

import pytest
from django import forms
from django.template import Context, Template

from applications.api.permits import PermitDecisionSerializer
from applications.api.serializers import STAGE_FIELDS, TransitionInputSerializer
from applications.workflow import (
    COMMENT_MAX_LENGTH,
    ESCALATION,
    PERMIT,
    SERVICE,
    input_fields,
    input_max_length,
)

LIMITS = ("max_length", "min_value", "max_value", "max_digits", "decimal_places")
MACHINES = {"service": SERVICE, "permit": PERMIT, "escalation": ESCALATION}


def _limits(field) -> dict:
    return {name: getattr(field, name) for name in LIMITS if getattr(field, name, None) is not None}


@pytest.mark.parametrize("machine", MACHINES.values(), ids=list(MACHINES))
def test_forms_that_share_an_input_share_its_limits(machine):
    fields = input_fields(machine)
    for transition in machine.transitions.values():
        if transition.input_form is None:
            continue
        for name, field in transition.input_form.base_fields.items():
            assert _limits(field) == _limits(fields[name]), (transition.name, name)


def test_the_api_takes_every_stage_input_with_the_limits_of_the_table():
    serializer_fields = TransitionInputSerializer().fields
    assert set(STAGE_FIELDS) == set(input_fields(SERVICE))
    for name, field in input_fields(SERVICE).items():
        given = serializer_fields[name]
        if isinstance(field, forms.MultipleChoiceField):
            assert set(given.child.choices) == {value for value, _label in field.choices}
            assert given.max_length == len(field.choices)
        else:
            assert _limits(given) == _limits(field), name
    assert serializer_fields["comment"].max_length == COMMENT_MAX_LENGTH


def test_the_permit_decision_api_takes_the_reason_the_table_allows():
    reason = PermitDecisionSerializer().fields["reason"]
    assert reason.max_length == input_fields(PERMIT)["reason"].max_length


def test_the_api_refuses_stage_data_beyond_the_table_limits():
    plan = input_fields(SERVICE)["plan"].max_length
    serializer = TransitionInputSerializer(
        data={"transition": "issue_plan", "plan": "x" * (plan + 1), "fee_quote_cny": "-1"}
    )
    assert not serializer.is_valid()
    assert set(serializer.errors) == {"plan", "fee_quote_cny"}


@pytest.mark.parametrize(
    ("machine", "name"),
    [("service", "comment"), ("service", "reason"), ("permit", "reason"), ("escalation", "note")],
)
def test_the_pages_maxlength_comes_from_the_table(machine, name):
    rendered = Template("{% load applicant_extras %}{% input_max_length machine name %}").render(
        Context({"machine": machine, "name": name})
    )
    expected = input_max_length(MACHINES[machine], name)
    assert expected is not None
    assert rendered == str(expected)

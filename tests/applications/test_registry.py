"""The registry is the one place that says which documents a request needs, which stages an
application goes through and which details a correction may not change."""

import pytest
from django.utils import translation
from django_fsm import can_proceed

from applications.constants import DocumentType, ServiceStatus
from applications.models import ServiceApplication
from applications.registry import (
    DOCUMENT_RULES,
    UTILITIES,
    clean_details,
    document_unmet,
    documents_required,
    planned_stages,
    utilities_needing,
)
from applications.views.display import stage_steps
from tests.factories import DETAILS

S = ServiceStatus
THREE_ZERO = dict(DETAILS["electricity"], voltage_level="380v", capacity_kva="100")

# The operator's and applicant's forward moves, in the order a case meets them.
HAPPY_PATH = [
    ("accept", {}),
    ("start_survey", {}),
    ("start_construction", {}),
    ("issue_plan", {"survey_result": "ok", "plan": "ok", "fee_quote_cny": "0"}),
    ("confirm_plan", {}),
    ("permits_approved", {}),
    ("complete_construction", {}),
    ("connect", {}),
    ("close", {}),
]


def _plans():
    for utility in UTILITIES:
        yield utility, UTILITIES[utility].stage_plan(clean_details(utility, DETAILS[utility]))
    yield (
        "electricity (三零)",
        UTILITIES["electricity"].stage_plan(clean_details("electricity", THREE_ZERO)),
    )


def _walk(sa: ServiceApplication, permits: list[str]) -> list[str]:
    visited = [sa.status]
    while sa.status != S.CLOSED:
        for name, data in HAPPY_PATH:
            method = getattr(sa, name)
            if can_proceed(method):
                if name == "issue_plan":
                    data = dict(data, required_permits=permits)
                method(**data)
                visited.append(sa.status)
                break
        else:
            raise AssertionError(f"stuck in {sa.status}")
    return visited


@pytest.mark.parametrize("permits", [[], ["planning", "road_excavation"]])
@pytest.mark.parametrize(("name", "plan"), list(_plans()), ids=[n for n, _p in _plans()])
def test_the_planned_stages_are_the_states_the_state_machine_walks(name, plan, permits):
    sa = ServiceApplication(status=S.SUBMITTED, **plan.fields())
    visited = _walk(sa, permits)
    assert visited == planned_stages(sa)


def test_fast_track_skips_survey_plan_permits_and_inspection():
    plan = UTILITIES["cable_tv"].stage_plan(clean_details("cable_tv", DETAILS["cable_tv"]))
    sa = ServiceApplication(status=S.SUBMITTED, **plan.fields())
    assert planned_stages(sa) == [S.SUBMITTED, S.ACCEPTED, S.CONSTRUCTING, S.CONNECTED, S.CLOSED]


def test_a_case_back_from_the_permits_keeps_the_permits_stage():
    sa = ServiceApplication(
        status=S.RETURNED, fast_track=False, needs_inspection=True, returned_from=S.PERMITTING
    )
    assert S.PERMITTING in planned_stages(sa)


def test_the_applicant_timeline_shows_the_planned_stages():
    sa = ServiceApplication(
        status=S.SURVEYING, fast_track=False, needs_inspection=True, required_permits=[]
    )
    assert [step.status for step in stage_steps(sa)] == planned_stages(sa)


def test_the_utilities_needing_a_document_are_those_whose_list_names_it():
    for doc_type in DocumentType.values:
        needing = utilities_needing(doc_type)
        assert needing == [u for u in UTILITIES if doc_type in documents_required([u])]
        assert utilities_needing(doc_type, among=["cable_tv", "gas"]) == [
            u for u in needing if u in ("gas", "cable_tv")
        ]
    assert utilities_needing(DocumentType.GAS_EQUIPMENT) == ["gas"]
    assert utilities_needing(DocumentType.BUSINESS_LICENCE, among=[]) == []


@pytest.mark.parametrize("doc_type", DocumentType.values)
def test_a_document_is_met_by_an_upload_or_by_a_commitment_where_one_may_replace_it(doc_type):
    allowed = DOCUMENT_RULES[doc_type].commitment_allowed
    with translation.override("en"):
        assert document_unmet(doc_type, uploaded=True, committed=False) == ""
        assert document_unmet(doc_type, uploaded=True, committed=True) == ""
        committed = document_unmet(doc_type, uploaded=False, committed=True)
        missing = document_unmet(doc_type, uploaded=False, committed=False)
    if allowed:
        assert committed == ""
        assert missing == "Upload this document or sign the commitment instead."
    else:
        assert committed == "A commitment cannot replace this document; upload it."
        assert missing == "Upload this document."


def test_only_network_fixes_details_a_correction_may_not_change():
    fixed = {u: spec.fixed_details for u, spec in UTILITIES.items() if spec.fixed_details}
    assert fixed == {"network": ("preferred_carriers", "tower_needed")}
    for utility, names in fixed.items():
        assert set(names) <= set(UTILITIES[utility].details_form.base_fields)

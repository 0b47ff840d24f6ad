"""承诺制 followed through: each commitment falls due at a stage of the case or on a working day,
the agency that issues the document verifies it or records the promise broken, a broken one
pauses or stops the case by the document's rule, and no case is connected or closed while a
commitment it relies on is unverified."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from applications.constants import BreachAction, CommitmentStatus, ServiceStatus
from applications.models import CommitmentEvent
from applications.registry import COMMITMENT_RULES, DOCUMENT_RULES
from applications.services import (
    combined_application_submit,
    commitment_breach,
    commitment_supply,
    commitment_verify,
    commitments_fall_due,
    service_application_transition,
)
from core.errors import IllegalTransition, NotFound, PermissionDenied
from tests.factories import PDF_BYTES, staff_of, submission

WATER_PLAN = {
    "survey_result": "市政管网压力满足",
    "plan": "DN100接驳翠亨大道市政给水管",
    "fee_quote_cny": "5600.50",
    "required_permits": [],
}


@pytest.fixture
def water_case(applicant_org, applicant, project):
    """A water request that signed commitments for every document 承诺制 allows."""
    combined = combined_application_submit(
        actor=applicant,
        applicant=applicant_org,
        project=project,
        data=submission(applicant, applicant_org, ["water"], commit_where_allowed=True),
    )
    return combined, combined.services.get()


def _pdf(name="permit.pdf"):
    return SimpleUploadedFile(name, PDF_BYTES + name.encode(), "application/pdf")


def _to_construction(sa, applicant):
    operator = staff_of("zs-water")
    for name, data in (("accept", None), ("start_survey", None), ("issue_plan", WATER_PLAN)):
        sa = service_application_transition(
            actor=operator, service_application=sa, transition=name, data=data
        )
    return service_application_transition(
        actor=applicant, service_application=sa, transition="confirm_plan"
    )


def _commitment(combined, doc_type):
    return combined.commitments.get(doc_type=doc_type)


def test_every_document_a_commitment_may_replace_has_a_rule():
    allowed = {d for d, rule in DOCUMENT_RULES.items() if rule.commitment_allowed}
    assert allowed == set(COMMITMENT_RULES)


@pytest.mark.django_db
def test_signing_fixes_due_point_agency_and_rule(water_case):
    combined, sa = water_case
    planning = _commitment(combined, "planning_permit")
    assert planning.verifier.code == "natural-resources"
    assert planning.due_stage == ServiceStatus.CONSTRUCTING
    assert planning.due_on > timezone.localdate()
    assert planning.on_breach == BreachAction.PAUSE
    assert _commitment(combined, "construction_permit").verifier.code == "housing"
    assert _commitment(combined, "property_right").on_breach == BreachAction.STOP
    assert sa.unverified_commitments == 3


@pytest.mark.django_db
def test_commitment_falls_due_when_the_case_reaches_its_stage(water_case, applicant):
    combined, sa = water_case
    assert commitments_fall_due().marked == 0
    _to_construction(sa, applicant)
    assert commitments_fall_due().marked == 2  # planning permit and property right
    assert commitments_fall_due().marked == 0  # marked once
    construction = _commitment(combined, "construction_permit")
    assert construction.fell_due_at is None
    # Its working day comes: due too.
    later = timezone.now() + dt.timedelta(days=60)
    assert commitments_fall_due(now=later).marked == 1
    assert CommitmentEvent.objects.filter(transition="fall_due").count() == 3


@pytest.mark.django_db
def test_supplied_and_verified_commitment_lets_the_case_connect(water_case, applicant):
    combined, sa = water_case
    sa = _to_construction(sa, applicant)
    operator = staff_of("zs-water")
    sa = service_application_transition(
        actor=operator, service_application=sa, transition="complete_construction"
    )
    with pytest.raises(IllegalTransition, match="项承诺（承诺制）未经核验"):
        service_application_transition(
            actor=operator,
            service_application=sa,
            transition="connect",
            data={"inspection_result": "合格"},
        )
    for doc_type in ("property_right", "planning_permit", "construction_permit"):
        commitment = commitment_supply(
            actor=applicant, commitment=_commitment(combined, doc_type), upload=_pdf(doc_type)
        )
        assert commitment.status == CommitmentStatus.SUBMITTED
        verifier = staff_of(commitment.verifier.code)
        commitment_verify(actor=verifier, commitment=commitment)
    sa.refresh_from_db()
    assert sa.unverified_commitments == 0
    sa = service_application_transition(
        actor=operator,
        service_application=sa,
        transition="connect",
        data={"inspection_result": "合格"},
    )
    assert sa.status == ServiceStatus.CONNECTED


@pytest.mark.django_db
def test_breach_pauses_the_case_and_a_verified_document_resumes_it(water_case, applicant):
    combined, sa = water_case
    sa = _to_construction(sa, applicant)
    commitments_fall_due()
    planning = _commitment(combined, "planning_permit")
    agency = staff_of("natural-resources")
    commitment_breach(actor=agency, commitment=planning, reason="规划许可证未按期提交")
    sa.refresh_from_db()
    assert sa.status == ServiceStatus.SUSPENDED
    assert sa.paused_since is not None  # the applicant's time: the clock waits
    assert sa.history.last().comment == "规划许可证未按期提交"
    # The paused case is saved by the document.
    planning = commitment_supply(actor=applicant, commitment=planning, upload=_pdf())
    commitment_verify(actor=agency, commitment=planning)
    sa.refresh_from_db()
    assert sa.status == ServiceStatus.CONSTRUCTING
    assert sa.paused_since is None


@pytest.mark.django_db
def test_breach_of_a_stop_rule_stops_the_case(water_case, applicant):
    combined, sa = water_case
    _to_construction(sa, applicant)
    commitments_fall_due()
    land = _commitment(combined, "property_right")
    commitment_breach(actor=staff_of("natural-resources"), commitment=land, reason="土地权属不实")
    sa.refresh_from_db()
    assert sa.status == ServiceStatus.REJECTED
    with pytest.raises(IllegalTransition):
        commitment_supply(actor=applicant, commitment=land, upload=_pdf())


@pytest.mark.django_db
def test_a_commitment_cannot_be_found_broken_before_it_is_due(water_case):
    combined, _sa = water_case
    with pytest.raises(IllegalTransition, match="该承诺尚未到期"):
        commitment_breach(
            actor=staff_of("natural-resources"),
            commitment=_commitment(combined, "planning_permit"),
            reason="太早",
        )


@pytest.mark.django_db
def test_only_the_verifying_agency_decides(water_case, applicant):
    combined, _sa = water_case
    planning = commitment_supply(
        actor=applicant, commitment=_commitment(combined, "planning_permit"), upload=_pdf()
    )
    with pytest.raises(NotFound):
        commitment_verify(actor=staff_of("housing"), commitment=planning)
    with pytest.raises(PermissionDenied):
        commitment_verify(actor=applicant, commitment=planning)
    planning.refresh_from_db()
    assert planning.status == CommitmentStatus.SUBMITTED

"""The services behind the portal pages, called directly: the rules hold without the views."""

import pytest
from django.core.exceptions import ValidationError

from applications.constants import ProjectSource, ServiceStatus
from applications.models import Draft, Rating
from applications.selectors.commitments import commitment_text_current
from applications.services import (
    draft_create,
    draft_save,
    draft_submit,
    project_claim,
    service_application_correct,
    service_application_rate,
    service_application_transition,
)
from core.errors import IllegalTransition, NotFound, PermissionDenied
from tests.factories import ProjectFactory, upload, verify
from workgroups.models import Organization

pytestmark = pytest.mark.django_db


def _pushed(owner_credit_code=""):
    return ProjectFactory(
        owner=None,
        source=ProjectSource.SHARED_DATA,
        source_organization=Organization.objects.get(code="natural-resources"),
        owner_credit_code=owner_credit_code,
    )


def test_an_operator_cannot_claim_a_pushed_project(operator_staff):
    pushed = _pushed()
    staff = operator_staff("csg-zhongshan")
    with pytest.raises(PermissionDenied):
        project_claim(actor=staff, owner=staff.memberships.get().organization, code=pushed.code)


def test_a_project_entered_by_an_applicant_cannot_be_claimed(
    applicant, applicant_org, rival, rival_org
):
    verify(rival_org)
    own = ProjectFactory(owner=applicant_org)
    with pytest.raises(NotFound):
        project_claim(actor=rival, owner=rival_org, code=own.code)


def test_claim_errors_are_field_errors_and_leave_the_project_unclaimed(applicant, verified_org):
    applicant_org = verified_org
    pushed = _pushed(applicant_org.unified_social_credit_code)
    with pytest.raises(ValidationError) as exc:
        project_claim(actor=applicant, owner=applicant_org, code=pushed.code, name="")
    assert "name" in exc.value.message_dict
    pushed.refresh_from_db()
    assert pushed.owner is None


def test_a_draft_refuses_another_companys_document(
    applicant, applicant_org, project, rival, rival_org
):
    draft = draft_create(actor=applicant, owner=applicant_org, project=project)
    foreign = upload(rival, rival_org, "business_licence")
    with pytest.raises(ValidationError):
        draft_save(actor=applicant, draft=draft, data={}, documents={"business_licence": foreign})


def test_a_draft_is_submitted_once_even_when_called_twice(applicant, applicant_org, project):
    draft = draft_create(actor=applicant, owner=applicant_org, project=project)
    licence = upload(applicant, applicant_org, "business_licence")
    auth = upload(applicant, applicant_org, "authorisation")
    data = {
        "business_type": "new_connection",
        "utilities": ["cable_tv"],
        "details": {"cable_tv": {"service_type": "tv", "terminals": "8"}},
        "commitments": ["property_right"],
    }
    draft = draft_save(
        actor=applicant,
        draft=draft,
        data=data,
        documents={"business_licence": licence, "authorisation": auth},
    )
    wording = commitment_text_current().pk
    first = draft_submit(
        actor=applicant,
        draft=draft,
        client_token=str(draft.client_token),
        commitment_wording=wording,
    )
    second = draft_submit(actor=applicant, draft=draft, client_token=str(draft.client_token))
    assert first == second
    assert first.commitments.get().doc_type == "property_right"
    assert Draft.objects.get().combined == first


def test_only_the_applicant_answers_a_correction(submit, operator_staff):
    sa = submit(["cable_tv"]).services.get()
    staff = operator_staff(sa.operator.code)
    sa = service_application_transition(
        actor=staff,
        service_application=sa,
        transition="return_for_correction",
        data={"reason": "补正"},
    )
    with pytest.raises(PermissionDenied):
        service_application_correct(actor=staff, service_application=sa, comment="x")


def test_a_correction_needs_a_returned_application(submit, applicant):
    sa = submit(["cable_tv"]).services.get()
    with pytest.raises(IllegalTransition):
        service_application_correct(actor=applicant, service_application=sa)


def test_network_carriers_cannot_change_in_a_correction(submit, applicant, operator_staff):
    sa = submit(["network"]).services.get()
    sa = service_application_transition(
        actor=operator_staff(sa.operator.code),
        service_application=sa,
        transition="return_for_correction",
        data={"reason": "带宽有误"},
    )
    details = dict(sa.details, preferred_carriers=["mobile"])
    with pytest.raises(ValidationError) as exc:
        service_application_correct(actor=applicant, service_application=sa, details=details)
    assert "details.preferred_carriers" in exc.value.message_dict
    sa.refresh_from_db()
    assert sa.status == ServiceStatus.RETURNED


def test_a_correction_cannot_link_another_utilitys_document(
    submit, applicant, applicant_org, operator_staff
):
    sa = submit(["cable_tv"]).services.get()
    sa = service_application_transition(
        actor=operator_staff(sa.operator.code),
        service_application=sa,
        transition="return_for_correction",
        data={"reason": "补正"},
    )
    gas_list = upload(applicant, applicant_org, "gas_equipment")
    with pytest.raises(ValidationError):
        service_application_correct(
            actor=applicant, service_application=sa, documents={"gas_equipment": gas_list}
        )


def test_the_operator_cannot_rate_its_own_work(submit, operator_staff):
    sa = submit(["cable_tv"]).services.get()
    staff = operator_staff(sa.operator.code)
    for name in ("accept", "start_construction", "connect"):
        sa = service_application_transition(actor=staff, service_application=sa, transition=name)
    with pytest.raises(PermissionDenied):
        service_application_rate(actor=staff, service_application=sa, level="very_satisfied")
    assert not Rating.objects.exists()


def test_a_good_rating_needs_no_follow_up(submit, applicant, operator_staff):
    sa = submit(["cable_tv"]).services.get()
    staff = operator_staff(sa.operator.code)
    for name in ("accept", "start_construction", "connect"):
        sa = service_application_transition(actor=staff, service_application=sa, transition=name)
    with pytest.raises(ValidationError):
        service_application_rate(actor=applicant, service_application=sa, level="meh")
    rating = service_application_rate(actor=applicant, service_application=sa, level="satisfied")
    assert rating.follow_up_due_at is None

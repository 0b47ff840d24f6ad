"""Building the combined request form as a browser would post it, and an operator's plan."""

from django.core.files.uploadedfile import SimpleUploadedFile

from applications.registry import DOCUMENT_RULES, documents_required
from applications.services import service_application_transition
from tests.factories import DETAILS, PDF_BYTES


def pdf(name: str, marker: str = "") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES + marker.encode(), "application/pdf")


def request_post(utilities, *, action="review", upload=True, commit=False, **extra) -> dict:
    """Form data for `utilities`: details, and every required document uploaded once
    (or, with `commit`, a commitment wherever the policy allows one)."""
    data = {"business_type": "new_connection", "utilities": list(utilities), "action": action}
    for utility in utilities:
        for name, value in DETAILS[utility].items():
            data[f"{utility}-{name}"] = value
    commitments = []
    for doc_type in documents_required(list(utilities)):
        if commit and DOCUMENT_RULES[doc_type].commitment_allowed:
            commitments.append(doc_type)
        elif upload:
            data[f"file-{doc_type}"] = pdf(f"{doc_type}.pdf", doc_type)
    if commitments:
        data["commit"] = commitments
    data.update(extra)
    return data


# An operator's survey result and plan with a fee and no outside-line permits (`issue_plan`).
PLAN = {
    "survey_result": "现场具备接入条件",
    "plan": "由10kV翠亨线T接,新建箱变一台",
    "fee_quote_cny": "12800.00",
    "required_permits": [],
}


def plan_issued(sa, *, actor, plan=PLAN):
    """`sa` accepted, surveyed and given `plan` by `actor`, its operator's staff."""
    for step, data in (("accept", {}), ("start_survey", {}), ("issue_plan", plan)):
        sa = service_application_transition(
            actor=actor, service_application=sa, transition=step, data=data
        )
    return sa

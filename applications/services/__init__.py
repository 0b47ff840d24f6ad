"""Every write path of the cases (HackSoft services): atomic, audited, permission-checked."""

from .claims import project_claim
from .commitments import (
    commitment_breach,
    commitment_supply,
    commitment_text_publish,
    commitment_text_seed,
    commitment_verify,
    commitments_fall_due,
)
from .corrections import service_application_correct
from .documents import document_store, project_document_share
from .drafts import draft_create, draft_delete, draft_save, draft_submit
from .escalations import escalation_acknowledge, escalation_resolve, sla_sweep
from .fees import PaymentResult, fee_payment_record
from .permits import permit_request_decide
from .projects import project_create, project_update
from .ratings import service_application_rate
from .submission import SubmissionInput, combined_application_submit, combined_application_withdraw
from .transitions import service_application_transition, service_applications_transition_each

__all__ = [
    "SubmissionInput",
    "combined_application_submit",
    "combined_application_withdraw",
    "commitment_breach",
    "commitment_supply",
    "commitment_text_publish",
    "commitment_text_seed",
    "commitment_verify",
    "commitments_fall_due",
    "document_store",
    "project_document_share",
    "draft_create",
    "draft_delete",
    "draft_save",
    "draft_submit",
    "escalation_acknowledge",
    "escalation_resolve",
    "fee_payment_record",
    "PaymentResult",
    "permit_request_decide",
    "project_claim",
    "project_create",
    "project_update",
    "service_application_correct",
    "service_application_rate",
    "service_application_transition",
    "service_applications_transition_each",
    "sla_sweep",
]

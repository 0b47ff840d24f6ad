"""Every write path of the cases (HackSoft services): atomic, audited, permission-checked."""

from .documents import document_store
from .permits import permit_request_decide
from .projects import project_create, project_update
from .submission import SubmissionInput, combined_application_submit, combined_application_withdraw
from .transitions import service_application_transition, transitions_available

__all__ = [
    "SubmissionInput",
    "combined_application_submit",
    "combined_application_withdraw",
    "document_store",
    "permit_request_decide",
    "project_create",
    "project_update",
    "service_application_transition",
    "transitions_available",
]

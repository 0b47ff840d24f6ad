"""The staff site beside the Django admin: queues, case pages, the escalations inbox, the
working-day calendar and the organisation's API tokens.

Views are thin: parse the request, call one selector or service from `selectors.staff` /
`services`, render. Domain errors map once: IllegalTransition -> 409, PermissionDenied -> 403,
ValidationError -> 200 with the form re-rendered and the error summary, NotFound (or not
visible) -> 404.
"""

from .api_tokens import api_token_revoke_view, api_token_rotate_view, api_tokens
from .calendar import calendar
from .case import case, case_payment, case_transition, permit_decide
from .escalations import escalation_ack, escalation_res, escalations
from .identity import companies, company_decide, dispute_decide, disputes
from .projects import project, projects
from .queue import home, queue, queue_bulk

__all__ = [
    "api_token_revoke_view",
    "api_token_rotate_view",
    "api_tokens",
    "calendar",
    "companies",
    "company_decide",
    "dispute_decide",
    "disputes",
    "project",
    "projects",
    "case",
    "case_payment",
    "case_transition",
    "escalation_ack",
    "escalation_res",
    "escalations",
    "home",
    "permit_decide",
    "queue",
    "queue_bulk",
]

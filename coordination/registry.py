"""The working-day limits of the workgroups' own work, in one place (docs/coordination.md).

Demands and suggestions (诉求与建议), counted in working days on the working-day calendar, the
day of receipt not counting:
- acknowledged within 1 working day of receipt;
- answered within 5 working days of receipt;
- answered again within 5 working days when the submitter says the answer did not solve it
  (once: a second "not solved" closes the demand with that verdict);
- an answer waits 10 working days for the submitter's verdict, then the demand closes by itself.
A missed acknowledgement or answer escalates like a case (tier 1 the workgroup's lead agencies,
2 the leadership office, 3 the leading group, after the escalation tiers' working days).
"""

from django.utils.translation import gettext_lazy as _

from .clock import FROM_SUBMISSION, LAPSE, Limit, Limits
from .constants import DemandStatus, FollowUpStatus

DEMAND_LIMITS: Limits = {
    DemandStatus.SUBMITTED: Limit(1, _("Acknowledgement"), counted_from=FROM_SUBMISSION),
    DemandStatus.ACKNOWLEDGED: Limit(5, _("Answer"), counted_from=FROM_SUBMISSION),
    DemandStatus.REOPENED: Limit(5, _("Answer after reopening")),
    DemandStatus.ANSWERED: Limit(10, _("Submitter's verdict"), on_breach=LAPSE),
}

# Follow-up of a bad rating (回访): called and answered (cause and fix) within 15 working days of
# the rating, or it escalates like a case; the answer then waits 10 working days for the
# applicant's second rating, after which the follow-up closes by itself.
FOLLOW_UP_LIMITS: Limits = {
    FollowUpStatus.OPEN: Limit(15, _("Follow-up"), counted_from=FROM_SUBMISSION),
    FollowUpStatus.CALLED: Limit(15, _("Follow-up"), counted_from=FROM_SUBMISSION),
    FollowUpStatus.ANSWERED: Limit(10, _("Applicant's second rating"), on_breach=LAPSE),
}
# A meeting's action item is due on the working day the meeting sets (ActionItem.due_day): it
# stamps its own deadline (the midnight ending that day) and needs no limit; a missed due day
# escalates like a case (coordination/workflow.py ACTION_ITEM.escalates_in).
ACTION_ITEM_LIMITS: Limits = {}
# A rating invitation reaches the applicant this many working days after connection.
RATING_INVITATION_WORKING_DAYS = 3

# The deadlines of receipt, stamped on the demand for the analysis (answered on time or not).
ACKNOWLEDGE_WORKING_DAYS = DEMAND_LIMITS[DemandStatus.SUBMITTED].working_days
ANSWER_WORKING_DAYS = DEMAND_LIMITS[DemandStatus.ACKNOWLEDGED].working_days
# How often "not solved" sends a demand back to the workgroup.
MAX_REOPENINGS = 1

# What a submission may carry.
TITLE_MAX_LENGTH = 100
DESCRIPTION_MAX_LENGTH = 4000
ADDRESS_MAX_LENGTH = 200
ANSWER_MAX_LENGTH = 4000
ATTACHMENTS_MAX = 5

# Policy notices (政策推送). A company's type is read from the first two characters of its unified
# social credit code (registration authority + entity category, GB 32100-2015).
COMPANY_TYPE_CODE_PREFIXES: dict[str, tuple[str, ...]] = {
    "enterprise": ("91",),
    "individual_business": ("92",),
    "cooperative": ("93",),
    "public_institution": ("12",),
    "social_organisation": ("51", "52", "53"),
}
# Videos are served by the portal itself (with byte ranges); larger films belong on a video site
# and come as a link.
NOTICE_VIDEO_MAX_BYTES = 100 * 1024 * 1024
NOTICE_ATTACHMENTS_MAX = 5
NOTICE_TITLE_MAX = 120

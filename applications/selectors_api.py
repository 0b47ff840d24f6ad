"""Reads for the operator and data-exchange API, each starting from the calling organisation.

Kept beside selectors.py (not in it) while the applicant portal work edits that module; they
can be merged once both have landed.
"""

from collections import Counter

from django.db.models import Count, Prefetch, QuerySet
from django.utils import timezone
from django_fsm import can_proceed
from guardian.core import ObjectPermissionChecker

from workgroups.models import Organization

from .constants import DocumentSource, ProjectSource, ServiceStatus, Utility
from .models import (
    OPERATOR_PERM,
    TRANSITION_PERMISSIONS,
    Commitment,
    Document,
    DocumentLink,
    PermitRequest,
    Project,
    ServiceApplication,
)
from .selectors import work_items_for_operator
from .selectors_public import transparency_figures

# The list's columns, by the WorkItemRowSerializer field they feed: one table, no join.
WORK_ITEM_ROW_FIELDS = ("uuid", "utility", "status", "due_at", "paused_since", "updated_at")


def work_item_rows_for_operator(*, organization: Organization) -> QuerySet:
    """The operator's items as flat rows (dicts) of exactly what the list shows, read from
    the index (operator, updated_at) without a join (the business_type filter adds one).

    The incremental sync's hot path: model instances of the item and its related rows cost
    ~15 ms a page of 100; these rows well under 1 ms.
    """
    return (
        ServiceApplication.objects.filter(operator=organization)
        .order_by("updated_at", "pk")
        .values(*WORK_ITEM_ROW_FIELDS)
    )


def work_item_details_for_operator(*, organization: Organization) -> QuerySet:
    """The operator's items with everything the detail view shows, in a fixed number of
    queries: documents, commitments, permits, the applicant's contact and the lease."""
    return (
        work_items_for_operator(organization=organization)
        .select_related("combined__submitted_by", "lease")
        .prefetch_related(
            Prefetch(
                "document_links",
                queryset=DocumentLink.objects.select_related("document").order_by("doc_type"),
            ),
            Prefetch("combined__commitments", queryset=Commitment.objects.order_by("doc_type")),
            Prefetch(
                "permits",
                queryset=PermitRequest.objects.select_related("agency").order_by(
                    "permit_type", "round"
                ),
            ),
        )
    )


OPERATOR_TRANSITIONS = tuple(
    name for name, perm in TRANSITION_PERMISSIONS.items() if perm == OPERATOR_PERM
)


def operator_transitions_available(*, user, service_application: ServiceApplication) -> list[str]:
    """The operator transitions `user` may perform now: the FSM's conditions and the same
    object permission its transitions declare, read with one permission lookup instead of
    one per transition."""
    granted = set(ObjectPermissionChecker(user).get_perms(service_application))
    return [
        name
        for name in OPERATOR_TRANSITIONS
        if TRANSITION_PERMISSIONS[name].split(".", 1)[1] in granted
        and can_proceed(getattr(service_application, name))
    ]


def permits_for_agency(*, organization: Organization) -> QuerySet:
    """The permit requests the agency decides, with the application as read-only context."""
    return (
        PermitRequest.objects.filter(agency=organization)
        .select_related(
            "agency",
            "service_application__operator",
            "service_application__combined__project__town",
        )
        .prefetch_related(
            Prefetch(
                "service_application__document_links",
                queryset=DocumentLink.objects.select_related("document").order_by("doc_type"),
            )
        )
        .order_by("updated_at", "pk")
    )


def projects_pushed_by(*, organization: Organization) -> QuerySet:
    """Projects the department pushed from shared data, claimed or not."""
    return (
        Project.objects.filter(source_organization=organization, source=ProjectSource.SHARED_DATA)
        .select_related("town", "source_organization")
        .order_by("updated_at", "pk")
    )


def project_documents_shared_by(*, organization: Organization, project: Project) -> QuerySet:
    """The documents the department itself shared with the project it pushed (not the
    copies an applicant got by claiming it)."""
    return Document.objects.filter(
        owner=organization, project=project, source=DocumentSource.SHARED_DATA
    ).order_by("doc_type", "created_at", "pk")


def public_stats() -> dict:
    """Per utility: applications by status and how many are connected (live counts), and the
    median working days from submission to connection over the last 12 months, the figure the
    transparency page publishes (the indicators rollup; None on the embedded SQLite database
    or before a utility's first connection). No personal data: only counts."""
    by_status: dict[str, Counter[str]] = {utility: Counter() for utility in Utility.values}
    rows = (
        ServiceApplication.objects.exclude(status=ServiceStatus.DRAFT)
        .values_list("utility", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for utility, status, n in rows:
        by_status[utility][status] += n
    published = {row["utility"]: row for row in transparency_figures()["utilities"]}
    return {
        "generated_at": timezone.now(),
        "utilities": [
            {
                "utility": utility,
                "total": sum(by_status[utility].values()),
                "by_status": {
                    status: by_status[utility][status]
                    for status in ServiceStatus.values
                    if status != ServiceStatus.DRAFT
                },
                "connected": by_status[utility][ServiceStatus.CONNECTED]
                + by_status[utility][ServiceStatus.CLOSED],
                "median_working_days_to_connect": published[utility].get("working_days_median"),
            }
            for utility in Utility.values
        ],
    }

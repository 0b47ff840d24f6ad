"""What an operator organisation reads: its work items, as the list's flat rows and as the
detail view's full rows, and the history of one item (the operator API and its sync)."""

import datetime as dt
from typing import Any

from django.db import connections, router
from django.db.models import Prefetch, QuerySet

from workgroups.models import Organization

from ..models import (
    Commitment,
    DocumentLink,
    FeePayment,
    PermitRequest,
    ServiceApplication,
    StateChange,
)
from .common import with_fees

# The list's columns, by the WorkItemRowSerializer field they feed: one table, no join.
WORK_ITEM_ROW_FIELDS = ("uuid", "utility", "status", "due_at", "paused_since", "updated_at")


def work_items_for_operator(*, organization: Organization) -> QuerySet:
    """Service applications assigned to the operator."""
    return (
        ServiceApplication.objects.filter(operator=organization)
        .select_related("combined__project__town", "combined__applicant", "workgroup")
        .order_by("due_at", "pk")
    )


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


def _walk_sql(*, after: bool, position: bool) -> str:
    table = ServiceApplication._meta.db_table
    since = " AND updated_at > %s" * (int(after) + int(position))
    # uuid as text: what the row's JSON writes, without a UUID object per row. No input is
    # part of the text (the table's name comes from the model), only parameters.
    return (
        "SELECT uuid::text, utility, status, due_at, paused_since, updated_at"  # noqa: S608
        f" FROM {table} WHERE operator_id = %s{since}"
        " ORDER BY updated_at, id LIMIT %s OFFSET %s"
    )


# Built once: the walk's four shapes (with or without `updated_after`, a cursor's position).
_WALK_SQL = {
    (after, position): _walk_sql(after=after, position=position)
    for after in (False, True)
    for position in (False, True)
}


def work_item_walk_available() -> bool:
    """The walk's SQL is PostgreSQL's (the embedded SQLite demo takes the general path)."""
    return connections[router.db_for_read(ServiceApplication)].vendor == "postgresql"


def work_item_walk_rows(
    *,
    organization: Organization,
    after: dt.datetime | None,
    position: dt.datetime | None,
    offset: int,
    limit: int,
) -> list[dict]:
    """One page of the incremental sync's walk: the rows of `work_item_rows_for_operator`
    changed after `after` and after `position`, in the same order, skipping `offset`.

    The same rows as that queryset filtered and sliced (the test
    `test_the_walk_rows_match_the_list_queryset` compares them), from one SQL text built at
    import: building, filtering and compiling the queryset cost about a millisecond of each
    page, more than the database spends on it.
    """
    params: list[Any] = [organization.pk]
    params += [moment for moment in (after, position) if moment is not None]
    params += [limit, offset]
    sql = _WALK_SQL[after is not None, position is not None]
    with connections[router.db_for_read(ServiceApplication)].cursor() as cursor:
        cursor.execute(sql, params)
        return [dict(zip(WORK_ITEM_ROW_FIELDS, row, strict=True)) for row in cursor.fetchall()]


def work_item_details_for_operator(*, organization: Organization) -> QuerySet:
    """The operator's items with everything the detail view shows, in a fixed number of
    queries: documents, commitments, permits, the applicant's contact and the lease."""
    return (
        with_fees(work_items_for_operator(organization=organization))
        .select_related("combined__submitted_by", "lease")
        .prefetch_related(
            Prefetch("fee_payments", queryset=FeePayment.objects.order_by("paid_on", "pk")),
            Prefetch(
                "document_links",
                queryset=DocumentLink.objects.select_related("document").order_by("doc_type"),
            ),
            Prefetch(
                "combined__commitments",
                queryset=Commitment.objects.select_related("wording", "verifier").order_by(
                    "doc_type"
                ),
            ),
            Prefetch(
                "permits",
                queryset=PermitRequest.objects.select_related("agency").order_by(
                    "permit_type", "round"
                ),
            ),
        )
    )


def history_of(*, service_application: ServiceApplication) -> QuerySet:
    return (
        StateChange.objects.filter(service_application=service_application)
        .select_related("actor", "actor_organization", "permit_request")
        .order_by("at", "pk")
    )

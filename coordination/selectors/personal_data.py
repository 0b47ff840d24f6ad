"""What the portal holds about an applicant company in the workgroups' own work (PIPL art. 45
export, portal/personal_data.py): the demands and suggestions it submitted with their answers
and files, the follow-ups of its ratings, and the policy notices it was sent and read.
One query per table: the number of queries does not grow with the company's records."""

from core.records import DataSection, record, records, safe_file_name
from workgroups.models import Organization

from ..models import (
    Demand,
    DemandAttachment,
    DemandHistory,
    FollowUp,
    NoticeReadReceipt,
    NoticeRecipient,
)


def attachment_archive_path(attachment: DemandAttachment) -> str:
    name = safe_file_name(attachment.original_name, default=f"file{attachment.extension}")
    return f"demand_attachments/{attachment.demand.uuid}/{attachment.uuid}-{name}"


def coordination_personal_data(*, organization: Organization) -> DataSection:
    attachments = list(
        DemandAttachment.objects.filter(demand__organization=organization)
        .select_related("demand")
        .order_by("created_at", "pk")
    )
    tables = {
        "demands": records(
            Demand.objects.filter(organization=organization)
            .select_related("town", "service_application", "submitted_by")
            .order_by("submitted_at", "pk"),
            [
                "uuid",
                "reference",
                "kind",
                "theme",
                "utility",
                ("town", "town.code"),
                "address",
                "title",
                "description",
                ("case_uuid", "service_application.uuid"),
                ("submitted_by", "submitted_by.username"),
                "contact_name",
                "contact_mobile",
                "contact_email",
                "status",
                "submitted_at",
                "acknowledged_at",
                "answered_at",
                "answer_text",
                "closed_at",
                "reopen_count",
                "verdict",
                "verdict_comment",
                "updated_at",
            ],
        ),
        "demand_history": records(
            DemandHistory.objects.filter(demand__organization=organization)
            .select_related("demand")
            .order_by("at", "pk"),
            [
                ("demand_uuid", "demand.uuid"),
                "transition",
                "from_state",
                "to_state",
                "at",
                "comment",
            ],
        ),
        "demand_attachments": [
            {
                **record(
                    attachment,
                    [
                        "uuid",
                        ("demand_uuid", "demand.uuid"),
                        "original_name",
                        "content_type",
                        "size_bytes",
                        "sha256",
                        "created_at",
                    ],
                ),
                "archive_path": attachment_archive_path(attachment) if attachment.file else "",
            }
            for attachment in attachments
        ],
        "rating_follow_ups": records(
            FollowUp.objects.filter(organization=organization)
            .select_related("rating", "service_application")
            .order_by("submitted_at", "pk"),
            [
                "uuid",
                ("rating_uuid", "rating.uuid"),
                ("case_uuid", "service_application.uuid"),
                "status",
                "called_at",
                "reached",
                "cause",
                "fix",
                "answered_at",
                "final_level",
                "final_comment",
                "re_rated_at",
                "closed_at",
            ],
        ),
        "notices_received": records(
            NoticeRecipient.objects.filter(organization=organization)
            .select_related("notice")
            .order_by("at", "pk"),
            [("notice_uuid", "notice.uuid"), ("title", "notice.title"), ("sent_at", "at")],
        ),
        "notice_read_receipts": records(
            NoticeReadReceipt.objects.filter(organization=organization)
            .select_related("notice", "reader")
            .order_by("read_at", "pk"),
            [
                ("notice_uuid", "notice.uuid"),
                ("title", "notice.title"),
                ("reader", "reader.username"),
                "read_at",
            ],
        ),
    }
    files = [(attachment_archive_path(a), a.file) for a in attachments if a.file]
    return DataSection(tables=tables, files=files)


def company_demand_ids(*, organization: Organization) -> list[str]:
    """Public ids of the company's demands and their attachments: what the access log names
    when staff read them (one query)."""
    return [
        str(uuid)
        for uuid in Demand.objects.filter(organization=organization)
        .values_list("uuid", flat=True)
        .union(
            DemandAttachment.objects.filter(demand__organization=organization).values_list(
                "uuid", flat=True
            ),
            all=True,
        )
    ]

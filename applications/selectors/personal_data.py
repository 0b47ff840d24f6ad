"""What the portal holds about an applicant company's cases (PIPL art. 45 export,
portal/personal_data.py): projects, combined requests, each utility's case and its timeline,
documents (metadata here, the files into the archive), commitments, fees and payments,
ratings, permits and decision packages.

One query per table, every related row selected with it: the number of queries does not grow
with the number of cases. Staff who acted on a case are named by their organisation only."""

from django.db.models import Q

from core.records import DataSection, record, records, safe_file_name
from workgroups.models import Organization

from ..models import (
    CombinedApplication,
    Commitment,
    CommitmentEvent,
    DecisionPackage,
    Document,
    DocumentLink,
    Draft,
    FeePayment,
    LicenceReview,
    PermitRequest,
    Project,
    Rating,
    ServiceApplication,
    StateChange,
)


def document_archive_path(document: Document) -> str:
    """Where a document's file goes in the archive: its public id, then its own name."""
    name = document.original_name or f"{document.doc_type}{document.extension}"
    return f"documents/{document.uuid}-{safe_file_name(name, default=document.doc_type)}"


def package_archive_path(package: DecisionPackage) -> str:
    return f"decision_packages/{package.combined.uuid}-{package.number}.pdf"


def cases_personal_data(*, organization: Organization) -> DataSection:
    """Every case-related row of the company, and its stored files."""
    combined = CombinedApplication.objects.filter(applicant=organization)
    cases = ServiceApplication.objects.filter(combined__applicant=organization)
    projects = Project.objects.filter(
        Q(owner=organization) | Q(pk__in=combined.values("project_id"))
    ).select_related("town")
    documents = list(
        Document.objects.filter(owner=organization)
        .select_related("project", "uploaded_by")
        .order_by("created_at", "pk")
    )
    packages = list(
        DecisionPackage.objects.filter(combined__applicant=organization)
        .select_related("combined")
        .order_by("combined__submitted_at", "combined_id", "number")
    )
    tables = {
        "projects": records(
            projects.order_by("created_at", "pk"),
            [
                "uuid",
                "code",
                "name",
                "kind",
                "works_type",
                "address",
                ("town", "town.code"),
                "floor_area_m2",
                "planned_start",
                "source",
                "claimed_at",
                "created_at",
                "updated_at",
            ],
        ),
        "combined_requests": records(
            combined.select_related("project", "submitted_by").order_by("submitted_at", "pk"),
            [
                "uuid",
                "reference",
                ("project_uuid", "project.uuid"),
                "business_type",
                "joint_outside_works",
                ("submitted_by", "submitted_by.username"),
                "submitted_at",
                "registry_licence",
            ],
        ),
        "cases": records(
            cases.select_related("combined", "operator").order_by("submitted_at", "pk"),
            [
                "uuid",
                ("combined_request_uuid", "combined.uuid"),
                ("combined_request_reference", "combined.reference"),
                "utility",
                ("operator", "operator.name_zh"),
                "status",
                "details",
                "fast_track",
                "survey_result",
                "plan",
                "fee_quote_cny",
                "fee_items",
                "fee_confirmed_at",
                "required_permits",
                "inspection_result",
                "last_reason",
                "submitted_at",
                "stage_entered_at",
                "due_at",
                "connected_at",
                "updated_at",
            ],
        ),
        "case_timeline": records(
            StateChange.objects.filter(service_application__combined__applicant=organization)
            .select_related("service_application", "actor_organization")
            .order_by("at", "pk"),
            [
                ("case_uuid", "service_application.uuid"),
                "transition",
                "from_state",
                "to_state",
                ("by_organization", "actor_organization.name_zh"),
                "at",
                "comment",
                "data",
                "due_at",
            ],
        ),
        "documents": [
            {
                **record(
                    document,
                    [
                        "uuid",
                        "doc_type",
                        "original_name",
                        "content_type",
                        "size_bytes",
                        "sha256",
                        "source",
                        ("project_uuid", "project.uuid"),
                        ("uploaded_by", "uploaded_by.username"),
                        "created_at",
                    ],
                ),
                "archive_path": document_archive_path(document) if document.file else "",
            }
            for document in documents
        ],
        "document_uses": records(
            DocumentLink.objects.filter(service_application__combined__applicant=organization)
            .select_related("service_application", "document")
            .order_by("service_application_id", "doc_type"),
            [
                ("case_uuid", "service_application.uuid"),
                "doc_type",
                ("document_uuid", "document.uuid"),
            ],
        ),
        "licence_reviews": records(
            LicenceReview.objects.filter(organization=organization)
            .select_related("document", "requested_by")
            .order_by("requested_at", "pk"),
            [
                "uuid",
                ("document_uuid", "document.uuid"),
                ("requested_by", "requested_by.username"),
                "requested_at",
            ],
        ),
        "commitments": records(
            Commitment.objects.filter(combined__applicant=organization)
            .select_related("combined", "wording", "signed_by", "document")
            .order_by("signed_at", "pk"),
            [
                "uuid",
                ("combined_request_uuid", "combined.uuid"),
                "doc_type",
                "statement",
                ("wording_code", "wording.code"),
                ("wording_version", "wording.version"),
                ("signed_by", "signed_by.username"),
                "signed_at",
                "status",
                "due_stage",
                "due_on",
                "on_breach",
                "fell_due_at",
                ("document_uuid", "document.uuid"),
                "submitted_at",
                "decided_at",
                "breach_reason",
            ],
        ),
        "commitment_history": records(
            CommitmentEvent.objects.filter(commitment__combined__applicant=organization)
            .select_related("commitment")
            .order_by("at", "pk"),
            [
                ("commitment_uuid", "commitment.uuid"),
                "transition",
                "from_state",
                "to_state",
                "at",
                "note",
            ],
        ),
        "fee_payments": records(
            FeePayment.objects.filter(service_application__combined__applicant=organization)
            .select_related("service_application", "operator")
            .order_by("recorded_at", "pk"),
            [
                "uuid",
                ("case_uuid", "service_application.uuid"),
                ("operator", "operator.name_zh"),
                "receipt_number",
                "amount_cny",
                "paid_on",
                "source",
                "recorded_at",
            ],
        ),
        "ratings": records(
            Rating.objects.filter(organization=organization)
            .select_related("service_application", "rated_by")
            .order_by("created_at", "pk"),
            [
                "uuid",
                ("case_uuid", "service_application.uuid"),
                "level",
                "comment",
                ("rated_by", "rated_by.username"),
                "created_at",
            ],
        ),
        "permits": records(
            PermitRequest.objects.filter(service_application__combined__applicant=organization)
            .select_related("service_application", "agency")
            .order_by("issued_at", "pk"),
            [
                "uuid",
                ("case_uuid", "service_application.uuid"),
                "permit_type",
                ("agency", "agency.name_zh"),
                "round",
                "status",
                "issued_at",
                "due_at",
                "decided_at",
                "reason",
            ],
        ),
        "decision_packages": [
            {
                **record(
                    package,
                    [
                        "uuid",
                        ("combined_request_uuid", "combined.uuid"),
                        "number",
                        "short_code",
                        "content",
                        "pdf_sha256",
                        "issued_at",
                        "superseded_at",
                    ],
                ),
                "archive_path": package_archive_path(package) if package.pdf else "",
            }
            for package in packages
        ],
        "drafts": records(
            Draft.objects.filter(owner=organization)
            .select_related("project")
            .order_by("created_at", "pk"),
            ["uuid", ("project_uuid", "project.uuid"), "data", "created_at", "updated_at"],
        ),
    }
    files = [(document_archive_path(d), d.file) for d in documents if d.file] + [
        (package_archive_path(p), p.pdf) for p in packages if p.pdf
    ]
    return DataSection(tables=tables, files=files)


def company_read_ids(*, organization: Organization) -> tuple[list[str], list[str]]:
    """(case public ids, item public ids) of everything of the company's that staff may read:
    its requests, and its cases, documents and projects and the company itself. The access
    log is selected by them for the company's export (two queries)."""
    cases = [
        str(uuid)
        for uuid in CombinedApplication.objects.filter(applicant=organization).values_list(
            "uuid", flat=True
        )
    ]
    items = [
        str(uuid)
        for uuid in ServiceApplication.objects.filter(combined__applicant=organization)
        .values_list("uuid", flat=True)
        .union(
            Document.objects.filter(owner=organization).values_list("uuid", flat=True),
            Project.objects.filter(owner=organization).values_list("uuid", flat=True),
            all=True,
        )
    ]
    return cases, [str(organization.uuid), *items]

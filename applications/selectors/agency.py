"""What an agency reads through the API: a permit agency its permit requests, a department
the projects it pushed from shared data and the documents it shared with them."""

from django.db.models import Prefetch, QuerySet

from workgroups.models import Organization

from ..constants import DocumentSource, ProjectSource
from ..models import Document, DocumentLink, PermitRequest, Project, ProjectClaimEvent


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
    """Projects the department pushed from shared data, claimed or not, with who claimed them
    and the history of their claims (constant queries whatever their number)."""
    return (
        Project.objects.filter(source_organization=organization, source=ProjectSource.SHARED_DATA)
        .select_related("town", "source_organization", "owner", "claimed_by")
        .prefetch_related(
            Prefetch(
                "claim_events",
                queryset=ProjectClaimEvent.objects.select_related(
                    "owner", "previous_owner", "actor"
                ).order_by("at", "pk"),
            )
        )
        .order_by("updated_at", "pk")
    )


def project_documents_shared_by(*, organization: Organization, project: Project) -> QuerySet:
    """The documents the department itself shared with the project it pushed (not the
    copies an applicant got by claiming it)."""
    return Document.objects.filter(
        owner=organization, project=project, source=DocumentSource.SHARED_DATA
    ).order_by("doc_type", "created_at", "pk")

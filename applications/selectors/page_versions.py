"""The versions of cached pages: digests of every row a page shows (core/fingerprint.py).

A row left out here would let a cached page go stale for up to PAGE_CACHE_SECONDS, so each
list names what the page's selectors, templates and panels read.
"""

import uuid as uuid_lib

from django.contrib.auth.models import Group
from django.db.models import Q, QuerySet

from core.fingerprint import Fingerprint, stand_in_id, stand_in_uuid
from workgroups.models import CompanyIdentity, Membership, Organization, User

from ..extensions import tracking_reads
from ..models import (
    CombinedApplication,
    Commitment,
    DecisionPackage,
    Document,
    DocumentLink,
    FeePayment,
    JointWorksParticipant,
    JointWorksPlan,
    PermitRequest,
    Project,
    Rating,
    ServiceApplication,
    ServiceApplicationGroupObjectPermission,
    ServiceApplicationUserObjectPermission,
    StateChange,
)


def _tracking_page_rows(*, organization: int, user: int, uuid: uuid_lib.UUID) -> list[QuerySet]:
    combined = CombinedApplication.objects.filter(applicant=organization, uuid=uuid)
    services = ServiceApplication.objects.filter(combined__in=combined)
    plans = JointWorksPlan.objects.filter(participants__service_application__in=services)
    commitments = Commitment.objects.filter(combined__in=combined)
    return [
        combined,
        Project.objects.filter(combined_applications__in=combined),
        services,
        StateChange.objects.filter(service_application__in=services),
        PermitRequest.objects.filter(
            Q(service_application__in=services) | Q(joint_works_plan__in=plans)
        ),
        DocumentLink.objects.filter(service_application__in=services),
        Document.objects.filter(
            Q(links__service_application__in=services) | Q(pk__in=commitments.values("document"))
        ),
        FeePayment.objects.filter(service_application__in=services),
        commitments,
        DecisionPackage.objects.filter(combined__in=combined),
        Rating.objects.filter(service_application__in=services),
        JointWorksParticipant.objects.filter(service_application__in=services),
        plans,
        # What the reader may do: the actions each utility offers them.
        ServiceApplicationUserObjectPermission.objects.filter(
            content_object__in=services, user=user
        ),
        ServiceApplicationGroupObjectPermission.objects.filter(
            content_object__in=services, group__user=user
        ),
        Group.objects.filter(user=user),
        Membership.objects.filter(user=user),
        CompanyIdentity.objects.filter(organization=organization),
        *tracking_reads(services, organization),
    ]


_tracking_page = Fingerprint(
    _tracking_page_rows, organization=stand_in_id(), user=stand_in_id(), uuid=stand_in_uuid()
)


def tracking_page_version(
    *, organization: Organization, user: User, uuid: uuid_lib.UUID
) -> str | None:
    """The version of the applicant's tracking page of one request, as `user` of
    `organization` sees it: one query. An empty request (another company's, or none) has a
    version too; the page itself then answers 404."""
    return _tracking_page(organization=organization.pk, user=user.pk, uuid=uuid)

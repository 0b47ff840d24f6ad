"""The versions of cached pages: digests of every row a page shows (core/fingerprint.py).

A row left out here would let a cached page go stale for up to PAGE_CACHE_SECONDS, so each
list names what the page's selectors, templates and panels read.
"""

import uuid as uuid_lib

from django.contrib.auth.models import Group
from django.db.models import Q, QuerySet

from core.fingerprint import Fingerprint, Stages, stand_in_id, stand_in_uuid
from core.page_cache import layout_reads
from workgroups.models import CompanyIdentity, Organization, User

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


def _tracking_page_rows(
    stages: Stages, *, organization: int, user: int, uuid: uuid_lib.UUID
) -> list[QuerySet]:
    combined = stages.stage(
        "combined", CombinedApplication.objects.filter(applicant=organization, uuid=uuid)
    )
    services = stages.stage(
        "services", ServiceApplication.objects.filter(combined.holds("combined"))
    )
    of_services = services.holds("service_application")
    plans = stages.stage("plans", JointWorksParticipant.objects.filter(of_services), "plan")
    documents = stages.stage(
        "documents",
        Document.objects.filter(
            Q(pk__in=DocumentLink.objects.filter(of_services).values("document"))
            | Q(pk__in=Commitment.objects.filter(combined.holds("combined")).values("document"))
        ),
    )
    groups = stages.stage("groups", User.groups.through.objects.filter(user=user), "group")
    return [
        CombinedApplication.objects.filter(combined.holds("pk")),
        Project.objects.filter(
            pk__in=CombinedApplication.objects.filter(combined.holds("pk")).values("project")
        ),
        ServiceApplication.objects.filter(services.holds("pk")),
        StateChange.objects.filter(of_services),
        PermitRequest.objects.filter(Q(of_services) | Q(plans.holds("joint_works_plan"))),
        DocumentLink.objects.filter(of_services),
        Document.objects.filter(documents.holds("pk")),
        FeePayment.objects.filter(of_services),
        Commitment.objects.filter(combined.holds("combined")),
        DecisionPackage.objects.filter(combined.holds("combined")),
        Rating.objects.filter(of_services),
        JointWorksParticipant.objects.filter(of_services),
        JointWorksPlan.objects.filter(plans.holds("pk")),
        # What the reader may do: the actions each utility offers them.
        ServiceApplicationUserObjectPermission.objects.filter(
            services.holds("content_object"), user=user
        ),
        ServiceApplicationGroupObjectPermission.objects.filter(
            services.holds("content_object"), groups.holds("group")
        ),
        Group.objects.filter(groups.holds("pk")),
        # The header's rows: who is signed in, for which organisation (the one the reader acts
        # for: their memberships), and their unread messages.
        *layout_reads(user),
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

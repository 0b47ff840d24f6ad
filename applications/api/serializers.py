"""Work item shapes: list row, detail, history, and the command inputs (separate classes)."""

from decimal import Decimal

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from workgroups.api.serializers import OrganizationRefSerializer, TownSerializer

from ..case_clock import service_clock
from ..clock import working_days_used
from ..constants import (
    BusinessType,
    ClockEvent,
    CommitmentStatus,
    DocumentSource,
    DocumentType,
    EscalationStatus,
    FeeStatus,
    Party,
    PaymentSource,
    PermitStatus,
    PermitType,
    ProjectKind,
    ServiceStatus,
    Utility,
    WorksType,
)
from ..extensions import case_escalations
from ..selectors.common import fee_standing
from ..transition_inputs import FEE_ITEM_LABEL_MAX_LENGTH, FEE_MAX_CNY
from ..workflow import (
    COMMENT_MAX_LENGTH,
    OPERATOR_TRANSITIONS,
    SERVICE,
    input_fields,
    transitions_available,
)

# The stage data the application's transitions take, with the limits their input forms set.
STAGE_INPUTS = input_fields(SERVICE)
STAGE_FIELDS = tuple(STAGE_INPUTS)


class ProjectSummarySerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    code = serializers.CharField()
    name = serializers.CharField()
    address = serializers.CharField()
    town = TownSerializer()


class ProjectDetailSerializer(ProjectSummarySerializer):
    kind = serializers.ChoiceField(choices=ProjectKind.choices)
    works_type = serializers.ChoiceField(choices=WorksType.choices)
    floor_area_m2 = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    planned_start = serializers.DateField(allow_null=True)


class DocumentSerializer(serializers.Serializer):
    # The schema's description of this shape, in the caller's language (/api/schema/).
    __doc__ = gettext_lazy(
        "A document linked to the application; `download_url` checks permission again."
    )

    doc_type = serializers.ChoiceField(choices=DocumentType.choices)
    uuid = serializers.UUIDField(source="document.uuid")
    original_name = serializers.CharField(source="document.original_name")
    content_type = serializers.CharField(source="document.content_type")
    size_bytes = serializers.IntegerField(source="document.size_bytes")
    sha256 = serializers.CharField(source="document.sha256")
    source = serializers.ChoiceField(source="document.source", choices=DocumentSource.choices)
    download_url = serializers.SerializerMethodField()

    @extend_schema_field({"type": "string", "format": "uri", "nullable": True})
    def get_download_url(self, link) -> str | None:
        if not link.document.file:
            return None  # from shared data: no stored file
        path = reverse("api:document-download", kwargs={"uuid": link.document.uuid})
        return self.context["request"].build_absolute_uri(path)


class CommitmentSerializer(serializers.Serializer):
    doc_type = serializers.ChoiceField(choices=DocumentType.choices)
    statement = serializers.CharField()
    signed_at = serializers.DateTimeField()
    wording_version = serializers.IntegerField(
        source="wording.version",
        help_text=gettext_lazy("Version of the commitment wording signed."),
    )
    due_point = serializers.CharField(
        source="wording.due_point_zh",
        help_text=gettext_lazy("When the document falls due (Chinese)."),
    )
    status = serializers.ChoiceField(
        choices=CommitmentStatus.choices,
        help_text=gettext_lazy(
            "Until it is verified, the application can be neither connected nor closed."
        ),
    )
    due_on = serializers.DateField(allow_null=True)
    verifying_agency = serializers.CharField(source="verifier.name_zh", allow_null=True)


class PermitSummarySerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    permit_type = serializers.ChoiceField(choices=PermitType.choices)
    agency = serializers.CharField(source="agency.name_zh")
    status = serializers.ChoiceField(choices=PermitStatus.choices)
    round = serializers.IntegerField()
    issued_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField()


class StageSpanSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=ServiceStatus.choices)
    party = serializers.ChoiceField(choices=Party.choices)
    entered_at = serializers.DateTimeField()
    left_at = serializers.DateTimeField(
        allow_null=True, help_text=gettext_lazy("Null while in the stage.")
    )
    working_days = serializers.IntegerField()
    due_at = serializers.DateTimeField(allow_null=True)
    late = serializers.BooleanField(
        help_text=gettext_lazy("Left after its deadline, or past it now.")
    )


class PartySplitSerializer(serializers.Serializer):
    government = serializers.IntegerField()
    operator = serializers.IntegerField()
    applicant = serializers.IntegerField()


class TimeByPartySerializer(serializers.Serializer):
    # The schema's description of this shape, in the caller's language (/api/schema/).
    __doc__ = gettext_lazy(
        "Whose time it was: days from submission to connection (or now) split by who held the "
        "case, the applicant's procedures and the fee (the tracking and staff pages' figures)."
    )

    working_days = serializers.IntegerField()
    calendar_days = serializers.IntegerField()
    running = serializers.BooleanField()
    working_days_by_party = PartySplitSerializer(source="working_by_party")
    calendar_days_by_party = PartySplitSerializer(source="calendar_by_party")
    procedures = serializers.IntegerField()
    fee_cny = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    stages = StageSpanSerializer(source="spans", many=True)


class ClockSerializer(serializers.Serializer):
    # The schema's description of this shape, in the caller's language (/api/schema/).
    __doc__ = gettext_lazy(
        "The working-day clock: the applicant's time (correction, plan confirmation) pauses it."
    )

    submitted_at = serializers.DateTimeField(allow_null=True)
    stage_entered_at = serializers.DateTimeField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)
    overdue = serializers.SerializerMethodField()
    paused = serializers.SerializerMethodField()
    paused_since = serializers.DateTimeField(allow_null=True)
    paused_working_days = serializers.IntegerField()
    working_days_used = serializers.SerializerMethodField()
    connected_at = serializers.DateTimeField(allow_null=True)

    def get_overdue(self, sa) -> bool:
        return sa.due_at is not None and sa.due_at < timezone.now()

    def get_paused(self, sa) -> bool:
        return sa.paused_since is not None

    def get_working_days_used(self, sa) -> int:
        return working_days_used(sa, now=timezone.now())


class LeaseStateSerializer(serializers.Serializer):
    holder = serializers.CharField()
    leased_until = serializers.DateTimeField()


class WorkItemSerializer(serializers.Serializer):
    # The schema's description of this shape, in the caller's language (/api/schema/).
    __doc__ = gettext_lazy("A work item in brief, from one joined query: what a lease hands out.")

    uuid = serializers.UUIDField()
    url = serializers.HyperlinkedIdentityField(
        view_name="api:work-item-detail", lookup_field="uuid"
    )
    reference = serializers.CharField(source="combined.reference", allow_null=True)
    utility = serializers.ChoiceField(choices=Utility.choices)
    business_type = serializers.ChoiceField(
        source="combined.business_type", choices=BusinessType.choices
    )
    status = serializers.ChoiceField(choices=ServiceStatus.choices)
    applicant = serializers.CharField(source="combined.applicant.name_zh")
    project = ProjectSummarySerializer(source="combined.project")
    submitted_at = serializers.DateTimeField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)
    paused = serializers.SerializerMethodField()
    updated_at = serializers.DateTimeField()

    def get_paused(self, sa) -> bool:
        return sa.paused_since is not None


class WorkItemRowSerializer(serializers.Serializer):
    # The schema's description of this shape, in the caller's language (/api/schema/).
    __doc__ = gettext_lazy(
        "One row of the list, made for incremental sync: which item, and what changes over its "
        "life (state, deadline, pause, change time). What never changes once submitted "
        "(reference, business type, project, applicant) the client reads once, from the detail "
        "at `url`."
    )

    uuid = serializers.UUIDField()
    url = serializers.HyperlinkedIdentityField(
        view_name="api:work-item-detail", lookup_field="uuid"
    )
    utility = serializers.ChoiceField(choices=Utility.choices)
    status = serializers.ChoiceField(choices=ServiceStatus.choices)
    due_at = serializers.DateTimeField(allow_null=True)
    paused = serializers.SerializerMethodField()
    updated_at = serializers.DateTimeField()

    def get_paused(self, sa) -> bool:
        return sa.paused_since is not None


_UUID_PLACEHOLDER = "00000000-0000-0000-0000-000000000000"


def work_item_rows(rows: list[dict], *, request) -> list[dict]:
    """WorkItemRowSerializer's output for the flat rows of `work_item_rows_for_operator`,
    built directly: the list endpoint's hot path (DRF's per-field calls cost several times
    more). WorkItemRowSerializer stays the contract (schema); the test
    `test_the_list_rows_match_the_row_serializer` proves both give the same JSON."""
    url = request.build_absolute_uri(
        reverse("api:work-item-detail", kwargs={"uuid": _UUID_PLACEHOLDER})
    )
    zone = timezone.get_current_timezone()  # what DateTimeField converts to, looked up once

    def at(moment):  # DateTimeField.to_representation (ISO 8601) for aware datetimes
        if moment is None:
            return None
        text = moment.astimezone(zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    items = []
    for row in rows:
        uuid = str(row["uuid"])
        items.append(
            {
                "uuid": uuid,
                "url": url.replace(_UUID_PLACEHOLDER, uuid),
                "utility": row["utility"],
                "status": row["status"],
                "due_at": at(row["due_at"]),
                "paused": row["paused_since"] is not None,
                "updated_at": at(row["updated_at"]),
            }
        )
    return items


class CaseEscalationSerializer(serializers.Serializer):
    # The schema's description of this shape, in the caller's language (/api/schema/).
    __doc__ = gettext_lazy(
        "An escalation of the work item: a missed deadline climbing the tiers (`deadline`), or "
        "a referral up by its workgroup's lead agency (`referral`), with how it was resolved."
    )

    uuid = serializers.UUIDField()
    origin = serializers.ChoiceField(
        choices=[
            ("deadline", gettext_lazy("Missed deadline")),
            ("referral", gettext_lazy("Referred up")),
        ]
    )
    stage = serializers.CharField(
        help_text=gettext_lazy("The state whose deadline was missed, or in which it was referred.")
    )
    tier = serializers.IntegerField(
        help_text=gettext_lazy("1 lead agency, 2 leadership office, 3 leading group.")
    )
    status = serializers.ChoiceField(choices=EscalationStatus.choices)
    opened_at = serializers.DateTimeField()
    breached_due_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField(help_text=gettext_lazy("Why it was referred up."))
    resolved_at = serializers.DateTimeField(allow_null=True)
    resolution_note = serializers.CharField()


class ContactSerializer(serializers.Serializer):
    # The schema's description of this shape, in the caller's language (/api/schema/).
    __doc__ = gettext_lazy("Who at the applicant to call for the site survey.")

    name = serializers.SerializerMethodField()
    mobile = serializers.CharField()
    email = serializers.CharField()

    def get_name(self, user) -> str:
        return user.get_full_name() or user.username


class FeeItemSerializer(serializers.Serializer):
    label = serializers.CharField(max_length=FEE_ITEM_LABEL_MAX_LENGTH)
    amount_cny = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0"), max_value=FEE_MAX_CNY
    )


class FeePaymentSerializer(serializers.Serializer):
    # The schema's description of this shape, in the caller's language (/api/schema/).
    __doc__ = gettext_lazy("One payment of the fee, under the operator's receipt number.")

    uuid = serializers.UUIDField()
    work_item = serializers.UUIDField(source="service_application.uuid")
    receipt_number = serializers.CharField()
    amount_cny = serializers.DecimalField(max_digits=12, decimal_places=2)
    paid_on = serializers.DateField()
    source = serializers.ChoiceField(choices=PaymentSource.choices)
    recorded_at = serializers.DateTimeField()


class FeeStandingSerializer(serializers.Serializer):
    # The schema's description of this shape, in the caller's language (/api/schema/).
    __doc__ = gettext_lazy(
        "Where the connection fee stands: quoted (single or itemised), confirmed by the "
        "applicant, paid and outstanding."
    )

    status = serializers.ChoiceField(choices=FeeStatus.choices)
    quoted_cny = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    items = FeeItemSerializer(many=True)
    confirmed_at = serializers.DateTimeField(allow_null=True)
    paid_cny = serializers.DecimalField(max_digits=14, decimal_places=2)
    outstanding_cny = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    payments = serializers.SerializerMethodField()

    @extend_schema_field(FeePaymentSerializer(many=True))
    def get_payments(self, standing) -> list:
        return FeePaymentSerializer(self.context.get("payments", []), many=True).data


class PaymentInputSerializer(serializers.Serializer):
    # The schema's description of this shape, in the caller's language (/api/schema/).
    __doc__ = gettext_lazy("A payment collected in the operator's own billing system.")

    amount_cny = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0"), max_value=FEE_MAX_CNY
    )
    paid_on = serializers.DateField()
    receipt_number = serializers.CharField(max_length=60)


class WorkItemDetailSerializer(WorkItemSerializer):
    # The schema's description of this shape, in the caller's language (/api/schema/).
    __doc__ = gettext_lazy("One work item with everything an operator needs to work it.")

    fee = serializers.SerializerMethodField()

    @extend_schema_field(FeeStandingSerializer)
    def get_fee(self, sa) -> dict:
        payments = list(sa.fee_payments.all())
        for payment in payments:
            payment.service_application = sa
        return FeeStandingSerializer(fee_standing(sa), context={"payments": payments}).data

    combined_uuid = serializers.UUIDField(source="combined.uuid")
    workgroup = serializers.CharField(source="workgroup.code")
    applicant_credit_code = serializers.CharField(
        source="combined.applicant.unified_social_credit_code"
    )
    contact = ContactSerializer(source="combined.submitted_by")
    project = ProjectDetailSerializer(source="combined.project")
    joint_outside_works = serializers.BooleanField(source="combined.joint_outside_works")
    details = serializers.DictField(
        help_text=gettext_lazy("The utility's own fields, as the applicant gave them.")
    )
    fast_track = serializers.BooleanField()
    needs_inspection = serializers.BooleanField()
    sla_variant = serializers.CharField()
    survey_result = serializers.CharField()
    plan = serializers.CharField()
    fee_quote_cny = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    required_permits = serializers.ListField(child=serializers.ChoiceField(PermitType.choices))
    inspection_result = serializers.CharField()
    last_reason = serializers.CharField()
    clock = ClockSerializer(source="*")
    time_by_party = serializers.SerializerMethodField()
    documents = DocumentSerializer(source="document_links", many=True)
    commitments = CommitmentSerializer(source="combined.commitments", many=True)
    permits = PermitSummarySerializer(many=True)
    lease = serializers.SerializerMethodField()
    transitions_available = serializers.SerializerMethodField(
        help_text=gettext_lazy("Transitions your organisation may perform now.")
    )
    escalations = serializers.SerializerMethodField(
        help_text=gettext_lazy(
            "Escalations of the item, newest first: missed deadlines and referrals up."
        )
    )

    @extend_schema_field(LeaseStateSerializer(allow_null=True))
    def get_lease(self, sa):
        lease = getattr(sa, "lease", None)
        if lease is None or lease.leased_until <= timezone.now():
            return None
        return LeaseStateSerializer(lease).data

    @extend_schema_field(TimeByPartySerializer)
    def get_time_by_party(self, sa) -> dict:
        clock = service_clock(sa, sa.history.filter(permit_request=None), now=timezone.now())
        return TimeByPartySerializer(clock).data

    @extend_schema_field(CaseEscalationSerializer(many=True))
    def get_escalations(self, sa) -> list:
        rows = case_escalations([sa]).get(sa.pk, [])
        return CaseEscalationSerializer(rows, many=True).data

    def get_transitions_available(self, sa) -> list[str]:
        return transitions_available(actor=self.context["request"].user, obj=sa)


class StateChangeSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    transition = serializers.CharField()
    from_state = serializers.CharField()
    to_state = serializers.CharField()
    at = serializers.DateTimeField()
    comment = serializers.CharField()
    data = serializers.DictField(help_text=gettext_lazy("The stage data the transition recorded."))
    actor_organization = OrganizationRefSerializer(allow_null=True)
    permit = serializers.UUIDField(source="permit_request.uuid", allow_null=True, default=None)
    clock_event = serializers.ChoiceField(choices=ClockEvent.choices, allow_blank=True)
    paused_working_days = serializers.IntegerField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)


class TransitionInputSerializer(serializers.Serializer):
    # The schema's description of this shape, in the caller's language (/api/schema/).
    __doc__ = gettext_lazy(
        "A transition and its stage data; which fields a transition needs is in docs/api.md."
    )

    transition = serializers.ChoiceField(choices=[(t, t) for t in OPERATOR_TRANSITIONS])
    comment = serializers.CharField(
        required=False, allow_blank=True, max_length=COMMENT_MAX_LENGTH, default=""
    )
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=STAGE_INPUTS["reason"].max_length,
        help_text=gettext_lazy("return_for_correction, reject: why (required)."),
    )
    survey_result = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=STAGE_INPUTS["survey_result"].max_length,
        help_text=gettext_lazy("issue_plan (required)."),
    )
    plan = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=STAGE_INPUTS["plan"].max_length,
        help_text=gettext_lazy("issue_plan (required)."),
    )
    fee_items = FeeItemSerializer(
        many=True,
        required=False,
        help_text=gettext_lazy("issue_plan: the quote itemised (adding up to fee_quote_cny)."),
    )
    fee_quote_cny = serializers.DecimalField(
        required=False,
        max_digits=STAGE_INPUTS["fee_quote_cny"].max_digits,
        decimal_places=STAGE_INPUTS["fee_quote_cny"].decimal_places,
        min_value=STAGE_INPUTS["fee_quote_cny"].min_value,
        max_value=STAGE_INPUTS["fee_quote_cny"].max_value,
        help_text=gettext_lazy("issue_plan (required): what the applicant pays, 0 if nothing."),
    )
    required_permits = serializers.ListField(
        child=serializers.ChoiceField(choices=STAGE_INPUTS["required_permits"].choices),
        required=False,
        max_length=len(STAGE_INPUTS["required_permits"].choices),
        help_text=gettext_lazy("issue_plan: outside-line permits the works need (empty: none)."),
    )
    inspection_result = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=STAGE_INPUTS["inspection_result"].max_length,
        help_text=gettext_lazy(
            "fail_inspection (required), connect after an inspection (required)."
        ),
    )

    def stage_data(self) -> dict:
        return {k: v for k, v in self.validated_data.items() if k in STAGE_FIELDS}


class LeaseInputSerializer(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=100, default=10)
    lease_seconds = serializers.IntegerField(min_value=10, max_value=3600, default=300)
    holder = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        default="",
        help_text=gettext_lazy("Your worker's name for itself, shown on the lease."),
    )


class LeaseSerializer(serializers.Serializer):
    holder = serializers.CharField()
    leased_until = serializers.DateTimeField()
    items = WorkItemSerializer(many=True)

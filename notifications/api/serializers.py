"""Shapes of demand notices, demand signals and webhook endpoints (inputs are separate classes)."""

from django.utils.translation import gettext_lazy
from rest_framework import serializers

from applications.constants import Utility
from workgroups.api.serializers import OrganizationRefSerializer, TownSerializer

from ..constants import CircuitState, NoticeStatus, SignalKind
from ..services.intake import PUSHABLE_KINDS
from ..services.webhooks import SECRET_MAX_LENGTH, SECRET_MIN_LENGTH, URL_MAX_LENGTH

PUSHABLE_KIND_CHOICES = [(kind, SignalKind(kind).label) for kind in PUSHABLE_KINDS]


class SignalSerializer(serializers.Serializer):
    # The schema's description of this shape, in the caller's language (/api/schema/).
    __doc__ = gettext_lazy(
        "What a department announced (关口前移), as every operator it reached sees it."
    )

    uuid = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=SignalKind.choices)
    title = serializers.CharField()
    town = TownSerializer()
    location = serializers.CharField()
    expected_utilities = serializers.ListField(child=serializers.ChoiceField(Utility.choices))
    expected_loads = serializers.DictField(
        help_text=gettext_lazy("Per utility, usually free text (e.g. `约 2000 kVA`).")
    )
    expected_date = serializers.DateField(allow_null=True)
    project_code = serializers.CharField(
        source="project.code",
        allow_null=True,
        default=None,
        help_text=gettext_lazy(
            "The project's approval code when the signal is about a known project."
        ),
    )
    source_organization = OrganizationRefSerializer(
        help_text=gettext_lazy("The department that announced it.")
    )
    created_at = serializers.DateTimeField()


class DemandNoticeSerializer(serializers.Serializer):
    # The schema's description of this shape, in the caller's language (/api/schema/).
    __doc__ = gettext_lazy(
        "One operator's copy of a signal, for the utilities it serves in that town."
    )

    uuid = serializers.UUIDField()
    url = serializers.HyperlinkedIdentityField(
        view_name="api:demand-notice-detail", lookup_field="uuid"
    )
    status = serializers.ChoiceField(choices=NoticeStatus.choices)
    utilities = serializers.ListField(
        child=serializers.ChoiceField(Utility.choices),
        help_text=gettext_lazy("The expected utilities your organisation serves there."),
    )
    created_at = serializers.DateTimeField()
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    reminded_at = serializers.DateTimeField(
        allow_null=True,
        help_text=gettext_lazy("When a reminder went out (unacknowledged for a working day)."),
    )
    signal = SignalSerializer()


class DemandSignalPushSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=PUSHABLE_KIND_CHOICES)
    title = serializers.CharField(
        max_length=200, help_text=gettext_lazy("e.g. the plot or deal name.")
    )
    town = serializers.CharField(
        max_length=40, help_text=gettext_lazy("Town code, e.g. `xiaolan`.")
    )
    location = serializers.CharField(
        max_length=300,
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy("Address or plot."),
    )
    expected_utilities = serializers.ListField(
        child=serializers.ChoiceField(choices=Utility.choices),
        min_length=1,
        max_length=len(Utility.choices),
    )
    expected_loads = serializers.DictField(
        child=serializers.CharField(max_length=200),
        required=False,
        default=dict,
        help_text=gettext_lazy(
            'Per expected utility, free text, e.g. `{"electricity": "约 2000 kVA"}`.'
        ),
    )
    expected_date = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("When the need is expected."),
    )
    project_code = serializers.CharField(
        max_length=40,
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("The approval code of a project already in the portal, if any."),
    )


class OperatorNoticeSerializer(serializers.Serializer):
    # The schema's description of this shape, in the caller's language (/api/schema/).
    __doc__ = gettext_lazy("How one operator the signal reached has dealt with its notice.")

    operator = OrganizationRefSerializer()
    utilities = serializers.ListField(
        child=serializers.ChoiceField(Utility.choices),
        help_text=gettext_lazy("The expected utilities this operator serves in the town."),
    )
    status = serializers.ChoiceField(choices=NoticeStatus.choices)
    created_at = serializers.DateTimeField()
    acknowledged_at = serializers.DateTimeField(
        allow_null=True,
        help_text=gettext_lazy("When the operator acknowledged it; null until then."),
    )
    reminded_at = serializers.DateTimeField(
        allow_null=True,
        help_text=gettext_lazy("When a reminder went out (unacknowledged for a working day)."),
    )


class DemandSignalSerializer(SignalSerializer):
    # The schema's description of this shape, in the caller's language (/api/schema/).
    __doc__ = gettext_lazy(
        "A signal as the department that pushed it sees it: whom it reached, who took note."
    )

    url = serializers.HyperlinkedIdentityField(
        view_name="api:demand-signal-detail", lookup_field="uuid"
    )
    notices = serializers.SerializerMethodField(
        help_text=gettext_lazy("Operators notified (one notice each).")
    )
    operator_notices = OperatorNoticeSerializer(
        source="notices.all",
        many=True,
        help_text=gettext_lazy(
            "One per operator notified, by operator code; `acknowledged_at` tells "
            "whether and when it took note."
        ),
    )

    def get_notices(self, signal) -> int:
        return len(signal.notices.all())  # prefetched by the selector: no query


class WebhookEndpointSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    url = serializers.URLField(help_text=gettext_lazy("Where the signed events are POSTed."))
    is_active = serializers.BooleanField(
        help_text=gettext_lazy(
            "False once removed (or disabled by staff): nothing more is sent there."
        )
    )
    delivery_state = serializers.ChoiceField(
        source="circuit",
        choices=CircuitState.choices,
        help_text=gettext_lazy(
            "`paused` after repeated failed deliveries: events for it wait (none is lost) "
            "until a test delivery (`probing`) is accepted after a cool-down; your organisation's "
            "inbox is told of both."
        ),
    )
    paused_at = serializers.DateTimeField(allow_null=True)
    next_probe_at = serializers.DateTimeField(
        source="probe_after",
        allow_null=True,
        help_text=gettext_lazy("While paused: when one event is sent again to test the endpoint."),
    )
    last_failure = serializers.CharField(
        source="circuit_error",
        help_text=gettext_lazy("While paused: the error of the last failed attempt."),
    )
    created_at = serializers.DateTimeField()


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(
        required=False,
        allow_null=True,
        help_text=gettext_lazy(
            "Only when you sent no secret: the one generated for you. Shown in this "
            "answer only; store it now. A replay of this answer (same `Idempotency-Key`) has "
            "`null` here: the secret is not kept with the replay."
        ),
    )
    secret_redacted = serializers.BooleanField(
        required=False,
        help_text=gettext_lazy(
            "Only in a replayed answer (header `Idempotent-Replayed: true`) whose "
            "first answer showed a generated secret: `true`, the secret was shown once and not "
            "kept. Lost it? Remove the endpoint and register it again."
        ),
    )

    def to_representation(self, endpoint):
        # Never the stored secret: only one generated in this request (context).
        data = dict(WebhookEndpointSerializer(endpoint, context=self.context).data)
        if generated := self.context.get("generated_secret"):
            data["secret"] = generated
        return data


class WebhookEndpointInputSerializer(serializers.Serializer):
    url = serializers.URLField(
        max_length=URL_MAX_LENGTH,
        help_text=gettext_lazy(
            "An https URL of a public host (http://127.0.0.1 is accepted in development)."
        ),
    )
    secret = serializers.CharField(
        required=False,
        min_length=SECRET_MIN_LENGTH,
        max_length=SECRET_MAX_LENGTH,
        trim_whitespace=False,
        help_text=gettext_lazy(
            "Your shared HMAC secret (visible ASCII). Leave it out and a strong one is "
            "generated and returned once."
        ),
    )

"""`/api/v1/stats/`: public figures per utility, no sign-in, no personal data."""

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from applications.constants import ServiceStatus, Utility
from core.api.views import AcceptLanguageMixin
from workgroups.api.throttles import PublicRateThrottle

from ..selectors.public import stats_cache
from ..selectors.stats import public_stats

CACHE_KEY = "api:public-stats"
CACHE_SECONDS = 300


class UtilityStatsSerializer(serializers.Serializer):
    utility = serializers.ChoiceField(choices=Utility.choices)
    total = serializers.IntegerField(
        help_text=gettext_lazy("Applications submitted (drafts not counted).")
    )
    by_status = serializers.DictField(
        child=serializers.IntegerField(),
        help_text=format_lazy(
            gettext_lazy("Count per state: {states}"),
            states=", ".join(s for s in ServiceStatus.values if s != "draft"),
        ),
    )
    connected = serializers.IntegerField(help_text=gettext_lazy("Applications connected so far."))
    median_working_days_to_connect = serializers.FloatField(
        allow_null=True,
        help_text=gettext_lazy(
            "Median working days from submission to connection over the last 12 months, the "
            "applicant's own time (corrections, plan confirmation) excluded: the figure the "
            "public transparency page publishes, from indicators recomputed every few minutes; "
            "null until one is connected in that period."
        ),
    )


class StatsSerializer(serializers.Serializer):
    generated_at = serializers.DateTimeField(
        help_text=gettext_lazy("Figures are refreshed every 5 minutes.")
    )
    utilities = UtilityStatsSerializer(many=True)


class StatsView(AcceptLanguageMixin, APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [PublicRateThrottle]

    @extend_schema(
        summary=gettext_lazy("Public statistics per utility"),
        description=gettext_lazy(
            "Counts by state and connections (live), and the median working days to "
            "connect over the last 12 months (as on /transparency/). No authentication; no "
            "personal data."
        ),
        responses=StatsSerializer,
    )
    def get(self, request):
        figures = stats_cache.get_or_set(CACHE_KEY, public_stats, CACHE_SECONDS)
        return Response(StatsSerializer(figures).data)

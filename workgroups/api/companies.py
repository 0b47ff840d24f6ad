"""`/api/v1/companies/`: the company registry (市场监督管理局) pushes who holds a credit code.

The registry's data verifies the applicant company that registered in the portal with that
code when its name matches (workgroups/identity.py); data pushed before the company registers
is kept and verifies it when it does.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.response import Response

from ..api_tokens import ApiScope
from ..identity import RegistryOutcome, company_registry_push
from ..models import CompanyRegistryRecord
from ..validators import normalize_uscc, validate_uscc
from .auth import principal_of
from .idempotency import idempotent
from .viewsets import OrganizationScopedViewSet

WRITE = ApiScope.COMPANIES_WRITE.value

OUTCOMES = [
    (
        RegistryOutcome.VERIFIED,
        gettext_lazy("The company registered with this code is verified now."),
    ),
    (
        RegistryOutcome.ALREADY_VERIFIED,
        gettext_lazy("The company registered with this code was verified."),
    ),
    (
        RegistryOutcome.NAME_DIFFERS,
        gettext_lazy(
            "A company registered with this code under another name: it stays unverified."
        ),
    ),
    (RegistryOutcome.DISPUTED, gettext_lazy("Two registrations claim this code: staff decide.")),
    (
        RegistryOutcome.NOT_REGISTERED,
        gettext_lazy(
            "Nobody registered with this code yet: the data verifies the company when it does."
        ),
    ),
]


class CompanyRegistryPushSerializer(serializers.Serializer):
    credit_code = serializers.CharField(
        max_length=22,
        help_text=gettext_lazy(
            "统一社会信用代码: 18 characters (spaces are ignored, letters upper-cased)."
        ),
    )
    name = serializers.CharField(
        max_length=200, help_text=gettext_lazy("The registered company name.")
    )
    legal_representative = serializers.CharField(
        max_length=100, help_text=gettext_lazy("The legal representative (法定代表人).")
    )

    def validate_credit_code(self, value: str) -> str:
        code = normalize_uscc(value)
        try:
            validate_uscc(code)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        return code


class CompanyRegistryRecordSerializer(serializers.Serializer):
    credit_code = serializers.CharField()
    name = serializers.CharField()
    legal_representative = serializers.CharField()
    pushed_at = serializers.DateTimeField()
    portal_company = serializers.ChoiceField(
        choices=OUTCOMES,
        help_text=format_lazy(
            "{} " + "; ".join(f"`{value}`: {{}}" for value, _text in OUTCOMES),
            gettext_lazy(
                "What the push did for the applicant company holding the code in the portal:"
            ),
            *(text for _value, text in OUTCOMES),
        ),
    )


@extend_schema_view(
    create=extend_schema(
        summary=gettext_lazy("Push company registry data"),
        description=gettext_lazy(
            "The company registry states the registered name and legal representative "
            "of a unified social credit code. The applicant company that registered in the "
            "portal with the code is verified when its name matches (compared after removing "
            "spaces and folding full-width characters); otherwise, or when nobody registered "
            "yet, the data is kept and verifies the company that registers later with a "
            "matching name. A later push of the same code replaces the data. 201 for a new "
            "code, 200 for an update."
        ),
        request=CompanyRegistryPushSerializer,
        responses={200: CompanyRegistryRecordSerializer, 201: CompanyRegistryRecordSerializer},
    ),
)
class CompanyRegistryViewSet(mixins.CreateModelMixin, OrganizationScopedViewSet):
    queryset_model = CompanyRegistryRecord
    serializer_class = CompanyRegistryRecordSerializer
    pagination_class = None
    filter_backends: list = []
    required_scopes = {"create": WRITE}

    def selector(self):
        return CompanyRegistryRecord.objects.filter(pushed_by_organization=self.organization)

    @idempotent
    def create(self, request, *args, **kwargs):
        command = CompanyRegistryPushSerializer(data=request.data)
        command.is_valid(raise_exception=True)
        pushed = company_registry_push(
            actor=request.user,
            organization=principal_of(request).organization,
            **command.validated_data,
        )
        record = pushed.record
        body = CompanyRegistryRecordSerializer(
            {
                "credit_code": record.credit_code,
                "name": record.name,
                "legal_representative": record.legal_representative,
                "pushed_at": record.pushed_at,
                "portal_company": pushed.outcome,
            }
        ).data
        return Response(
            body, status=status.HTTP_201_CREATED if pushed.created else status.HTTP_200_OK
        )

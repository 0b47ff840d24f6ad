"""Per-utility differences as data: details fields, required documents, stage plan.

Every difference between the five utilities lives here, so the submission service, the
applicant's form and the API read one table instead of five copies of the same code.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _

from workgroups.constants import Carrier, SlaVariant

from .constants import BreachAction, DocumentType, ServiceStatus, SharedFrom, Utility

# Low-voltage connections up to this size get the "三零" service: no site visit, no approval,
# no applicant investment (DOMAIN, electricity).
THREE_ZERO_MAX_KVA = Decimal("160")
LOW_VOLTAGE_MAX_KVA = Decimal("200")


PLEASE_CHOOSE = _("Please choose")


def select(label, choices, **kwargs) -> forms.ChoiceField:
    """A required select that starts empty ("Please choose"): skipping it is an error, never
    the first option chosen for the user (a factory was once filed as a household on 220 V)."""
    field_class = forms.TypedChoiceField if "coerce" in kwargs else forms.ChoiceField
    return field_class(
        label=label,
        choices=[("", PLEASE_CHOOSE), *choices],
        error_messages={"required": _("Choose one of the options.")},
        **kwargs,
    )


@dataclass(frozen=True)
class FieldRule:
    """A rule on one field that depends on another field's choice. The same record gives the
    hint shown next to the field before submitting (`hint()`), the data the page's script
    reads (`as_data()`) and the server's check (`broken()`), so they cannot disagree.

    kind: "required" (the field must be given), "max" (the field's number at most `limit`),
    "forbid" (the field may not take `value`), each only while `when_field` is one of
    `when_values`.
    """

    field: str
    kind: str
    when_field: str
    when_values: tuple[str, ...]
    message: Any  # the error, a lazy translation
    limit: Decimal | None = None
    value: str = ""

    def applies(self, data: dict) -> bool:
        return str(data.get(self.when_field) or "") in self.when_values

    def broken(self, data: dict) -> bool:
        """True when `data` (cleaned values) breaks the rule."""
        if not self.applies(data):
            return False
        current = data.get(self.field)
        if self.kind == "required":
            return current in (None, "", [])
        if self.kind == "max":
            return current is not None and self.limit is not None and current > self.limit
        if self.kind == "forbid":
            return current == self.value
        raise ValueError(self.kind)

    def hint(self, form_class: type[forms.Form]) -> str:
        """The rule as a sentence, from the labels of the form's fields and choices."""
        when_field = form_class.base_fields[self.when_field]
        labels = dict(getattr(when_field, "choices", []))
        when = pgettext("between choices", " or ").join(
            str(labels.get(v, v)) for v in self.when_values
        )
        params = {"field": when_field.label, "values": when, "limit": self.limit}
        if self.kind == "required":
            return gettext("Required when %(field)s is %(values)s.") % params
        if self.kind == "max":
            return gettext("At most %(limit)s when %(field)s is %(values)s.") % params
        own = dict(getattr(form_class.base_fields[self.field], "choices", []))
        params["value"] = own.get(self.value, self.value)
        return gettext("%(value)s is not possible when %(field)s is %(values)s.") % params

    def as_data(self) -> dict:
        """What the page's script needs to show whether the rule applies now."""
        return {
            "kind": self.kind,
            "when": self.when_field,
            "in": list(self.when_values),
            "limit": str(self.limit) if self.limit is not None else None,
            "value": self.value,
        }


class DetailsForm(forms.Form):
    """A utility's details; its `rules` are checked after each field is cleaned."""

    rules: tuple[FieldRule, ...] = ()

    def clean(self) -> dict:
        data = super().clean()
        for rule in self.rules:
            if rule.field not in self.errors and rule.broken(data):
                self.add_error(rule.field, rule.message)
        return data


LOW_VOLTAGES = ("220v", "380v")
WIRED_NETWORK = ("broadband", "dedicated_line")


class ElectricityDetails(DetailsForm):
    rules = (
        FieldRule(
            field="capacity_kva",
            kind="max",
            when_field="voltage_level",
            when_values=LOW_VOLTAGES,
            limit=LOW_VOLTAGE_MAX_KVA,
            message=lazy(
                lambda: (
                    gettext("Above %(max)s kVA the connection must be at 10 kV or 20 kV.")
                    % {"max": LOW_VOLTAGE_MAX_KVA}
                ),
                str,
            )(),
        ),
        FieldRule(
            field="supply_mode",
            kind="forbid",
            when_field="voltage_level",
            when_values=LOW_VOLTAGES,
            value="dual",
            message=_("A dual-source supply needs a 10 kV or 20 kV line."),
        ),
    )

    category = select(
        _("Electricity category"),
        [
            ("residential", _("Residential")),
            ("commercial_industrial", _("General commercial and industrial")),
            ("large_industry", _("Large industry")),
            ("temporary", _("Temporary (construction power)")),
        ],
    )
    capacity_kva = forms.DecimalField(
        label=_("Requested capacity (kVA)"),
        min_value=Decimal("1"),
        max_value=Decimal("200000"),
        max_digits=9,
        decimal_places=1,
    )
    voltage_level = select(
        _("Voltage level"),
        [("220v", "220 V"), ("380v", "380 V"), ("10kv", "10 kV"), ("20kv", "20 kV")],
    )
    supply_mode = select(
        _("Supply mode"), [("single", _("Single source")), ("dual", _("Dual source"))]
    )
    important_customer = forms.BooleanField(label=_("Important customer"), required=False)


class WaterDetails(DetailsForm):
    purpose = select(
        _("Water use"),
        [
            ("residential", _("Residential")),
            ("non_residential", _("Non-residential")),
            ("special", _("Special use")),
        ],
    )
    pipe_diameter_mm = select(
        _("Connection pipe diameter (DN, mm)"),
        [(d, f"DN{d}") for d in (20, 25, 32, 40, 50, 65, 80, 100, 150, 200, 250, 300)],
        coerce=int,
    )
    daily_max_m3 = forms.DecimalField(
        label=_("Maximum daily use (m³)"),
        min_value=Decimal("0.1"),
        max_value=Decimal("500000"),
        max_digits=9,
        decimal_places=1,
    )
    fire_water = forms.BooleanField(label=_("Fire-fighting water"), required=False)
    secondary_supply = forms.BooleanField(label=_("Secondary supply (booster)"), required=False)


class GasDetails(DetailsForm):
    use_type = select(
        _("Gas use"),
        [
            ("residential", _("Residential")),
            ("commercial", _("Commercial")),
            ("industrial", _("Industrial")),
        ],
    )
    appliances = forms.CharField(label=_("Gas appliances"), max_length=500)
    appliance_count = forms.IntegerField(
        label=_("Number of appliances"), min_value=1, max_value=100000
    )
    peak_m3_per_hour = forms.DecimalField(
        label=_("Peak hourly use (m³/h)"),
        min_value=Decimal("0.1"),
        max_value=Decimal("100000"),
        max_digits=9,
        decimal_places=1,
    )
    annual_m3 = forms.DecimalField(
        label=_("Annual use (m³)"),
        min_value=Decimal("0"),
        max_value=Decimal("1000000000"),
        max_digits=12,
        decimal_places=0,
        required=False,
    )


class NetworkDetails(DetailsForm):
    rules = (
        FieldRule(
            field="bandwidth_mbps",
            kind="required",
            when_field="service_type",
            when_values=WIRED_NETWORK,
            message=_("Give the bandwidth for a wired service."),
        ),
    )

    service_type = select(
        _("Network service"),
        [
            ("broadband", _("Broadband")),
            ("dedicated_line", _("Dedicated line")),
            ("mobile_coverage", _("Mobile coverage")),
            ("indoor_distribution", _("Indoor distribution system")),
        ],
    )
    bandwidth_mbps = forms.IntegerField(
        label=_("Bandwidth (Mbps)"), min_value=1, max_value=400000, required=False
    )
    access_points = forms.IntegerField(label=_("Access points"), min_value=1, max_value=100000)
    preferred_carriers = forms.MultipleChoiceField(
        label=_("Preferred carriers"), choices=Carrier.choices
    )
    tower_needed = forms.BooleanField(
        label=_("Tower or shared indoor coverage needed (China Tower)"), required=False
    )


class CableTvDetails(DetailsForm):
    service_type = select(
        _("Cable service"), [("tv", _("Television")), ("broadband", _("Broadband over cable"))]
    )
    terminals = forms.IntegerField(label=_("Number of terminals"), min_value=1, max_value=100000)


@dataclass(frozen=True)
class StagePlan:
    """Which optional stages one application goes through, fixed at submission."""

    fast_track: bool  # accepted -> constructing: no survey, plan or outside-line permits
    needs_inspection: bool
    sla_variant: str = SlaVariant.STANDARD

    def fields(self) -> dict[str, object]:
        """The application's fields that hold the plan."""
        return {
            "fast_track": self.fast_track,
            "needs_inspection": self.needs_inspection,
            "sla_variant": self.sla_variant,
        }


S = ServiceStatus


def planned_stages(sa: Any) -> list[str]:
    """The states an application passes through on its way to closed, from its stage plan
    (`fast_track`, `needs_inspection`) and, once the plan is issued, whether the works need
    outside-line permits (or it is, or was just, in them)."""
    stages = [S.SUBMITTED, S.ACCEPTED]
    if not sa.fast_track:
        stages += [S.SURVEYING, S.PLAN_ISSUED]
        if sa.required_permits or S.PERMITTING in (sa.status, sa.returned_from):
            stages.append(S.PERMITTING)
    stages.append(S.CONSTRUCTING)
    if sa.needs_inspection:
        stages.append(S.INSPECTING)
    return [*stages, S.CONNECTED, S.CLOSED]


def _electricity_plan(details: dict) -> StagePlan:
    low_voltage = details["voltage_level"] in LOW_VOLTAGES
    three_zero = low_voltage and Decimal(details["capacity_kva"]) <= THREE_ZERO_MAX_KVA
    if details["supply_mode"] == "dual":
        variant = SlaVariant.DUAL_SOURCE
    elif low_voltage:
        variant = SlaVariant.LOW_VOLTAGE
    else:
        variant = SlaVariant.STANDARD
    return StagePlan(fast_track=three_zero, needs_inspection=not three_zero, sla_variant=variant)


def _network_plan(details: dict) -> StagePlan:
    return StagePlan(fast_track=details["service_type"] == "broadband", needs_inspection=False)


@dataclass(frozen=True)
class UtilitySpec:
    utility: str
    details_form: type[DetailsForm]
    documents: tuple[str, ...]
    stage_plan: Callable[[dict], StagePlan]
    # Details a correction may not change: they decided which work items the request made.
    fixed_details: tuple[str, ...] = ()


_ALL = (DocumentType.BUSINESS_LICENCE, DocumentType.AUTHORISATION, DocumentType.PROPERTY_RIGHT)

UTILITIES: dict[str, UtilitySpec] = {
    Utility.ELECTRICITY: UtilitySpec(
        Utility.ELECTRICITY,
        ElectricityDetails,
        (
            *_ALL,
            DocumentType.PLANNING_PERMIT,
            DocumentType.CONSTRUCTION_PERMIT,
            DocumentType.SITE_PLAN,
            DocumentType.ELECTRICAL_EQUIPMENT,
        ),
        _electricity_plan,
    ),
    Utility.WATER: UtilitySpec(
        Utility.WATER,
        WaterDetails,
        (
            *_ALL,
            DocumentType.PLANNING_PERMIT,
            DocumentType.CONSTRUCTION_PERMIT,
            DocumentType.SITE_PLAN,
        ),
        lambda details: StagePlan(fast_track=False, needs_inspection=True),
    ),
    Utility.GAS: UtilitySpec(
        Utility.GAS,
        GasDetails,
        (*_ALL, DocumentType.PLANNING_PERMIT, DocumentType.SITE_PLAN, DocumentType.GAS_EQUIPMENT),
        lambda details: StagePlan(fast_track=False, needs_inspection=True),
    ),
    # One work item per chosen carrier (and the tower): changing them is a new request.
    Utility.NETWORK: UtilitySpec(
        Utility.NETWORK,
        NetworkDetails,
        (*_ALL, DocumentType.SITE_PLAN),
        _network_plan,
        fixed_details=("preferred_carriers", "tower_needed"),
    ),
    Utility.CABLE_TV: UtilitySpec(
        Utility.CABLE_TV,
        CableTvDetails,
        _ALL,
        lambda details: StagePlan(fast_track=True, needs_inspection=False),
    ),
}


@dataclass(frozen=True)
class DocumentRule:
    commitment_allowed: bool  # 承诺制: the applicant may sign a commitment instead
    # 免证办: where the portal fetches it itself, if anywhere. Whether it does for one applicant
    # and project is decided by applications/sharing.py `shared_document_sources`, only there.
    shared_from: str = SharedFrom.NOWHERE

    @property
    def shared_data_allowed(self) -> bool:
        return bool(self.shared_from)


DOCUMENT_RULES: dict[str, DocumentRule] = {
    # From the market regulator's registry data of the verified company (its credit code).
    DocumentType.BUSINESS_LICENCE: DocumentRule(False, SharedFrom.COMPANY_REGISTRY),
    # Signed by the company for this request: no department holds it.
    DocumentType.AUTHORISATION: DocumentRule(False),
    DocumentType.PROPERTY_RIGHT: DocumentRule(True, SharedFrom.PROJECT_PUSH),
    DocumentType.PLANNING_PERMIT: DocumentRule(True, SharedFrom.PROJECT_PUSH),
    DocumentType.CONSTRUCTION_PERMIT: DocumentRule(True, SharedFrom.PROJECT_PUSH),
    DocumentType.SITE_PLAN: DocumentRule(False, SharedFrom.PROJECT_PUSH),
    DocumentType.ELECTRICAL_EQUIPMENT: DocumentRule(False),
    DocumentType.GAS_EQUIPMENT: DocumentRule(False),
}


@dataclass(frozen=True)
class CommitmentRule:
    """What a commitment (承诺制) for one document binds the applicant to (DOMAIN "Documents"):
    the body that issues the document verifies it; it falls due before `due_stage` of any
    application relying on it, or `due_working_days` after signing, whichever comes first;
    a broken promise pauses or stops those applications."""

    verifier: str  # the organisation's code (workgroups/reference.py)
    due_stage: str
    due_working_days: int
    on_breach: str


COMMITMENT_RULES: dict[str, CommitmentRule] = {
    # 不动产权证书 / 土地使用证明: 自然资源局 (不动产登记). Without the right to the land there is
    # nothing to connect: the applications stop.
    DocumentType.PROPERTY_RIGHT: CommitmentRule(
        "natural-resources", ServiceStatus.CONSTRUCTING, 20, BreachAction.STOP
    ),
    # 建设工程规划许可证: 自然资源局; before the outside-line works start (the signed wording).
    DocumentType.PLANNING_PERMIT: CommitmentRule(
        "natural-resources", ServiceStatus.CONSTRUCTING, 15, BreachAction.PAUSE
    ),
    # 建筑工程施工许可证: 住房和城乡建设局; needed before the supply is switched on.
    DocumentType.CONSTRUCTION_PERMIT: CommitmentRule(
        "housing", ServiceStatus.CONNECTED, 30, BreachAction.PAUSE
    ),
}


def documents_required(utilities: Iterable[str]) -> list[str]:
    """Each document type needed by any of `utilities`, once, in a stable order."""
    needed = {doc for utility in utilities for doc in UTILITIES[utility].documents}
    return [doc for doc in DocumentType.values if doc in needed]


def utilities_needing(doc_type: str, among: Iterable[str] | None = None) -> list[str]:
    """The utilities (of `among`, else all five) that need this document, in registry order."""
    wanted = UTILITIES.keys() if among is None else set(among)
    return [u for u, spec in UTILITIES.items() if u in wanted and doc_type in spec.documents]


def document_unmet(doc_type: str, *, uploaded: bool, committed: bool) -> str:
    """What the applicant must still do for a required document, or "" when it is met: by an
    upload, or by a signed commitment where 承诺制 allows one."""
    if uploaded:
        return ""
    allowed = DOCUMENT_RULES[doc_type].commitment_allowed
    if committed:
        return "" if allowed else gettext("A commitment cannot replace this document; upload it.")
    if allowed:
        return gettext("Upload this document or sign the commitment instead.")
    return gettext("Upload this document.")


def rule_hints(utility: str) -> dict[str, list[FieldRule]]:
    """The rules of a utility's details, by the field they constrain."""
    form_class = UTILITIES[utility].details_form
    found: dict[str, list[FieldRule]] = {}
    for rule in form_class.rules:
        found.setdefault(rule.field, []).append(rule)
    return found


def clean_details(utility: str, raw: dict) -> dict:
    """Validate one utility's details; JSON-ready values or a ValidationError keyed by field."""
    form = UTILITIES[utility].details_form(data=raw)
    if not form.is_valid():
        raise ValidationError(form.errors.as_data())
    return {key: _jsonable(value) for key, value in form.cleaned_data.items()}


def _jsonable(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    return value


# The public service guides (办事指南, coordination/guides.py) are generated from this module:
# the documents, commitment and shared-data rules and stage plans above, and the prose below.


@dataclass(frozen=True)
class ServiceDescription:
    """What the service guide says of one utility beyond the rules above."""

    summary: str | Promise  # what it is and who it is for
    fees: str | Promise  # what the applicant pays, and when it is known
    fast_track: str | Promise = ""  # which requests skip stages (the stage plan), in words


SERVICE_DESCRIPTIONS: dict[str, ServiceDescription] = {
    Utility.ELECTRICITY: ServiceDescription(
        _(
            "A new power supply, more capacity, or moving an existing connection, from the "
            "grid operator, with the outside-line permits decided in parallel."
        ),
        _(
            "Low-voltage connections up to 160 kVA pay nothing for the works up to the meter "
            "(三零 service). Larger connections: the fee is quoted with the supply plan, by the "
            "published tariff, and you confirm it before works start."
        ),
        _(
            "Low voltage up to 160 kVA: no site survey and no plan (accepted, then connected). "
            "Dual-source supplies have a longer plan reply."
        ),
    ),
    Utility.WATER: ServiceDescription(
        _("A new water supply connection, a larger pipe, or moving a connection."),
        _(
            "The connection fee is quoted with the plan, by the published tariff, and you "
            "confirm it before works start."
        ),
    ),
    Utility.GAS: ServiceDescription(
        _(
            "A new piped gas supply for homes, businesses or industry, from the operator "
            "holding the franchise for your town."
        ),
        _(
            "The connection fee is quoted with the plan, by the published tariff, and you "
            "confirm it before works start."
        ),
    ),
    Utility.NETWORK: ServiceDescription(
        _(
            "Broadband, dedicated lines, mobile coverage or indoor distribution, from one or "
            "several carriers at once, and China Tower where a tower or shared indoor system "
            "is needed."
        ),
        _(
            "Installation is usually free with a service contract; any charge is quoted by "
            "the carrier before works start."
        ),
        _("Broadband: no site survey and no plan (accepted, then installed)."),
    ),
    Utility.CABLE_TV: ServiceDescription(
        _("Cable television or broadband over cable from the provincial cable network."),
        _("Any installation charge is quoted before works start."),
        _("Always fast: accepted, then installed, without survey or plan."),
    ),
}

# What each document is, who issues it and what a good copy shows (the guide's samples).
DOCUMENT_DESCRIPTIONS: dict[str, str | Promise] = {
    DocumentType.BUSINESS_LICENCE: _(
        "Issued by the market regulator; shows the unified social credit code (18 characters), "
        "the name and the legal representative. A person applying for their own home gives "
        "their ID-card number instead."
    ),
    DocumentType.AUTHORISATION: _(
        "The legal representative's certificate, or a power of attorney signed and sealed by "
        "the company when someone else applies for it. Download the template below."
    ),
    DocumentType.PROPERTY_RIGHT: _(
        "The real-estate title or land-use right certificate of the site, e.g. "
        "粤(2026)中山市不动产权第0012345号."
    ),
    DocumentType.PLANNING_PERMIT: _(
        "The construction project planning permit issued by the natural resources bureau, "
        "e.g. 建字第442000202600123号."
    ),
    DocumentType.CONSTRUCTION_PERMIT: _(
        "The building construction permit issued by the housing and construction bureau."
    ),
    DocumentType.SITE_PLAN: _(
        "The site plan with the utility layout: where the building stands and where each "
        "line should enter."
    ),
    DocumentType.ELECTRICAL_EQUIPMENT: _(
        "Each electrical appliance or machine with its rated power (kW) and number, totalled."
    ),
    DocumentType.GAS_EQUIPMENT: _(
        "Each gas appliance with its rated consumption (m³/h) and number, totalled."
    ),
}

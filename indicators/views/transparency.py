"""The public transparency page: open to everyone, no sign-in, no personal data."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from applications.constants import DocumentType, Utility
from applications.registry import DOCUMENT_RULES
from applications.sharing import shared_data_condition
from workgroups.constants import SlaVariant, Stage

from ..evaluation import compare
from ..selectors.kpi import PUBLIC_INDICATORS_UNAVAILABLE
from ..selectors.public import transparency_figures

_STAGES = list(Stage.values)
_VARIANTS = list(SlaVariant.values)


def _stage_order(sla: dict) -> tuple[int, int]:
    """Stages in the order a case goes through them, the standard variant first."""
    stage, variant = sla["stage"], sla["variant"]
    return (
        _STAGES.index(stage) if stage in _STAGES else len(_STAGES),
        _VARIANTS.index(variant) if variant in _VARIANTS else len(_VARIANTS),
    )


@require_GET
def transparency(request: HttpRequest) -> HttpResponse:
    figures = transparency_figures()
    utility_labels = dict(Utility.choices)
    stage_labels = dict(Stage.choices)
    variant_labels = dict(SlaVariant.choices)
    document_labels = dict(DocumentType.choices)
    utilities = []
    for row in figures["utilities"]:
        utilities.append(
            {
                **row,
                "label": utility_labels[row["utility"]],
                "slas": [
                    {
                        "stage": stage_labels.get(s["stage"], s["stage"]),
                        "variant": variant_labels.get(s["variant"], "") if s["variant"] else "",
                        "working_days": s["working_days"],
                    }
                    for s in sorted(row["slas"], key=_stage_order)
                ],
                "documents": [
                    {
                        "label": document_labels[d],
                        "doc_type": d,
                        "commitment": DOCUMENT_RULES[d].commitment_allowed,
                        "shared_from": DOCUMENT_RULES[d].shared_from,
                        # Said from the rules `shared_document_sources` applies to the form.
                        "shared_condition": shared_data_condition(d),
                    }
                    for d in row["documents"]
                ],
            }
        )
    return render(
        request,
        "indicators/transparency.html",
        {
            "figures": figures,
            "utilities": utilities,
            # China's business environment evaluation next to the city's figures above.
            "evaluation": compare(
                {u["utility"]: u for u in figures["utilities"]} if figures["available"] else {}
            ),
            # The public reads no developer note: why lives in docs/operations.md.
            "indicators_unavailable": PUBLIC_INDICATORS_UNAVAILABLE,
        },
    )

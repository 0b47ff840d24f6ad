"""The public service guides (办事指南) and the authorisation letter template: no sign-in."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from applications.models import ServiceApplication
from workgroups.constants import Stage

from ..guides import guide_business_types, guide_index, service_guide
from ..letters import authorisation_letter_docx

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@require_GET
def guides(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "coordination/guides.html",
        {"utilities": guide_index(), "business_types": guide_business_types()},
    )


@require_GET
def guide(request: HttpRequest, utility: str, business_type: str | None = None) -> HttpResponse:
    """One utility's guide for one business type (without one: the first, new connection)."""
    zh = (get_language() or "").startswith("zh")
    try:
        data = service_guide(utility, business_type, zh=zh)
    except KeyError as exc:
        raise Http404 from exc
    return render(
        request,
        "coordination/guide.html",
        {
            "guide": data,
            "zh": zh,
            "utilities": guide_index(),
            "business_types": guide_business_types(),
        },
    )


@require_GET
def authorisation_letter(request: HttpRequest) -> HttpResponse:
    """The template as .docx, in the page's language."""
    zh = (get_language() or "").startswith("zh")
    response = HttpResponse(authorisation_letter_docx("zh" if zh else "en"), content_type=DOCX)
    name = "authorisation-letter-zh.docx" if zh else "authorisation-letter-en.docx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def guide_section(status: str) -> str:
    """The guide's section for a case in `status`: its stage's row where the stage has a time
    limit, else the stages table."""
    return f"stage-{status}" if status in Stage.values else "stages"


def guide_tracking_panels(
    request: HttpRequest, services: list[ServiceApplication]
) -> dict[int, str]:
    """The tracking page's link, per utility, to the guide of its business type at the stage
    the case is in (no query: the case's own fields)."""
    return {
        sa.pk: render_to_string(
            "coordination/_guide_stage_link.html",
            {
                "utility": sa.utility,
                "business_type": sa.combined.business_type,
                "section": guide_section(sa.status),
            },
            request=request,
        )
        for sa in services
    }

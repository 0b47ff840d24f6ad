"""The public service guides (办事指南) and the authorisation letter template: no sign-in."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from ..guides import guide_index, service_guide
from ..letters import authorisation_letter_docx

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@require_GET
def guides(request: HttpRequest) -> HttpResponse:
    return render(request, "coordination/guides.html", {"utilities": guide_index()})


@require_GET
def guide(request: HttpRequest, utility: str) -> HttpResponse:
    try:
        data = service_guide(utility)
    except KeyError as exc:
        raise Http404 from exc
    zh = (get_language() or "").startswith("zh")
    return render(
        request,
        "coordination/guide.html",
        {"guide": data, "zh": zh, "utilities": guide_index()},
    )


@require_GET
def authorisation_letter(request: HttpRequest) -> HttpResponse:
    """The template as .docx, in the page's language."""
    zh = (get_language() or "").startswith("zh")
    response = HttpResponse(authorisation_letter_docx("zh" if zh else "en"), content_type=DOCX)
    name = "authorisation-letter-zh.docx" if zh else "authorisation-letter-en.docx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response

"""The decision package (统一出件): the applicant's downloads and the public verification."""

from __future__ import annotations

import json

from django import forms
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from core.web import maps_domain_errors

from ..models import DecisionPackage
from ..selectors.packages import package_by_code
from ..services.packages import (
    decision_package_check_copy,
    decision_package_issue,
    decision_package_status,
    verify_url,
)
from .common import applicant_required
from .tracking import _combined, _error_page

# A package is a few pages: anything much larger is not one.
COPY_MAX_BYTES = 5 * 1024 * 1024


def _current(request: HttpRequest, uuid) -> DecisionPackage:
    combined = _combined(request, uuid)
    return decision_package_issue(combined=combined, base_url=request.build_absolute_uri("/")[:-1])


@require_GET
@applicant_required
@maps_domain_errors(_error_page)
def package_pdf(request: HttpRequest, uuid) -> HttpResponse:
    """The current package, signed (issued first when the request changed since the last)."""
    package = _current(request, uuid)
    with package.pdf.open("rb") as handle:
        response = HttpResponse(handle.read(), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="decision-package-{package.short_code}.pdf"'
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@applicant_required
@maps_domain_errors(_error_page)
def package_json(request: HttpRequest, uuid) -> HttpResponse:
    """The same package as data, with the hashes that tie it to the signed PDF."""
    package = _current(request, uuid)
    body = {
        "package": {
            "verification_code": package.short_code,
            "number": package.number,
            "issued_at": package.issued_at.isoformat(),
            "pdf_sha256": package.pdf_sha256,
            "content_sha256": package.content_sha256,
            "verify_url": verify_url(package.short_code, request.build_absolute_uri("/")[:-1]),
        },
        **package.content,
    }
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False, indent=2), content_type="application/json"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="decision-package-{package.short_code}.json"'
    )
    response["Cache-Control"] = "private, no-store"
    return response


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Verification code"),
        max_length=20,
        help_text=_("Printed under the QR code of the package, e.g. 7KQ2-M9XD-4PWT."),
    )


class CopyForm(forms.Form):
    copy = forms.FileField(
        label=_("Your copy of the PDF"),
        help_text=_("Checked here and not kept."),
    )

    def clean_copy(self):
        upload = self.cleaned_data["copy"]
        if upload.size > COPY_MAX_BYTES:
            raise forms.ValidationError(_("This file is larger than any decision package."))
        return upload


@require_http_methods(["GET"])
def verify_start(request: HttpRequest) -> HttpResponse:
    """Type the code printed on a package."""
    form = CodeForm(request.GET or None)
    if form.is_bound and form.is_valid():
        code = form.cleaned_data["code"].strip().upper()
        if package_by_code(short_code=code) is not None:
            return redirect("applications:package_verify", code)
        form.add_error("code", _("No decision package has this code. Check it and try again."))
    return render(request, "applications/package_verify_start.html", {"form": form})


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest, code: str) -> HttpResponse:
    """Anyone holding a package checks it: when and for which project it was issued, whether
    the platform's signature holds, whether it is still the current one, and (uploading their
    copy) whether that copy is the issued file, unaltered."""
    package = package_by_code(short_code=code)
    if package is None:
        raise Http404
    copy_check = None
    form = CopyForm(request.POST, request.FILES) if request.method == "POST" else CopyForm()
    if form.is_bound and form.is_valid():
        data = form.cleaned_data["copy"].read()
        copy_check = decision_package_check_copy(package=package, data=data)
    context = {
        "status": decision_package_status(package=package),
        "project": package.combined.project,
        "form": form,
        "copy_check": copy_check,
        "max_mb": COPY_MAX_BYTES // (1024 * 1024),
        "base_url": settings.PORTAL_BASE_URL,
    }
    return render(request, "applications/package_verify.html", context)

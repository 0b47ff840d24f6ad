"""Issuing and verifying the decision package (统一出件) of a combined request."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.pdf_signing import SignatureCheck, check_pdf_signature, sign_pdf

from ..models import CombinedApplication, DecisionPackage
from ..package_pdf import render_package_pdf
from ..selectors.packages import decision_package_content, package_combined

# Crockford's base32 without I, L, O, U: read aloud or typed from paper without confusion.
_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class PackageNotReady(DomainError):
    """Some utility still waits for its plan or its outside-line permits."""

    status_code = 409


def _short_code() -> str:
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def _content_hash(content: dict) -> str:
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def verify_url(short_code: str, base_url: str) -> str:
    return f"{base_url}{reverse('applications:package_verify', args=[short_code])}"


@transaction.atomic
def decision_package_issue(
    *, combined: CombinedApplication, base_url: str, now: datetime | None = None
) -> DecisionPackage:
    """The request's current package: the latest issue when nothing in it changed since, else
    a new signed issue (and the previous one marked superseded). Concurrent callers are
    serialised on the request's row, so one change makes one issue."""
    CombinedApplication.objects.select_for_update().filter(pk=combined.pk).get()
    fresh = package_combined(combined_id=combined.pk)
    content = decision_package_content(combined=fresh)
    if content is None:
        raise PackageNotReady(
            _("The decision package is issued once every utility has its plan and permits.")
        )
    digest = _content_hash(content)
    latest = fresh.decision_packages.order_by("-number").first()
    if latest is not None and latest.content_sha256 == digest:
        return latest
    now = now or timezone.now()
    number = (fresh.decision_packages.aggregate(top=Max("number"))["top"] or 0) + 1
    code = _short_code()
    pdf = sign_pdf(
        render_package_pdf(
            content,
            short_code=code,
            number=number,
            issued_at=timezone.localtime(now).strftime("%Y-%m-%d %H:%M"),
            verify_url=verify_url(code, base_url),
        ),
        reason=_("Decision package of request %(request)s") % {"request": content["request"]},
    )
    package = DecisionPackage(
        combined=fresh,
        number=number,
        short_code=code,
        content=content,
        content_sha256=digest,
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        issued_at=now,
    )
    package.pdf.save("package.pdf", ContentFile(pdf), save=False)
    package.save()
    fresh.decision_packages.filter(superseded_at__isnull=True).exclude(pk=package.pk).update(
        superseded_at=now
    )
    return package


@dataclass(frozen=True)
class PackageStatus:
    """What the public verification page says of a package."""

    package: DecisionPackage
    current: bool  # the newest issue, and the request has not changed since
    signature: SignatureCheck
    stored_intact: bool  # the stored file still has the hash recorded at issue


def decision_package_status(*, package: DecisionPackage) -> PackageStatus:
    with package.pdf.open("rb") as handle:
        stored = handle.read()
    current = False
    if package.superseded_at is None:
        content = decision_package_content(
            combined=package_combined(combined_id=package.combined_id)
        )
        current = content is not None and _content_hash(content) == package.content_sha256
    return PackageStatus(
        package=package,
        current=current,
        signature=check_pdf_signature(stored),
        stored_intact=hashlib.sha256(stored).hexdigest() == package.pdf_sha256,
    )


@dataclass(frozen=True)
class CopyCheck:
    """A copy of a package someone holds, compared with the issued one."""

    matches: bool  # byte for byte the issued file
    signature: SignatureCheck


def decision_package_check_copy(*, package: DecisionPackage, data: bytes) -> CopyCheck:
    return CopyCheck(
        matches=hashlib.sha256(data).hexdigest() == package.pdf_sha256,
        signature=check_pdf_signature(data),
    )

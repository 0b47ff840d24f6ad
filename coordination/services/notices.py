"""Policy notices (政策推送): written and published by a workgroup's lead agency staff.

Publication fixes, in its own transaction, the companies the notice is for (one NoticeRecipient
row each, unique): the notifications engine reads those rows and tells each company once, in its
inbox, by e-mail and by SMS. Publishing again, or a scheduled run racing a member of staff, finds
the notice published and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import nh3
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from applications.services.documents import sanitize_filename, upload_checked
from core.errors import DomainError, PermissionDenied, ValidationError
from core.workflow import apply
from workgroups.models import Membership, User

from ..constants import NoticeEventKind, NoticeStatus
from ..models import (
    NoticeReadReceipt,
    NoticeRecipient,
    PolicyNotice,
    PolicyNoticeAttachment,
    PolicyNoticeEvent,
    PolicyNoticeRevision,
)
from ..registry import NOTICE_ATTACHMENTS_MAX, NOTICE_VIDEO_MAX_BYTES
from ..selectors.notices import lead_workgroup_ids, notice_audience
from ..workflow import NOTICE

# The rich text a notice may carry: structure, emphasis, lists, tables and links; no script, no
# style, no event handler, no frame (nh3 drops on* attributes and javascript: links itself).
ALLOWED_TAGS = {
    "p", "br", "h2", "h3", "h4", "strong", "b", "em", "i", "u", "ul", "ol", "li", "a",
    "blockquote", "table", "thead", "tbody", "tr", "th", "td", "hr",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"scope"}, "td": {"colspan", "rowspan"}}


def sanitize_notice_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    ).strip()


@dataclass
class NoticeInput:
    """What staff write; targeting lists hold choice values (town codes for towns)."""

    title: str
    body_html: str
    workgroup_id: int
    video_url: str = ""
    infographic: UploadedFile | None = None
    video: UploadedFile | None = None
    attachments: Sequence[UploadedFile] = ()
    utilities: list[str] = field(default_factory=list)
    business_types: list[str] = field(default_factory=list)
    project_kinds: list[str] = field(default_factory=list)
    towns: list[str] = field(default_factory=list)
    company_types: list[str] = field(default_factory=list)
    case_states: list[str] = field(default_factory=list)


TARGETING = (
    "utilities",
    "business_types",
    "project_kinds",
    "towns",
    "company_types",
    "case_states",
)

# The content decides the video format, never the file name: MP4 (ISO BMFF "ftyp" box) or WebM.
_VIDEO_SIGNATURES = (
    (4, b"ftyp", "video/mp4", ".mp4"),
    (0, b"\x1aE\xdf\xa3", "video/webm", ".webm"),
)


def _video_checked(upload: UploadedFile, errors: dict[str, list[str]]) -> tuple[str, str] | None:
    if upload.size is None or upload.size > NOTICE_VIDEO_MAX_BYTES:
        errors["video"] = [
            _("The file is larger than %(mb)s MB.") % {"mb": NOTICE_VIDEO_MAX_BYTES // 2**20}
        ]
        return None
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    for offset, signature, content_type, extension in _VIDEO_SIGNATURES:
        if head[offset : offset + len(signature)] == signature:
            return content_type, extension
    errors["video"] = [_("Only MP4 and WebM videos are accepted.")]
    return None


def _infographic_checked(
    upload: UploadedFile, errors: dict[str, list[str]]
) -> tuple[str, str] | None:
    try:
        _sha, content_type, extension, _size = upload_checked(upload, field="infographic")
    except ValidationError as exc:
        errors["infographic"] = list(exc.messages)
        return None
    if not content_type.startswith("image/"):
        errors["infographic"] = [_("The infographic must be a JPEG or PNG image.")]
        return None
    return content_type, extension


def _attachments_checked(
    uploads: Sequence[UploadedFile], errors: dict[str, list[str]]
) -> list[tuple]:
    if len(uploads) > NOTICE_ATTACHMENTS_MAX:
        errors["attachments"] = [_("At most %s files.") % NOTICE_ATTACHMENTS_MAX]
        return []
    checked = []
    for upload in uploads:
        try:
            checked.append((upload, *upload_checked(upload, field="attachments")))
        except ValidationError as exc:
            name = sanitize_filename(upload.name or "")
            errors.setdefault("attachments", []).extend(f"{name}: {m}" for m in exc.messages)
    return checked


def _check(data: NoticeInput, errors: dict[str, list[str]]) -> str:
    if not data.title.strip():
        errors["title"] = [_("Give the notice a title.")]
    body = sanitize_notice_html(data.body_html)
    if not nh3.clean(body, tags=set()).strip():
        errors["body_html"] = [_("Write the text of the notice.")]
    if data.video_url:
        parts = urlsplit(data.video_url)
        if parts.scheme != "https" or not parts.netloc:
            errors["video_url"] = [_("A video link must start with https://.")]
    if data.video_url and data.video is not None:
        errors["video_url"] = [_("Upload a video or give a link, not both.")]
    return body


def _allowed(actor: User, workgroup_id: int) -> None:
    if actor.is_superuser:
        return
    if workgroup_id not in lead_workgroup_ids(user=actor):
        raise PermissionDenied(_("Only the workgroup's lead agency publishes its notices."))


def _event(notice: PolicyNotice, kind: str, actor: User | None, **data) -> None:
    PolicyNoticeEvent.objects.create(notice=notice, kind=kind, actor=actor, data=data)


def _store_files(
    notice: PolicyNotice,
    *,
    infographic: tuple | None,
    video: tuple | None,
    data: NoticeInput,
    attachments: list[tuple],
) -> None:
    if infographic is not None and data.infographic is not None:
        content_type, extension = infographic
        notice.infographic.save(f"{uuid.uuid4().hex}{extension}", data.infographic, save=False)
        notice.infographic_type = content_type
    if video is not None and data.video is not None:
        content_type, extension = video
        notice.video.save(f"{uuid.uuid4().hex}{extension}", data.video, save=False)
        notice.video_type = content_type
        notice.video_url = ""
    elif data.video_url:
        notice.video_url = data.video_url
        notice.video = None
        notice.video_type = ""
    notice.save()
    for upload, sha256, content_type, extension, size in attachments:
        attachment = PolicyNoticeAttachment(
            notice=notice,
            original_name=sanitize_filename(upload.name or ""),
            content_type=content_type,
            extension=extension,
            size_bytes=size,
            sha256=sha256,
        )
        attachment.file.save(f"{uuid.uuid4().hex}{extension}", upload, save=False)
        attachment.save()
    # A file written before a later failure rolls back with the rows; its bytes stay orphaned
    # under notices/<uuid>/ (named by no row, served by no view).


def _validated(data: NoticeInput) -> tuple:
    errors: dict[str, list[str]] = {}
    body = _check(data, errors)
    infographic = _infographic_checked(data.infographic, errors) if data.infographic else None
    video = _video_checked(data.video, errors) if data.video else None
    attachments = _attachments_checked(data.attachments, errors)
    if errors:
        raise ValidationError(errors)
    return body, infographic, video, attachments


@transaction.atomic
def policy_notice_create(*, actor: User, data: NoticeInput) -> PolicyNotice:
    """A draft notice of the actor's workgroup. Field-keyed errors; PermissionDenied for anyone
    but the workgroup's lead agency staff."""
    _allowed(actor, data.workgroup_id)
    body, infographic, video, attachments = _validated(data)
    notice = PolicyNotice(
        workgroup_id=data.workgroup_id,
        title=data.title.strip(),
        body_html=body,
        created_by=actor,
        **{name: sorted(set(getattr(data, name))) for name in TARGETING},
    )
    notice.save()
    _store_files(notice, infographic=infographic, video=video, data=data, attachments=attachments)
    _event(notice, NoticeEventKind.CREATED, actor)
    return notice


def _locked(notice: PolicyNotice) -> PolicyNotice:
    return PolicyNotice.objects.select_for_update().get(pk=notice.pk)


@transaction.atomic
def policy_notice_edit(
    *, actor: User, notice: PolicyNotice, data: NoticeInput, now: dt.datetime | None = None
) -> PolicyNotice:
    """Change a notice. Before publication everything may change; after it the audience is
    fixed, and each change of the text is kept as a numbered revision ("revised on …")."""
    now = now or timezone.now()
    notice = _locked(notice)
    _allowed(actor, notice.workgroup_id)
    if notice.status == NoticeStatus.WITHDRAWN:
        raise DomainError(_("A withdrawn notice can no longer be changed."))
    body, infographic, video, attachments = _validated(data)
    published = notice.status == NoticeStatus.PUBLISHED
    text_changed = (notice.title, notice.body_html) != (data.title.strip(), body)
    notice.title, notice.body_html = data.title.strip(), body
    if not published:
        for name in TARGETING:
            setattr(notice, name, sorted(set(getattr(data, name))))
    elif text_changed:
        notice.revision += 1
        notice.revised_at = now
        PolicyNoticeRevision.objects.create(
            notice=notice, number=notice.revision, title=notice.title, body_html=body,
            actor=actor, at=now,
        )  # fmt: skip
    _store_files(notice, infographic=infographic, video=video, data=data, attachments=attachments)
    _event(notice, NoticeEventKind.EDITED, actor, revision=notice.revision)
    return notice


def _fan_out(notice: PolicyNotice, *, actor: User | None, now: dt.datetime) -> int:
    """What publication fixes beside the move: revision 0 (the text as published) and the
    companies the notice is for, one row each (the notifications engine tells them)."""
    PolicyNoticeRevision.objects.create(
        notice=notice, number=0, title=notice.title, body_html=notice.body_html, actor=actor, at=now
    )
    org_ids = list(notice_audience(notice).values_list("pk", flat=True))
    NoticeRecipient.objects.bulk_create(
        [NoticeRecipient(notice=notice, organization_id=pk, at=now) for pk in org_ids],
        ignore_conflicts=True,
        batch_size=1000,
    )
    return len(org_ids)


@transaction.atomic
def policy_notice_transition(
    *,
    actor: User,
    notice: PolicyNotice,
    name: str,
    data: dict | None = None,
    now: dt.datetime | None = None,
) -> PolicyNotice:
    """Publish now, schedule (`publish_at` in `data`), cancel the schedule or withdraw, through
    the workflow table (coordination/workflow.py NOTICE): 404 for a notice of a workgroup the
    actor does not lead, 409 when not possible now, field errors for a bad time. Publishing a
    notice already published changes nothing (a second click, a race with the beat)."""
    now = now or timezone.now()
    if name == "publish":
        current = NOTICE.lock(notice)
        if current.status == NoticeStatus.PUBLISHED:
            return current
        notice = apply(NOTICE, current, name, actor=actor, data=data, now=now, locked=True)
        _fan_out(notice, actor=actor, now=now)
        return notice
    return apply(NOTICE, notice, name, actor=actor, data=data, now=now)


def policy_notice_publish(
    *, actor: User, notice: PolicyNotice, now: dt.datetime | None = None
) -> PolicyNotice:
    return policy_notice_transition(actor=actor, notice=notice, name="publish", now=now)


def policy_notice_schedule(
    *, actor: User, notice: PolicyNotice, publish_at: dt.datetime, now: dt.datetime | None = None
) -> PolicyNotice:
    return policy_notice_transition(
        actor=actor, notice=notice, name="schedule", data={"publish_at": publish_at}, now=now
    )


def policy_notice_withdraw(
    *, actor: User, notice: PolicyNotice, now: dt.datetime | None = None
) -> PolicyNotice:
    return policy_notice_transition(actor=actor, notice=notice, name="withdraw", now=now)


def policy_notices_publish_due(*, now: dt.datetime | None = None) -> int:
    """Publish every scheduled notice whose time has come, each in its own transaction (one
    another run holds or has published is skipped). The number published."""
    now = now or timezone.now()
    due = PolicyNotice.objects.filter(
        status=NoticeStatus.SCHEDULED, publish_at__lte=now
    ).values_list("pk", flat=True)
    published = 0
    for pk in list(due):
        with transaction.atomic():
            notice = (
                PolicyNotice.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, status=NoticeStatus.SCHEDULED, publish_at__lte=now)
                .first()
            )
            if notice is None:
                continue
            apply(NOTICE, notice, "publish_due", actor=None, now=now, locked=True)
            _fan_out(notice, actor=None, now=now)
            published += 1
    return published


@transaction.atomic
def policy_notice_read(*, user: User, notice: PolicyNotice) -> int:
    """A member of a company the notice is for has opened it: that company's receipt (one per
    company, the first reader kept). The number of companies the reader reads for."""
    if not user.is_authenticated:
        return 0
    # Only a published notice has recipients; a withdrawn one is no longer shown to read.
    orgs = Membership.objects.filter(
        user=user,
        organization_id__in=NoticeRecipient.objects.filter(notice=notice).values("organization_id"),
    ).values_list("organization_id", flat=True)
    rows = [NoticeReadReceipt(notice=notice, organization_id=pk, reader=user) for pk in orgs]
    if not rows:
        return 0
    return len(NoticeReadReceipt.objects.bulk_create(rows, ignore_conflicts=True))


__all__ = [
    "NoticeInput",
    "policy_notice_create",
    "policy_notice_edit",
    "policy_notice_publish",
    "policy_notice_read",
    "policy_notice_schedule",
    "policy_notice_transition",
    "policy_notice_withdraw",
    "policy_notices_publish_due",
    "sanitize_notice_html",
]

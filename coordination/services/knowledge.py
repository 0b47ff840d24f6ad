"""Writes of the knowledge base and the training records: atomic, checked against the
caller's workgroups, the rich text sanitised and the search words stored in the same save."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.postgres.search import SearchVector
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import PermissionDenied, ValidationError
from workgroups.models import Organization, User, Workgroup

from ..knowledge import plain_text, sanitise_html, search_text
from ..models import Article, Meeting, TrainingAttendance, TrainingSession
from ..selectors.knowledge import KnowledgeScope, knowledge_scope


@dataclass(frozen=True)
class ArticleInput:
    workgroup: Workgroup
    kind: str
    title: str
    body: str
    stage: str = ""
    meeting: Meeting | None = None


@dataclass(frozen=True)
class TrainingInput:
    workgroup: Workgroup
    title: str
    held_on: dt.date
    trainer: str
    material: str = ""


def _author_org(actor: User, scope: KnowledgeScope, workgroup: Workgroup) -> Organization:
    if workgroup.pk not in scope.workgroup_ids and not scope.superuser:
        raise PermissionDenied(_("Only the workgroup's own staff write its knowledge base."))
    org = scope.member_org(workgroup.pk)
    if org is None:
        org = Organization.objects.filter(memberships__user=actor).order_by("pk").first()
    if org is None:
        raise PermissionDenied(_("Only the workgroup's own staff write its knowledge base."))
    return org


def _index(article: Article) -> None:
    """Store the article's words and, on PostgreSQL, its tsvector (title words weigh more)."""
    article.search_title = search_text(article.title)
    article.search_body = search_text(plain_text(article.body))
    article.save(update_fields=["search_title", "search_body"])
    if connection.vendor == "postgresql":
        Article.objects.filter(pk=article.pk).update(
            search_vector=SearchVector("search_title", weight="A", config="simple")
            + SearchVector("search_body", weight="B", config="simple")
        )


def _clean(data: ArticleInput) -> str:
    body = sanitise_html(data.body).strip()
    errors = {}
    if not plain_text(body).strip():
        errors["body"] = [_("Write the article's text.")]
    if data.meeting is not None and data.meeting.workgroup_id not in (None, data.workgroup.pk):
        errors["meeting"] = [_("The meeting is another workgroup's.")]
    if errors:
        raise ValidationError(errors)
    return body


@transaction.atomic
def article_create(*, actor: User, data: ArticleInput) -> Article:
    scope = knowledge_scope(user=actor)
    org = _author_org(actor, scope, data.workgroup)
    article = Article.objects.create(
        workgroup=data.workgroup,
        kind=data.kind,
        stage=data.stage,
        title=data.title.strip(),
        body=_clean(data),
        meeting=data.meeting,
        author=actor,
        organization=org,
    )
    _index(article)
    return article


@transaction.atomic
def article_update(*, actor: User, article: Article, data: ArticleInput) -> Article:
    scope = knowledge_scope(user=actor)
    _author_org(actor, scope, article.workgroup)
    _author_org(actor, scope, data.workgroup)
    article = Article.objects.select_for_update().get(pk=article.pk)
    article.workgroup = data.workgroup
    article.kind = data.kind
    article.stage = data.stage
    article.title = data.title.strip()
    article.body = _clean(data)
    article.meeting = data.meeting
    article.updated_at = timezone.now()
    article.save()
    _index(article)
    return article


@transaction.atomic
def training_session_create(*, actor: User, data: TrainingInput) -> TrainingSession:
    scope = knowledge_scope(user=actor)
    _author_org(actor, scope, data.workgroup)
    return TrainingSession.objects.create(
        workgroup=data.workgroup,
        title=data.title.strip(),
        held_on=data.held_on,
        trainer=data.trainer.strip(),
        material=sanitise_html(data.material).strip(),
        created_by=actor,
    )


@transaction.atomic
def training_attendance_record(
    *, actor: User, session: TrainingSession, organization: Organization, people: list[str]
) -> list[TrainingAttendance]:
    """Record who of `organization` attended (each person once; a repeat is ignored)."""
    scope = knowledge_scope(user=actor)
    _author_org(actor, scope, session.workgroup)
    names = list(dict.fromkeys(p.strip() for p in people if p.strip()))
    if not names:
        raise ValidationError({"people": [_("Name at least one person who attended.")]})
    rows = [
        TrainingAttendance(
            session=session, organization=organization, person=name, recorded_by=actor
        )
        for name in names
    ]
    TrainingAttendance.objects.bulk_create(rows, ignore_conflicts=True)
    return rows

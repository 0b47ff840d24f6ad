"""Reads of the knowledge base and the training records, scoped to the caller.

Every member of a staff organisation (agencies, operators, towns, the leadership bodies) reads
the whole knowledge base and the training records; applicants never. A workgroup's own
members (its lead agencies, members and operators) write its articles and its training
records. The search ranks by PostgreSQL's ts_rank over the stored tsvector (title words
weigh more than the text's); the embedded SQLite mode matches the stored words instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import Count, F, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from workgroups.constants import OrganizationKind
from workgroups.models import Membership, Organization, WorkgroupMembership

from ..knowledge import query_words
from ..models import Article, TrainingAttendance, TrainingSession

RELATED_MAX = 5


@dataclass(frozen=True)
class KnowledgeScope:
    org_ids: frozenset[int] = frozenset()
    # workgroup id -> the caller's organisation that belongs to it
    workgroup_orgs: dict[int, int] = field(default_factory=dict)
    superuser: bool = False

    @property
    def is_staff(self) -> bool:
        return bool(self.org_ids) or self.superuser

    @property
    def workgroup_ids(self) -> frozenset[int]:
        return frozenset(self.workgroup_orgs)

    def member_org(self, workgroup_id: int) -> Organization | None:
        org_id = self.workgroup_orgs.get(workgroup_id)
        return Organization.objects.get(pk=org_id) if org_id else None


def knowledge_scope(*, user) -> KnowledgeScope:
    """Two queries: the caller's staff organisations and their workgroups."""
    if not user.is_authenticated:
        return KnowledgeScope()
    if user.is_superuser:
        return KnowledgeScope(superuser=True)
    org_ids = frozenset(
        Membership.objects.filter(user=user)
        .exclude(organization__kind=OrganizationKind.APPLICANT_COMPANY)
        .values_list("organization_id", flat=True)
    )
    if not org_ids:
        return KnowledgeScope()
    workgroup_orgs: dict[int, int] = {}
    for wg, org in WorkgroupMembership.objects.filter(organization_id__in=org_ids).values_list(
        "workgroup_id", "organization_id"
    ):
        workgroup_orgs.setdefault(wg, org)
    return KnowledgeScope(org_ids=org_ids, workgroup_orgs=workgroup_orgs)


def visible_articles(*, scope: KnowledgeScope) -> QuerySet[Article]:
    if not scope.is_staff:
        return Article.objects.none()
    return Article.objects.select_related("workgroup", "author", "organization", "meeting")


def article_search(
    *, scope: KnowledgeScope, query: str = "", workgroup_id: int | None = None, kind: str = ""
) -> QuerySet[Article]:
    """The caller's articles matching every word of `query`, best first (newest first without
    a query)."""
    articles = visible_articles(scope=scope)
    if workgroup_id:
        articles = articles.filter(workgroup_id=workgroup_id)
    if kind:
        articles = articles.filter(kind=kind)
    words = query_words(query)
    if not words:
        return articles.order_by("-updated_at", "-pk")
    if connection.vendor == "postgresql":
        tsquery = SearchQuery(words[0], config="simple", search_type="plain")
        for word in words[1:]:
            tsquery &= SearchQuery(word, config="simple", search_type="plain")
        return (
            articles.annotate(rank=SearchRank(F("search_vector"), tsquery))
            .filter(search_vector=tsquery)
            .order_by("-rank", "-updated_at", "-pk")
        )
    # SQLite (embedded mode): each word must be one of the stored words.
    for word in words:
        articles = articles.filter(
            Q(search_title__regex=rf"(^| ){word}( |$)") | Q(search_body__regex=rf"(^| ){word}( |$)")
        )
    return articles.order_by("-updated_at", "-pk")


def article_for_staff(*, scope: KnowledgeScope, uuid) -> Article | None:
    return visible_articles(scope=scope).filter(uuid=uuid).first()


def related_articles(
    *, workgroup_codes: list[str], stages: list[str]
) -> dict[tuple[str, str], list[Article]]:
    """The know-how for each (utility, stage) asked, in one query: a workgroup's articles on
    that stage first, then those for any stage; at most RELATED_MAX each."""
    rows: list[Article] = list(
        Article.objects.filter(workgroup__code__in=workgroup_codes)
        .filter(Q(stage__in=stages) | Q(stage=""))
        # At most RELATED_MAX of each workgroup and stage are read, however many there are.
        .annotate(
            nth=Window(
                RowNumber(),
                partition_by=[F("workgroup_id"), F("stage")],
                order_by=[F("updated_at").desc(), F("pk").desc()],
            )
        )
        .filter(nth__lte=RELATED_MAX)
        .select_related("workgroup")
        .only("uuid", "title", "kind", "stage", "workgroup__code", "updated_at")
        .order_by("-updated_at", "-pk")
    )
    found: dict[tuple[str, str], list[Article]] = {}
    for code in workgroup_codes:
        for stage in stages:
            exact = [a for a in rows if a.workgroup.code == code and a.stage == stage]
            general = [a for a in rows if a.workgroup.code == code and a.stage == ""]
            found[(code, stage)] = (exact + general)[:RELATED_MAX]
    return found


def training_sessions(*, scope: KnowledgeScope) -> QuerySet[TrainingSession]:
    if not scope.is_staff:
        return TrainingSession.objects.none()
    return (
        TrainingSession.objects.select_related("workgroup")
        .annotate(
            people=Count("attendance"),
            organisations=Count("attendance__organization", distinct=True),
        )
        .order_by("-held_on", "-pk")
    )


def training_session_for_staff(*, scope: KnowledgeScope, uuid) -> TrainingSession | None:
    return training_sessions(scope=scope).filter(uuid=uuid).first()


def training_attendance_of(session: TrainingSession) -> QuerySet[TrainingAttendance]:
    return session.attendance.select_related("organization").order_by(
        "organization__code", "person"
    )


def training_attendance_by_organization(*, date_from=None, date_to=None) -> list[Any]:
    """Per organisation: the sessions its people attended and the attendances, one query (the
    scorecards' training block)."""
    rows = TrainingAttendance.objects.all()
    if date_from is not None:
        rows = rows.filter(session__held_on__gte=date_from)
    if date_to is not None:
        rows = rows.filter(session__held_on__lte=date_to)
    return list(
        rows.values("organization__code", "organization__name_zh", "organization__name_en")
        .annotate(sessions=Count("session", distinct=True), people=Count("pk"))
        .order_by("organization__code")
    )

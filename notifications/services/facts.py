"""Reading append-only fact tables exactly once, even when facts commit out of id order.

Ids come from a sequence at insert time, so a slow transaction can commit id 41 after id 42
was read. The reader therefore remembers each fact it handled above a low-water mark
(`FactSeen`) and only moves the mark past facts older than COMMIT_HORIZON, by which time any
transaction that could still insert below them has long committed or rolled back.
"""

import datetime as dt
from collections.abc import Callable

from django.db import models, transaction
from django.utils import timezone

from ..models import FactCursor, FactSeen

COMMIT_HORIZON = dt.timedelta(minutes=10)


@transaction.atomic
def facts_consume(
    *,
    cursor_name: str,
    queryset: models.QuerySet,
    handle: Callable[[list], int],
    batch: int = 500,
    time_field: str = "at",
) -> int:
    """Hand every unseen fact of `queryset` (in id order, `batch` at most) to `handle`.

    `handle` writes its messages in this same transaction, so a crash anywhere rolls back both
    the messages and the bookkeeping, and the facts are read again next time.
    """
    cursor, _ = FactCursor.objects.get_or_create(name=cursor_name)
    cursor = FactCursor.objects.select_for_update().get(pk=cursor.pk)  # one reader at a time
    seen = FactSeen.objects.filter(cursor=cursor_name, fact_id=models.OuterRef("pk"))
    facts = list(
        queryset.filter(pk__gt=cursor.position).filter(~models.Exists(seen)).order_by("pk")[:batch]
    )
    written = handle(facts) if facts else 0
    FactSeen.objects.bulk_create([FactSeen(cursor=cursor_name, fact_id=f.pk) for f in facts])
    _advance(cursor, queryset, time_field)
    return written


def _advance(cursor: FactCursor, queryset: models.QuerySet, time_field: str) -> None:
    settled_before = timezone.now() - COMMIT_HORIZON
    unseen_settled = (
        queryset.filter(pk__gt=cursor.position, **{f"{time_field}__lt": settled_before})
        .exclude(pk__in=FactSeen.objects.filter(cursor=cursor.name).values("fact_id"))
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    settled = FactSeen.objects.filter(cursor=cursor.name, fact_id__gt=cursor.position)
    candidates = queryset.filter(
        pk__gt=cursor.position,
        pk__in=settled.values("fact_id"),
        **{f"{time_field}__lt": settled_before},
    )
    if unseen_settled is not None:
        candidates = candidates.filter(pk__lt=unseen_settled)
    top = candidates.aggregate(top=models.Max("pk"))["top"]
    if top is None:
        return
    cursor.position = top
    cursor.save(update_fields=["position", "updated_at"])
    FactSeen.objects.filter(cursor=cursor.name, fact_id__lte=top).delete()

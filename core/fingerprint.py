"""A digest of everything some rows say, read in one SQL query: the version of a page.

A cached page is served while the digest of the rows it was rendered from is unchanged. The
digest covers the full text of each row (`row::text` in PostgreSQL), so any change of any
column, a new row or a deleted one gives a new digest: no `updated_at` column, signal or
trigger has to be kept in step with the page. Callers name the rows as querysets; each becomes
one scalar subquery of the one statement.

Building and compiling a score of querysets costs more than the query, so `Fingerprint`
compiles the statement once per process, from querysets built with stand-in values, and then
only swaps the real values into its parameters.
"""

import threading
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from django.db import connection
from django.db.models import QuerySet

# Stand-ins for the values a statement is compiled with: no real id or public id is ever these.
_STAND_IN_IDS = iter(range(-7_000_001, -7_001_000, -1))


def stand_in_id() -> int:
    return next(_STAND_IN_IDS)


def stand_in_uuid() -> uuid.UUID:
    return uuid.uuid4()


def _statement(sources: Iterable[QuerySet]) -> tuple[str, list]:
    quote = connection.ops.quote_name
    parts: list[str] = []
    params: list = []
    for queryset in sources:
        meta = queryset.model._meta
        pk = quote(meta.pk.column)
        inner, inner_params = queryset.order_by().values("pk").query.sql_with_params()
        # Identifiers come from the models, quoted by the backend; values are parameters.
        digest = f"coalesce(md5(string_agg(r::text, ',' ORDER BY r.{pk})), '')"
        parts.append(
            f"(SELECT count(*) || ':' || {digest} FROM {quote(meta.db_table)} r "  # noqa: S608
            f"WHERE r.{pk} IN ({inner}))"
        )
        params.extend(inner_params)
    return f"SELECT md5(concat_ws('|', {', '.join(parts)}))", params


class Fingerprint:
    """`build(**values)` names the rows; calling the fingerprint with real values gives their
    MD5 in one query, or None on a database other than PostgreSQL (the embedded SQLite demo),
    where callers render afresh.

    `stand_ins` maps each keyword of `build` to a value of its type that no row has
    (`stand_in_id()`, `stand_in_uuid()`); the compiled statement's parameters equal to a
    stand-in are the ones replaced on each call.
    """

    def __init__(self, build: Callable[..., list[QuerySet]], **stand_ins: Any) -> None:
        self.build = build
        self.stand_ins = stand_ins
        self._compiled: tuple[str, list[tuple[str | None, Any]]] | None = None
        self._lock = threading.Lock()

    def _compile(self) -> tuple[str, list[tuple[str | None, Any]]]:
        with self._lock:
            if self._compiled is None:
                sql, params = _statement(self.build(**self.stand_ins))
                named = {self._key(value): name for name, value in self.stand_ins.items()}
                slots = [(named.get(self._key(p)), p) for p in params]
                if not {name for name, _ in slots} >= set(self.stand_ins):
                    raise ValueError("a stand-in value does not reach the statement")
                self._compiled = (sql, slots)
            return self._compiled

    @staticmethod
    def _key(value: Any) -> Any:
        return str(value) if isinstance(value, uuid.UUID) else value

    def __call__(self, **values: Any) -> str | None:
        if connection.vendor != "postgresql":
            return None
        sql, slots = self._compile()
        params = [values[name] if name else fixed for name, fixed in slots]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()[0]

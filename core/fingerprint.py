"""A digest of everything some rows say, read in one SQL query: the version of a page.

A cached page is served while the digest of the rows it was rendered from is unchanged. The
digest covers the full text of each row (`row::text` in PostgreSQL), so any change of any
column, a new row or a deleted one gives a new digest: no `updated_at` column, signal or
trigger has to be kept in step with the page. Callers name the rows as querysets; each becomes
one scalar subquery of the one statement.

The statement is cheap to plan as well as to run, since planning a score of nested subqueries
cost more than reading the rows (8 ms against 2): sets of ids several querysets filter by
(a request's utilities) are `stages`, each read once into a materialised CTE, and a queryset
without joins reads its table directly instead of through `pk IN (subquery)`.

Building and compiling the querysets costs more than the query, so `Fingerprint` compiles the
statement once per process, from querysets built with stand-in values, and then only swaps
the real values into its parameters; PostgreSQL prepares it once per connection.
"""

import threading
import uuid
from collections.abc import Callable
from typing import Any

from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connection
from django.db.backends.postgresql.base import ServerBindingCursor
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from django.db.models import BooleanField, F, Func, QuerySet

# Stand-ins for the values a statement is compiled with: no real id or public id is ever these.
_STAND_IN_IDS = iter(range(-7_000_001, -7_001_000, -1))


def stand_in_id() -> int:
    return next(_STAND_IN_IDS)


def stand_in_uuid() -> uuid.UUID:
    return uuid.uuid4()


class Stage:
    """The keys of one stage's rows, read once per statement."""

    def __init__(self, table: str) -> None:
        self.table = table  # quoted

    def holds(self, field: str) -> Func:
        """A condition for `filter()`: `field` is one of these keys. As `= ANY(ARRAY(...))`,
        which PostgreSQL plans as one lookup of an array; an `IN (subquery)` costs a semi-join
        to plan, and the statement has a score of them."""
        template = f'%(expressions)s = ANY(ARRAY(SELECT "key" FROM {self.table}))'  # noqa: S608
        return Func(F(field), template=template, output_field=BooleanField())


class Stages:
    """The id sets a statement reads once (materialised CTEs), in the order `build` names
    them; a later stage may filter by an earlier one."""

    def __init__(self) -> None:
        self.ctes: list[tuple[str, str, list]] = []

    def stage(self, name: str, queryset: QuerySet, field: str = "pk") -> Stage:
        """The values of `field` (a key: the primary key, or a foreign key to the rows
        wanted) over `queryset`'s rows, read once."""
        table = connection.ops.quote_name(f"fp_{name}")
        keys = queryset.order_by().values(key=F(field)).distinct()
        sql, params = keys.query.sql_with_params()
        self.ctes.append((table, sql, list(params)))
        return Stage(table)


def _digest_of(queryset: QuerySet) -> tuple[str, list]:
    """One scalar subquery: the count and MD5 of the rows' text, in primary key order."""
    quote = connection.ops.quote_name
    meta = queryset.model._meta
    query = queryset.order_by().query
    table = quote(meta.db_table)
    digest = "coalesce(md5(string_agg({row}::text, ',' ORDER BY {row}.{pk})), '')"
    pk = quote(meta.pk.column)
    joined = {alias for alias, count in query.alias_refcount.items() if count} - {meta.db_table}
    if not joined:
        # No join: the table itself, filtered by the queryset's own conditions.
        try:
            where, params = query.get_compiler(connection=connection).compile(query.where)
        except FullResultSet:
            where, params = "TRUE", []
        except EmptyResultSet:
            where, params = "FALSE", []
        found = digest.format(row=table, pk=pk)
        # Identifiers come from the models, quoted by the backend; values are parameters.
        sql = f"(SELECT count(*) || ':' || {found} FROM {table} WHERE {where})"  # noqa: S608
        return sql, list(params)
    inner, params = queryset.order_by().values("pk").query.sql_with_params()
    found = digest.format(row="r", pk=pk)
    return (
        f"(SELECT count(*) || ':' || {found} FROM {table} r WHERE r.{pk} IN ({inner}))",  # noqa: S608
        list(params),
    )


def _statement(build: Callable[..., list[QuerySet]], values: dict[str, Any]) -> tuple[str, list]:
    stages = Stages()
    sources = build(stages, **values)
    parts, params = [], []
    for table, sql, cte_params in stages.ctes:
        parts.append(f"{table} AS MATERIALIZED ({sql})")
        params.extend(cte_params)
    with_ = f"WITH {', '.join(parts)} " if parts else ""
    digests = []
    for queryset in sources:
        sql, part_params = _digest_of(queryset)
        digests.append(sql)
        params.extend(part_params)
    return f"{with_}SELECT md5(concat_ws('|', {', '.join(digests)}))", params


class Fingerprint:
    """`build(stages, **values)` names the rows; calling the fingerprint with real values gives
    their MD5 in one query, or None on a database other than PostgreSQL (the embedded SQLite
    demo), where callers render afresh.

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
                sql, params = _statement(self.build, self.stand_ins)
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
        with _prepared_cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()[0]


def _prepared_cursor() -> Any:
    """A cursor that binds on the server, so that psycopg prepares the statement on the
    connection's first use of it when the connection allows (`prepare_threshold`, set from
    DATABASE_PREPARED_STATEMENTS): parsing and planning a statement of a score of subqueries
    costs PostgreSQL four times running it. Django's own cursors bind on the client and never
    prepare. Wrapped as Django wraps its cursors, so that the query is logged and counted."""
    connection.ensure_connection()
    # Built as Django builds its own (django-stubs does not know psycopg's constructor).
    cursor: Any = ServerBindingCursor(connection.connection)  # type: ignore[call-arg]
    if connection.queries_logged:
        return _StatementLogged(cursor, connection)
    return connection.make_cursor(cursor)


class _StatementLogged(CursorDebugWrapper):
    """Logs the statement as written: a cursor binding on the server keeps no merged text."""

    def execute(self, sql: Any, params: Any = None) -> Any:
        with self.debug_sql(sql, params):
            return CursorWrapper.execute(self, sql, params)

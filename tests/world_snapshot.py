"""The tests' reference world, put back by COPY after a transactional test flushes it.

Loading the world through its services (organisations, workgroups, SLAs, calendar years,
commitment texts, group permissions through guardian) costs seconds, and every transactional
test's flush empties every table. So each worker copies every row of its database once, right
after the world is first loaded, and after a flush empties the tables again and copies those
rows back: the database is then exactly as the first test of the worker found it, ids
included, in a fraction of a second.

The flush's post_migrate handlers re-create content types and permissions under new ids; the
restore replaces them with the copied ones, and Django's content type cache is cleared.
"""

from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction

# What binary COPY writes for a table without rows: its header (19 bytes) and trailer (2).
_NO_ROWS = 21


@dataclass(frozen=True)
class WorldSnapshot:
    tables: tuple[str, ...]  # every table of the database, quoted
    rows: tuple[tuple[str, bytes], ...]  # (quoted table, its rows in COPY's binary format)


def _tables() -> list[str]:
    names = connection.introspection.django_table_names(only_existing=True, include_views=False)
    return sorted(connection.ops.quote_name(name) for name in names)


def world_take() -> WorldSnapshot:
    """Every row of every table, as they are now (committed)."""
    tables = _tables()
    rows = []
    with connection.cursor() as cursor:
        raw = cursor.cursor
        for table in tables:
            with raw.copy(f"COPY {table} TO STDOUT (FORMAT binary)") as copy:  # noqa: S608
                data = b"".join(bytes(block) for block in copy)
            rows.append((table, data))
    return WorldSnapshot(
        tables=tuple(tables),
        rows=tuple((table, data) for table, data in rows if len(data) > _NO_ROWS),
    )


def world_restore(snapshot: WorldSnapshot) -> None:
    """Every table emptied and refilled with the snapshot's rows, in one transaction (the
    foreign keys are checked at its commit, so the order of the tables does not matter)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(snapshot.tables)}")
        raw = cursor.cursor
        for table, data in snapshot.rows:
            with raw.copy(f"COPY {table} FROM STDIN (FORMAT binary)") as copy:  # noqa: S608
                copy.write(data)
    ContentType.objects.clear_cache()

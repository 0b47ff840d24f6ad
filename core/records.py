"""Model rows as plain JSON values, for the exports of what the portal holds about someone
(portal/personal_data.py). Knows no domain: each app names the fields of its own rows."""

import datetime as dt
import json
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models.fields.files import FieldFile

Row = dict[str, Any]
FieldSpec = str | tuple[str, str]


@dataclass
class DataSection:
    """One app's part of an export: named tables of flat rows (data.json and one CSV each),
    and the stored files that go into the archive, as (path inside the archive, file)."""

    tables: dict[str, list[Row]]
    files: list[tuple[str, FieldFile]] = field(default_factory=list)


def json_value(value: Any) -> Any:
    """A value as JSON holds it: ISO 8601 times and dates, decimals and UUIDs as text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, FieldFile):
        return value.name or ""
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    return str(value)


def record(obj: Any, fields: Iterable[FieldSpec]) -> Row:
    """`obj`'s fields as a flat row. A field is an attribute path (`operator.code`: selected
    with the row, so no query) whose key is the path with `_` for `.`, or (key, path)."""
    row: Row = {}
    for spec in fields:
        key, path = spec if isinstance(spec, tuple) else (spec.replace(".", "_"), spec)
        value = obj
        for part in path.split("."):
            value = getattr(value, part, None) if value is not None else None
        row[key] = json_value(value)
    return row


def records(objects: Iterable[Any], fields: Iterable[FieldSpec]) -> list[Row]:
    """`record` of each object, in order."""
    return [record(obj, fields) for obj in objects]


def csv_cell(value: Any) -> Any:
    """A JSON value in one spreadsheet cell: structures as compact JSON text."""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if value is None:
        return ""
    return value


_UNSAFE = re.compile(r"[^\w.\-]+", re.UNICODE)


def safe_file_name(name: str, *, default: str = "file") -> str:
    """A name that is one plain path component in any archive tool (no folders, no `..`)."""
    cleaned = _UNSAFE.sub("_", name.replace("\\", "/").rsplit("/", 1)[-1]).strip("._")
    return cleaned[:120] or default

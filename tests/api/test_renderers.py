"""The API's JSON renderer (orjson) writes what DRF's JSONRenderer wrote, byte for byte."""

import datetime as dt
import decimal
import json
import uuid
import zoneinfo

import pytest
from django.utils.translation import gettext_lazy
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from core.api.renderers import FastJSONRenderer

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def both(data, media_type="application/json"):
    return (
        FastJSONRenderer().render(data, media_type, {}),
        JSONRenderer().render(data, media_type, {}),
    )


@pytest.mark.parametrize(
    "value",
    [
        dt.datetime(2026, 11, 26, 9, 0, tzinfo=SHANGHAI),
        dt.datetime(2026, 11, 26, 1, 0, 0, 123456, tzinfo=dt.UTC),
        dt.datetime(2026, 11, 26, 1, 0, tzinfo=zoneinfo.ZoneInfo("Europe/London")),  # +00:00
        dt.datetime(2026, 11, 26, 1, 0, 0, 5),  # noqa: DTZ001 - naive, as DRF may meet one
        dt.date(2026, 11, 26),
        dt.time(8, 30, 0, 250),
        dt.timedelta(days=1, seconds=3),
        decimal.Decimal("1234.50"),
        uuid.UUID("12345678-1234-5678-1234-567812345678"),
        gettext_lazy("Not found"),
        '换行\u2028分段\u2029 "quoted" \\ / \x00 \x1f é',
        {"nested": [1, 2.5, True, None, ("a", "b")]},
        ReturnDict([("uuid", uuid.UUID(int=1)), ("n", 1)], serializer=None),
        ReturnList([{"at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC)}], serializer=None),
        {1: "integer key", None: "null key"},
        {"big": 2**70},  # beyond 64 bits: DRF renders it
        {"deep": json.loads("[" * 300 + "]" * 300)},  # deeper than orjson goes: DRF renders it
        {x for x in range(3)},
        (x for x in range(3)),
    ],
    ids=lambda value: type(value).__name__,
)
def test_every_kind_of_value_is_written_as_drf_wrote_it(value):
    if hasattr(value, "__next__"):  # a generator is consumed by the first render
        value = list(value)
    fast, drf = both({"value": value})
    assert fast == drf


def test_no_data_is_an_empty_body_and_an_indent_asked_for_is_honoured():
    assert FastJSONRenderer().render(None) == b""
    fast, drf = both({"a": [1, {"b": 2}]}, "application/json; indent=4")
    assert fast == drf and b"\n    " in fast


def test_what_drf_refuses_is_still_refused():
    with pytest.raises(ValueError, match="timezone-aware times"):
        FastJSONRenderer().render({"at": dt.time(8, 30, tzinfo=dt.UTC)})
    with pytest.raises(TypeError):
        FastJSONRenderer().render({"what": object()})


@given(
    st.recursive(
        st.none()
        | st.booleans()
        | st.integers(min_value=-(2**63), max_value=2**64)
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text()
        | st.datetimes(timezones=st.sampled_from([dt.UTC, SHANGHAI]))
        | st.uuids()
        | st.decimals(allow_nan=False, allow_infinity=False),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(st.text(max_size=5), children, max_size=4)
        ),
        max_leaves=20,
    )
)
def test_any_answer_means_the_same_as_drfs(data):
    """Floats may be spelled differently (`1e-07` / `1e-7`); everything else is identical."""
    fast, drf = both(data)
    assert json.loads(fast or "null") == json.loads(drf or "null")


def test_the_api_answers_with_it(operator_api, reference):
    response = operator_api.get("/api/v1/work-items/")
    assert isinstance(response.accepted_renderer, FastJSONRenderer)
    assert response["Content-Type"] == "application/json"

"""Two rebuilds of the indicators rollup at once (a slow beat run overtaken by the next): the
second waits for the first, so the figures are never counted twice."""

from collections import Counter

import pytest
from django.db import connection

from indicators.models import KpiRefresh, KpiRollup
from indicators.services.rollup import kpi_rollup_refresh
from tests.applications.test_concurrency import _race
from tests.indicators.test_kpi import cases  # noqa: F401 (the shared fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.concurrency]


@pytest.mark.usefixtures("cases")
def test_two_refreshes_at_once_leave_one_set_of_figures():
    assert connection.vendor == "postgresql"
    expected = Counter(
        KpiRollup.objects.values_list("month", "measure", "operator_id", "value", "n")
    )

    outcomes = _race([kpi_rollup_refresh, kpi_rollup_refresh])

    assert all(isinstance(o, KpiRefresh) for o in outcomes), outcomes
    rows = Counter(KpiRollup.objects.values_list("month", "measure", "operator_id", "value", "n"))
    assert rows == expected
    assert KpiRefresh.objects.count() == 1

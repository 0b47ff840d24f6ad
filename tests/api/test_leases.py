"""Fetch-and-lock: dispatch workers of one operator never receive the same item."""

import datetime as dt
import threading
from collections import Counter

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from applications.constants import ServiceStatus as S
from applications.models import WorkItemLease
from applications.services.leases import work_items_lease
from tests.factories import make_service
from workgroups.models import Organization


def _items(applicant_org, applicant, project, count, **fields):
    return [
        make_service(applicant_org=applicant_org, applicant=applicant, project=project, **fields)
        for _ in range(count)
    ]


def _lease(api, **body):
    response = api.post("/api/v1/work-items/lease/", body, format="json")
    assert response.status_code == 200, response.json()
    return response.json()


def test_a_lease_hands_out_open_items_most_urgent_first_until_it_expires(
    reference, applicant_org, applicant, project, operator_api
):
    now = timezone.now()
    late, early = _items(applicant_org, applicant, project, 2)
    late.due_at, early.due_at = now + dt.timedelta(days=5), now + dt.timedelta(days=1)
    late.save(update_fields=["due_at"])
    early.save(update_fields=["due_at"])
    _items(applicant_org, applicant, project, 1, status=S.PLAN_ISSUED)  # the applicant's turn

    first = _lease(operator_api, limit=5, lease_seconds=60, holder="dispatch-a")
    assert [item["uuid"] for item in first["items"]] == [str(early.uuid), str(late.uuid)]
    assert _lease(operator_api, limit=5)["items"] == []
    detail = operator_api.get(f"/api/v1/work-items/{early.uuid}/").json()
    assert detail["lease"]["holder"] == "dispatch-a"

    with time_machine.travel(timezone.now() + dt.timedelta(seconds=61)):
        again = _lease(operator_api, limit=1, holder="dispatch-b")
    assert [item["uuid"] for item in again["items"]] == [str(early.uuid)]


def test_lease_input_is_bounded(operator_api, reference):
    response = operator_api.post(
        "/api/v1/work-items/lease/", {"limit": 0, "lease_seconds": 99999}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"limit", "lease_seconds"}


@pytest.mark.django_db(transaction=True)
@pytest.mark.concurrency
def test_concurrent_workers_never_receive_the_same_item(
    reference, applicant_org, applicant, project
):
    assert connection.vendor == "postgresql"
    operator = Organization.objects.get(code="csg-zhongshan")
    _items(applicant_org, applicant, project, 30)
    workers, rounds = 4, 3
    leased: list[list[int]] = []
    failures: list[BaseException] = []
    barrier = threading.Barrier(workers)

    def worker(name: str) -> None:
        try:
            for _ in range(rounds):
                barrier.wait(timeout=20)
                ids, _until = work_items_lease(
                    organization=operator, limit=3, seconds=600, holder=name
                )
                leased.append(ids)
        except BaseException as exc:  # reported below, not swallowed
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert failures == []
    counts = Counter(pk for batch in leased for pk in batch)
    assert counts and max(counts.values()) == 1, counts
    # 4 workers x 3 rounds x 3 items asks for 36: all 30 are handed out, each exactly once.
    assert sum(counts.values()) == 30, [len(batch) for batch in leased]
    assert WorkItemLease.objects.count() == 30


@pytest.mark.django_db(transaction=True)
@pytest.mark.concurrency
def test_two_api_callers_at_once_split_the_work(
    reference, applicant_org, applicant, project, make_token, bearer
):
    _items(applicant_org, applicant, project, 6)
    plaintext = make_token("csg-zhongshan")
    barrier = threading.Barrier(2)
    answers: list[list[str]] = []

    def call(holder: str) -> None:
        try:
            barrier.wait(timeout=20)
            body = _lease(bearer(plaintext), limit=4, holder=holder)
            answers.append([item["uuid"] for item in body["items"]])
        finally:
            connection.close()

    threads = [threading.Thread(target=call, args=(h,)) for h in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(answers) == 2
    assert not set(answers[0]) & set(answers[1])
    assert sorted(len(a) for a in answers) == [2, 4]

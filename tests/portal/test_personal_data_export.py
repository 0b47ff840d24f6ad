"""PIPL art. 45: a manager of an applicant company downloads, from its account, one ZIP of
everything the portal holds about the company, and nothing about anyone else."""

import csv
import io
import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from applications.models import Document
from applications.services import combined_application_submit
from coordination.services import DemandInput, demand_submit
from notifications.services import facts_process
from portal.personal_data import personal_data_archive
from tests.factories import PNG_BYTES, ProjectFactory, company, member_of, submission, verify
from workgroups.constants import MemberRole
from workgroups.models import Town
from workgroups.services import membership_add

pytestmark = pytest.mark.django_db
URL = "/accounts/my-data/"


def _company_with_cases(code: str, name: str, *, utilities=("electricity", "water")):
    """A verified company, its manager and a staff member, one combined request, one demand
    with an attachment, and the messages those facts caused."""
    org = verify(company(code, name))
    manager = member_of(org, username=f"{code}-boss", mobile="13800000001")
    membership_add(user=manager, organization=org, role=MemberRole.MANAGER)
    clerk = member_of(org, username=f"{code}-clerk")
    combined = _submit(manager, org, list(utilities))
    demand = demand_submit(
        actor=clerk,
        data=DemandInput(
            kind="need",
            theme="connection",
            utility="electricity",
            town=Town.objects.get(code="nanlang"),
            title=f"{name}新厂房需要双电源",
            description="请提前规划10kV双电源接入。",
            attachments=[SimpleUploadedFile(f"{code}-site.png", PNG_BYTES + code.encode())],
        ),
    )
    facts_process()
    return {"org": org, "manager": manager, "clerk": clerk, "combined": combined, "demand": demand}


def _submit(user, org, utilities):
    project = ProjectFactory(owner=org, created_by=user)
    return combined_application_submit(
        actor=user,
        applicant=org,
        project=project,
        data=submission(user, org, utilities),
    )


@pytest.fixture
def world(reference):
    return {
        "a": _company_with_cases("alpha", "中山甲科技有限公司"),
        "b": _company_with_cases("bravo", "中山乙制造有限公司", utilities=("gas",)),
    }


def _download(client, user) -> zipfile.ZipFile:
    client.force_login(user)
    response = client.post(URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_a_manager_downloads_everything_of_the_company_and_nothing_of_another(client, world):
    a, b = world["a"], world["b"]
    archive = _download(client, a["manager"])
    names = set(archive.namelist())
    assert {"data.json", "README.txt"} <= names

    data = json.loads(archive.read("data.json"))
    sections = data["sections"]
    assert list(sections) == ["company", "cases", "coordination", "messages", "access_log"]
    assert sections["company"]["company"][0]["uuid"] == str(a["org"].uuid)
    assert sections["company"]["verification"][0]["status"] == "verified"
    members = {m["username"]: m for m in sections["company"]["members"]}
    assert members["alpha-boss"]["mobile"] == "13800000001"
    assert members["alpha-boss"]["role"] == "manager"
    assert {m["email"] for m in members.values()} == {
        "alpha-boss@example.cn",
        "alpha-clerk@example.cn",
    }
    cases = sections["cases"]
    assert [p["uuid"] for p in cases["projects"]] == [str(a["combined"].project.uuid)]
    assert {c["utility"] for c in cases["cases"]} == {"electricity", "water"}
    assert {t["case_uuid"] for t in cases["case_timeline"]} == {c["uuid"] for c in cases["cases"]}
    # ISO 8601 times, with their offset.
    assert "T" in cases["combined_requests"][0]["submitted_at"]
    assert [d["uuid"] for d in sections["coordination"]["demands"]] == [str(a["demand"].uuid)]
    assert sections["messages"]["messages"], "the company's inbox messages are in the export"

    # Every document the company uploaded is in the archive, byte for byte.
    documents = Document.objects.filter(owner=a["org"])
    rows = {row["uuid"]: row for row in cases["documents"]}
    assert set(rows) == {str(d.uuid) for d in documents}
    for document in documents:
        with document.file.open("rb") as stored:
            assert archive.read(rows[str(document.uuid)]["archive_path"]) == stored.read()
    attachment = sections["coordination"]["demand_attachments"][0]
    assert archive.read(attachment["archive_path"]) == PNG_BYTES + b"alpha"

    # The CSV tables open with the csv module (UTF-8 with a BOM, for Excel).
    raw = archive.read("csv/cases/cases.csv")
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert {row["utility"] for row in table} == {"electricity", "water"}
    members_csv = archive.read("csv/company/members.csv").decode("utf-8-sig")
    assert "alpha-boss" in members_csv

    readme = archive.read("README.txt").decode()
    assert "第四十五条" in readme and "Personal Information Protection Law" in readme

    # Nothing of the other company anywhere in the archive.
    foreign = [
        str(b["org"].uuid),
        b["org"].name_zh,
        b["org"].code,
        b["org"].unified_social_credit_code,
        str(b["combined"].uuid),
        str(b["combined"].project.uuid),
        b["combined"].project.name,
        b["demand"].reference,
        b["demand"].title,
        "bravo-boss",
        "bravo-clerk",
        *(str(s.uuid) for s in b["combined"].services.all()),
        *(str(d.uuid) for d in Document.objects.filter(owner=b["org"])),
    ]
    for name in archive.namelist():
        content = archive.read(name).decode("utf-8", errors="replace") + name
        for marker in foreign:
            assert marker not in content, f"{marker!r} of the other company in {name}"


def test_the_export_costs_the_same_queries_whatever_the_number_of_cases(world):
    a = world["a"]

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            personal_data_archive(organization=a["org"], requested_by=a["manager"]).close()
        return len(queries)

    before = count()
    _submit(a["manager"], a["org"], ["gas", "network", "cable_tv"])
    facts_process()
    assert count() == before


def test_a_file_gone_from_storage_is_listed_not_fatal(world):
    a = world["a"]
    gone = Document.objects.filter(owner=a["org"]).first()
    gone.file.storage.delete(gone.file.name)
    with personal_data_archive(organization=a["org"], requested_by=a["manager"]) as out:
        archive = zipfile.ZipFile(out)
        data = json.loads(archive.read("data.json"))
        readme = archive.read("README.txt").decode()
    row = next(d for d in data["sections"]["cases"]["documents"] if d["uuid"] == str(gone.uuid))
    assert data["files_missing"] == [row["archive_path"]]
    assert row["archive_path"] in readme
    assert row["archive_path"] not in archive.namelist()


def test_only_a_manager_downloads_and_once_a_minute(client, world):
    a = world["a"]
    client.force_login(a["clerk"])
    page = client.get(URL)
    assert page.status_code == 200
    assert b"data-manager-only" in page.content
    assert client.post(URL).status_code == 403

    _download(client, a["manager"])
    again = client.post(URL)
    assert again.status_code == 429
    assert b"data-too-soon" in again.content


def test_the_page_asks_to_sign_in_and_speaks_both_languages(client, reference):
    anonymous = client.get(URL)
    assert anonymous.status_code == 302
    assert "/accounts/login/" in anonymous["Location"]

    org = company("gamma", "中山丙贸易有限公司")
    manager = member_of(org, username="gamma-boss")
    membership_add(user=manager, organization=org, role=MemberRole.MANAGER)
    client.force_login(manager)
    zh = client.get(URL)
    assert zh.status_code == 200
    assert "本单位的数据" in zh.content.decode()
    assert "第四十五条" in zh.content.decode()
    en = client.get("/en" + URL)
    assert en.status_code == 200
    assert "Your company's data" in en.content.decode()
    assert b"data-personal-data-link" in client.get("/company/").content


def test_the_archive_holds_who_read_the_company_s_cases_and_not_another_s(client, world):
    """The access log part: each staff read of the company's case is a row naming the reading
    organisation and the door; a read of the other company's case is not in it."""
    from django.test import Client
    from django.urls import reverse

    from tests.factories import staff_of

    operator = Client()
    operator.force_login(staff_of("csg-zhongshan", username="csg-reader"))
    assert (
        operator.get(reverse("staff:case", args=[world["a"]["combined"].uuid])).status_code == 200
    )
    gas = Client()
    gas.force_login(staff_of("towngas-zs", username="gas-reader"))
    assert gas.get(reverse("staff:case", args=[world["b"]["combined"].uuid])).status_code == 200

    archive = _download(client, world["a"]["manager"])
    reads = json.loads(archive.read("data.json"))["sections"]["access_log"]["reads"]
    assert [(r["organization_name"], r["door"], r["kind"]) for r in reads] == [
        ("中山供电局", "staff_site", "case")
    ]
    assert reads[0]["path"] == reverse("staff:case", args=[world["a"]["combined"].uuid])
    rows = list(
        csv.DictReader(io.StringIO(archive.read("csv/access_log/reads.csv").decode("utf-8-sig")))
    )
    assert [row["organization_name"] for row in rows] == ["中山供电局"]

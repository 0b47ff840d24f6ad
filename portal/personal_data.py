"""Everything the portal holds about an applicant company, as one ZIP archive the company
downloads from its account (个人信息保护法 第四十五条: the right to access and copy one's
personal information, and to have it transferred).

Each app contributes its part through its own selector (a *provider*), and this module, the
one layer that may read them all, only assembles them:

- `data.json`: every section and table, stable keys, ISO 8601 times;
- `csv/<section>/<table>.csv`: one UTF-8 (with BOM) CSV per table, for spreadsheet programs;
- `documents/`, `decision_packages/`, `demand_attachments/`: the stored files, read through
  Django's storage API (local disk or S3 alike);
- `README.txt`: the files explained, in Chinese and English.

The archive is written into a spooled temporary file (on disk past `SPOOL_BYTES`), each stored
file copied across in chunks, so a company with hundreds of documents is never held in memory.
"""

import csv
import datetime as dt
import io
import json
import logging
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from typing import IO, Any

from django.utils import timezone

from applications.selectors.personal_data import cases_personal_data, company_read_ids
from coordination.selectors.personal_data import company_demand_ids, coordination_personal_data
from core.cache_guard import GuardedCache
from core.records import DataSection, csv_cell, records
from notifications.personal_data import messages_personal_data
from workgroups.constants import MemberRole
from workgroups.models import Membership, Organization, User
from workgroups.personal_data import company_personal_data
from workgroups.selectors import access_records_for_subjects

logger = logging.getLogger(__name__)

FORMAT = "zhongshan-portal-personal-data/1"
SPOOL_BYTES = 16 * 1024 * 1024
COPY_CHUNK_BYTES = 1024 * 1024
# One archive per company per interval: building one reads every row and file it has.
EXPORT_INTERVAL_SECONDS = 60

Provider = Callable[..., DataSection]

# The sections of the archive, in order: (name, provider). A provider is called as
# `provider(organization=<the company>)` and returns a core.records.DataSection: its tables
# ({table name: [flat rows of JSON values]}) and its stored files ([(archive path, FieldFile)]).
# It runs a constant number of queries, scoped to that company only.


def access_log_personal_data(*, organization: Organization) -> DataSection:
    """Who read the company's personal data: every staff or API read of its requests, cases,
    documents, projects, demands or company record (the access log). The organisation that
    read and through which door, not the staff member's name (as for the cases' history)."""
    case_ids, item_ids = company_read_ids(organization=organization)
    item_ids += company_demand_ids(organization=organization)
    access_reads = access_records_for_subjects(case_ids=case_ids, subject_ids=item_ids)
    fields = ["at", "organization_name", "door", "kind", "case_references", "path", "request_id"]
    return DataSection(tables={"reads": records(access_reads, fields)})


SECTIONS: list[tuple[str, Provider]] = [
    ("company", company_personal_data),
    ("cases", cases_personal_data),
    ("coordination", coordination_personal_data),
    ("messages", messages_personal_data),
    ("access_log", access_log_personal_data),
]

_throttle = GuardedCache("personal_data_export", fallback="memory")


def personal_data_export_allowed(*, user: User, organization: Organization) -> bool:
    """Only a manager of the company downloads everything the portal holds about it."""
    return Membership.objects.filter(
        user=user, organization=organization, role=MemberRole.MANAGER
    ).exists()


def personal_data_export_slot(*, organization: Organization) -> bool:
    """Take the company's one export of the current interval; False if already taken."""
    return _throttle.add(f"personal-data-export:{organization.uuid}", 1, EXPORT_INTERVAL_SECONDS)


def personal_data_sections(*, organization: Organization) -> dict[str, DataSection]:
    return {name: provider(organization=organization) for name, provider in SECTIONS}


def personal_data_archive(*, organization: Organization, requested_by: User) -> IO[bytes]:
    """The company's archive as an open binary file positioned at its start."""
    now = timezone.now()
    sections = personal_data_sections(organization=organization)
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (the response closes it)
    stamp = timezone.localtime(now).timetuple()[:6]
    missing: list[str] = []
    file_count = 0
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for section in sections.values():
            for path, stored in section.files:
                if _copy_stored_file(archive, path, stored, stamp):
                    file_count += 1
                else:
                    missing.append(path)
        for name, section in sections.items():
            for table, rows in section.tables.items():
                info = _entry(f"csv/{name}/{table}.csv", stamp, zipfile.ZIP_DEFLATED)
                with archive.open(info, "w") as raw:
                    _write_csv(raw, rows)
        data = {
            "format": FORMAT,
            "generated_at": now.isoformat(),
            "requested_by": requested_by.get_username(),
            "company_uuid": str(organization.uuid),
            "files_missing": missing,
            "sections": {name: section.tables for name, section in sections.items()},
        }
        archive.writestr(
            _entry("data.json", stamp, zipfile.ZIP_DEFLATED),
            json.dumps(data, ensure_ascii=False, indent=1),
        )
        archive.writestr(
            _entry("README.txt", stamp, zipfile.ZIP_DEFLATED),
            _readme(organization, requested_by, now, sections, file_count, missing),
        )
    logger.info(
        "Personal-data export of company %s for user %s: %d files, %d bytes",
        organization.uuid,
        requested_by.pk,
        file_count,
        out.tell(),
    )
    out.seek(0)
    return out


def _entry(path: str, stamp: tuple, compression: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(path, date_time=stamp)
    info.compress_type = compression
    return info


def _copy_stored_file(archive: zipfile.ZipFile, path: str, stored: Any, stamp: tuple) -> bool:
    """Copy one stored file into the archive in chunks (no whole file in memory). A file the
    storage cannot give (gone from disk, an object store error) is listed in the README
    instead of failing the whole export: it is opened and its first chunk read before its
    entry is started, so no half-written entry is left behind."""
    source = None
    try:
        source = stored.storage.open(stored.name, "rb")
        first = source.read(COPY_CHUNK_BYTES)
    except Exception:  # any storage backend's error: local OSError, S3 client errors
        logger.warning("Personal-data export: stored file %s is unreadable", stored.name)
        if source is not None:
            source.close()
        return False
    # Documents are mostly PDFs and images, compressed already: stored as they are.
    with source, archive.open(_entry(path, stamp, zipfile.ZIP_STORED), "w") as target:
        target.write(first)
        shutil.copyfileobj(source, target, COPY_CHUNK_BYTES)
    return True


def _write_csv(raw: IO[bytes], rows: list[dict[str, Any]]) -> None:
    # utf-8-sig writes the BOM, so Excel reads the Chinese as UTF-8.
    text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
    if rows:
        writer = csv.DictWriter(text, fieldnames=list(rows[0]))
        writer.writeheader()
        for row in rows:
            writer.writerow({key: csv_cell(value) for key, value in row.items()})
    else:
        text.write("")
    text.flush()
    text.detach()


def _readme(
    organization: Organization,
    requested_by: User,
    now: dt.datetime,
    sections: dict[str, DataSection],
    file_count: int,
    missing: list[str],
) -> str:
    when = timezone.localtime(now).strftime("%Y-%m-%d %H:%M:%S %Z")
    tables = "\n".join(
        f"  csv/{name}/{table}.csv  ({len(rows)})"
        for name, section in sections.items()
        for table, rows in section.tables.items()
    )
    lines = [
        "中山市市政公用服务接入联动平台 —— 本单位个人信息副本",
        "Zhongshan utility-connection portal — copy of your company's data",
        "",
        f"单位 Company: {organization.name_zh} ({organization.name_en or organization.code})",
        f"导出时间 Exported at: {when}",
        f"导出人 Requested by: {requested_by.get_username()}",
        "",
        "依据《中华人民共和国个人信息保护法》第四十五条，本压缩包包含平台保存的关于本单位的全部信息：",
        "单位及验证记录、成员（姓名、手机号、电子邮箱、角色）、项目、联合申请、各专业报装案件及其办理记录、",
        "材料（元数据及文件本身）、承诺、费用与缴费、评价、许可、决定书、诉求与建议及答复、回访、",
        "政策通知送达与阅读记录、发给本单位及其成员的消息（站内信、电子邮件、短信及所用地址），",
        "以及工作人员查阅本单位个人信息的访问记录（csv/access_log/reads.csv：时间、查阅单位、途径、内容）。",
        "",
        "Under article 45 of the Personal Information Protection Law, this archive holds",
        "everything the portal keeps about your company: the company and its verification,",
        "its members (names, mobile numbers, e-mail addresses, roles), projects, combined",
        "requests, each utility's case with its history, documents (details and the files),",
        "commitments, fees and payments, ratings, permits, decision packages, demands and",
        "suggestions with their answers, follow-ups of ratings, policy notices sent and read,",
        "every message to the company or its people (inbox, e-mail and SMS, with the address",
        "used), and the access log: each time staff read your company's personal data",
        "(csv/access_log/reads.csv: when, which organisation, through which door, what).",
        "",
        "文件 Files:",
        "  data.json  全部数据，机器可读（JSON，UTF-8，时间为 ISO 8601）。",
        "             All data, machine-readable (JSON, UTF-8, times in ISO 8601).",
        "  csv/       每张表一个 CSV 文件（UTF-8 带 BOM，可用 Excel 直接打开）；括号内为行数。",
        "             One CSV file per table (UTF-8 with BOM, opens in Excel); rows in brackets.",
        tables,
        "  documents/, decision_packages/, demand_attachments/",
        f"             文件原件 Stored files: {file_count}",
        "             文件路径见 data.json 中各行的 archive_path。",
        "             Each row's archive_path in data.json names its file.",
        "",
        "办理人员以其所属单位显示。ID-card numbers are shown masked (身份证号码已脱敏显示).",
        "Staff who acted on a case are named by their organisation.",
    ]
    if missing:
        lines += ["", "以下文件在存储中缺失 These stored files are missing:", *missing]
    return "\n".join(lines) + "\n"

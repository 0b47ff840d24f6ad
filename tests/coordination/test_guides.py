"""Service guides (办事指南): generated from the registry the form uses and the SLAs staff keep,
public, printable, in both languages, with the authorisation letter template."""

import io
import zipfile
from dataclasses import replace

import pytest

from applications import registry
from applications.constants import DocumentType, SharedFrom
from coordination.guides import service_guide
from workgroups.models import SlaPolicy

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("utility", list(registry.UTILITIES))
def test_each_utility_has_a_public_guide_in_both_languages(client, reference, utility):
    zh = client.get(f"/guides/{utility}/")
    en = client.get(f"/en/guides/{utility}/")
    assert zh.status_code == en.status_code == 200
    html = en.content.decode()
    for anchor in ("overview", "who-decides", "documents", "stages", "fees", "contact"):
        assert f'id="{anchor}"' in html, anchor
    for doc_type in registry.UTILITIES[utility].documents:
        assert f'id="doc-{doc_type}"' in html, doc_type
    assert "data-hotline>12345<" in html
    assert "coordination/guide" in html and ".css" in html  # the print stylesheet
    assert 'lang="zh-hans"' in zh.content.decode()
    assert "service guide" in html and "办事指南" in html


def test_unknown_utility_is_a_404(client, reference):
    assert client.get("/guides/steam/").status_code == 404


def test_the_guide_follows_a_change_in_the_registry(client, reference, monkeypatch):
    before = client.get("/en/guides/cable_tv/").content.decode()
    assert 'id="doc-site_plan"' not in before
    cable = registry.UTILITIES["cable_tv"]
    monkeypatch.setitem(
        registry.UTILITIES,
        "cable_tv",
        replace(cable, documents=(*cable.documents, DocumentType.SITE_PLAN)),
    )
    monkeypatch.setitem(
        registry.DOCUMENT_RULES,
        DocumentType.PROPERTY_RIGHT,
        registry.DocumentRule(False, SharedFrom.NOWHERE),
    )
    after = client.get("/en/guides/cable_tv/").content.decode()
    assert 'id="doc-site_plan"' in after
    prop = after[after.index('id="doc-property_right"') :]
    prop = prop[: prop.index("</div>")]
    assert 'data-shared-from=""' in prop and 'data-commitment="no"' in prop
    assert "Not fetched from shared data" in prop


def test_the_guide_follows_the_sla_staff_set(reference):
    sla = SlaPolicy.objects.get(workgroup__code="water", stage="constructing", variant="")
    before = service_guide("water")
    sla.working_days = 11
    sla.save()
    after = service_guide("water")
    days = {s.stage: s.working_days for s in after.stages if not s.variant}
    assert days["constructing"] == 11
    assert after.total_working_days == before.total_working_days - 15 + 11


def test_the_guide_names_who_decides_from_the_reference_data(client, reference):
    html = client.get("/guides/gas/").content.decode()
    assert "中山港华燃气有限公司" in html and "华润燃气有限公司" in html
    assert "市住房和城乡建设局" in html
    english = client.get("/en/guides/electricity/").content.decode()
    assert "Natural Resources" in english or "自然资源局" in english


@pytest.mark.parametrize(("prefix", "needle"), [("", "授权委托书"), ("/en", "Power of attorney")])
def test_the_authorisation_letter_template_downloads_in_each_language(
    client, reference, prefix, needle
):
    response = client.get(f"{prefix}/guides/authorisation-letter.docx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(response.content)) as docx:
        body = docx.read("word/document.xml").decode()
    assert needle in body


def test_the_template_is_offered_where_the_authorisation_is_asked(client, reference):
    html = client.get("/en/guides/water/").content.decode()
    auth = html[html.index('id="doc-authorisation"') :]
    assert "/en/guides/authorisation-letter.docx" in auth[: auth.index("</div>")]

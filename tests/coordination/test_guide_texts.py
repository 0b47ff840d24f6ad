"""Service guides per utility and business type: generated parts follow the registry, the
lead agency's prose is versioned, only that lead agency edits it, the guide prints with its
own stylesheet, and the tracking page links to the stage's section."""

from dataclasses import replace

import pytest
from django.utils import timezone

from applications import registry
from applications.constants import BusinessType, DocumentType
from coordination.models import GuideText
from tests.coordination.conftest import client_for

pytestmark = pytest.mark.django_db

PROSE = {
    "intro_zh": "新装用电请在线一次提交全部材料。",
    "intro_en": "Apply online once with every document.",
    "notes_zh": "周末不受理现场勘查预约。",
    "notes_en": "",
    "contacts_zh": "市发展改革局能源科 0760-88888888",
    "contacts_en": "Energy section of the DRC, 0760-88888888",
}


@pytest.mark.parametrize("utility", list(registry.UTILITIES))
def test_every_utility_and_business_type_has_a_public_guide(client, reference, utility):
    assert client.get(f"/guides/{utility}/{BusinessType.values[-1]}/").status_code == 200
    for business_type in BusinessType.values:
        en = client.get(f"/en/guides/{utility}/{business_type}/")
        assert en.status_code == 200
        html = en.content.decode()
        assert f'data-business-type="{business_type}"' in html
        assert str(BusinessType(business_type).label) in html
        for doc_type in registry.UTILITIES[utility].documents:
            assert f'id="doc-{doc_type}"' in html
        assert 'id="stage-submitted"' in html
        assert "data-hotline>12345<" in html


def test_the_guide_index_links_every_business_type(client, reference):
    html = client.get("/en/guides/").content.decode()
    for utility in registry.UTILITIES:
        for business_type in BusinessType.values:
            assert f'data-guide-type="{utility}/{business_type}"' in html


def test_unknown_business_type_is_a_404(client, reference):
    assert client.get("/guides/water/demolition/").status_code == 404


def test_a_business_types_guide_follows_a_change_in_the_registry(client, reference, monkeypatch):
    url = "/en/guides/cable_tv/relocation/"
    assert 'id="doc-gas_equipment"' not in client.get(url).content.decode()
    cable = registry.UTILITIES["cable_tv"]
    monkeypatch.setitem(
        registry.UTILITIES,
        "cable_tv",
        replace(cable, documents=(*cable.documents, DocumentType.GAS_EQUIPMENT)),
    )
    monkeypatch.setitem(
        registry.DOCUMENT_RULES, DocumentType.GAS_EQUIPMENT, registry.DocumentRule(True)
    )
    html = client.get(url).content.decode()
    doc = html[html.index('id="doc-gas_equipment"') :]
    doc = doc[: doc.index("</div>")]
    assert 'data-commitment="yes"' in doc


def test_the_guide_links_its_print_stylesheet(client, reference):
    html = client.get("/guides/water/change/").content.decode()
    assert "coordination/guide-print" in html and 'media="print"' in html
    assert "style=" not in html.split("<main", 1)[-1]  # CSP: no inline styles


def test_editing_the_prose_publishes_a_new_version(client, reference, staff):
    lead = client_for(staff("ndrc"))  # 市发展改革局 leads the electricity workgroup
    url = "/staff/guides/electricity/change/"
    assert lead.get(url).status_code == 200
    assert lead.post(url, PROSE).status_code == 302
    assert lead.post(url, {**PROSE, "intro_zh": "变更增容请先核对原户号。"}).status_code == 302
    versions = list(GuideText.objects.filter(utility="electricity", business_type="change"))
    assert [v.version for v in versions] == [2, 1]
    assert versions[0].author == staff("ndrc")
    zh = client.get("/guides/electricity/change/").content.decode()
    assert "变更增容请先核对原户号。" in zh and "新装用电请在线" not in zh
    assert "第 2 版" in zh
    assert f"{timezone.localdate(versions[0].created_at):%Y-%m-%d}" in zh
    en = client.get("/en/guides/electricity/change/").content.decode()
    assert "Version 2 of" in en
    assert "周末不受理现场勘查预约。" in en  # no English notes: the Chinese ones
    assert "Energy section of the DRC" in en
    # The earlier version stays readable by staff; another business type is untouched.
    old = lead.get("/staff/guides/electricity/change/v1/")
    assert old.status_code == 200 and "新装用电请在线一次提交全部材料。" in old.content.decode()
    assert 'id="notes"' not in client.get("/guides/electricity/relocation/").content.decode()


def test_a_missing_introduction_rerenders_with_the_error_summary(reference, staff):
    lead = client_for(staff("ndrc"))
    response = lead.post("/staff/guides/electricity/change/", {**PROSE, "intro_zh": ""})
    assert response.status_code == 200
    assert "data-error-summary" in response.content.decode()
    assert not GuideText.objects.exists()


@pytest.mark.parametrize("code", ["water-bureau", "csg-zhongshan"])
def test_only_the_lead_agency_of_the_utility_edits_its_guide(reference, staff, code):
    other = client_for(staff(code))  # water's lead agency; electricity's operator
    url = "/staff/guides/electricity/new_connection/"
    assert other.get(url).status_code == 404
    assert other.post(url, PROSE).status_code == 404
    assert not GuideText.objects.exists()
    own = client_for(staff("ndrc"))
    assert own.post(url, PROSE).status_code == 302
    # Staff read every version; only the lead agency gets the way to edit.
    version = other.get("/staff/guides/electricity/new_connection/v1/")
    assert version.status_code == 200 and "新装用电请在线" in version.content.decode()
    listing = other.get("/staff/guides/").content.decode()
    assert 'data-version-link="electricity/new_connection"' in listing
    assert 'data-edit-guide="electricity/' not in listing
    assert 'data-edit-guide="electricity/change"' in own.get("/staff/guides/").content.decode()


def test_an_applicant_cannot_edit_a_guide(reference, applicant):
    response = client_for(applicant).post("/staff/guides/electricity/change/", PROSE)
    assert response.status_code == 404
    assert not GuideText.objects.exists()
    assert client_for(applicant).get("/staff/guides/").status_code == 404


def test_the_tracking_page_links_the_guide_section_of_the_stage(reference, submit, applicant):
    combined = submit(["water"])
    html = client_for(applicant).get(f"/en/requests/{combined.uuid}/").content.decode()
    bt = combined.business_type
    assert f'href="/en/guides/water/{bt}/#stage-submitted"' in html

"""The knowledge base (知识库): workgroup staff write sanitised articles, staff search them in
Chinese and English (jieba words in a PostgreSQL tsvector), ranked; the case page shows the
related know-how; applicants never see any of it."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from coordination.models import Article
from coordination.selectors.knowledge import article_search, knowledge_scope
from coordination.services.knowledge import ArticleInput, article_create
from tests.coordination.conftest import client_for
from workgroups.models import Workgroup

pytestmark = pytest.mark.django_db


@pytest.fixture
def write(staff):
    def do(title, body, utility="electricity", kind="procedure", stage="", author="ndrc"):
        return article_create(
            actor=staff(author),
            data=ArticleInput(
                workgroup=Workgroup.objects.get(code=utility),
                kind=kind,
                title=title,
                body=body,
                stage=stage,
            ),
        )

    return do


def _titles(client, query, lang=""):
    response = client.get(f"{lang}/staff/knowledge/", {"q": query})
    assert response.status_code == 200
    html = response.content.decode()
    return [a.title for a in Article.objects.all() if a.title in html], html


def test_a_chinese_word_finds_the_article_holding_it(reference, staff, write):
    write("临时用电报装办理流程", "<p>施工临时用电报装须提供用电容量和使用期限。</p>")
    write("燃气开通须知", "<p>通气前须完成燃气设施验收。</p>", utility="gas", author="housing")
    client = client_for(staff("csg-zhongshan"))  # an operator reads every workgroup's
    found, _html = _titles(client, "临时用电")
    assert found == ["临时用电报装办理流程"]
    assert _titles(client, "报装")[0] == ["临时用电报装办理流程"]
    assert _titles(client, "燃气设施")[0] == ["燃气开通须知"]
    assert _titles(client, "自来水")[0] == []


def test_english_words_are_found_in_either_language_page(reference, staff, write):
    write("Temporary power for construction sites", "<p>Ask for a <b>temporary</b> supply.</p>")
    write("雨季施工安全", "<p>Excavation in the rainy season.</p>", utility="water",
          author="water-bureau")  # fmt: skip
    client = client_for(staff("ndrc"))
    assert _titles(client, "Temporary", "/en")[0] == ["Temporary power for construction sites"]
    assert _titles(client, "rainy SEASON")[0] == ["雨季施工安全"]


def test_a_title_match_ranks_above_a_mention_in_the_text(reference, staff, write):
    write("现场勘查的安排", "<p>勘查前电话联系业主。提到变更一次。</p>")
    write("变更增容的受理", "<p>变更增容须核对原户号；变更后重新计费。</p>")
    results = list(article_search(scope=knowledge_scope(user=staff("ndrc")), query="变更"))
    assert [a.title for a in results] == ["变更增容的受理", "现场勘查的安排"]
    assert results[0].rank > results[1].rank


def test_the_text_is_sanitised_when_saved(reference, staff, write):
    article = write(
        "链接测试",
        '<p onclick="x()">正文<script>alert(1)</script><a href="javascript:x()">坏</a>'
        '<a href="https://www.zs.gov.cn/">好</a></p><style>p{}</style>',
    )
    assert "script" not in article.body and "onclick" not in article.body
    assert "javascript:" not in article.body and "<style" not in article.body
    assert 'href="https://www.zs.gov.cn/"' in article.body
    page = client_for(staff("ndrc")).get(f"/staff/knowledge/{article.uuid}/")
    assert page.status_code == 200 and "alert(1)" not in page.content.decode()


def test_workgroup_staff_write_articles_and_errors_rerender_at_200(reference, staff):
    client = client_for(staff("ndrc"))
    electricity = Workgroup.objects.get(code="electricity")
    bad = client.post(
        "/staff/knowledge/new/",
        {"workgroup": electricity.pk, "kind": "faq", "title": "", "body": "<script></script>"},
    )
    assert bad.status_code == 200 and "data-error-summary" in bad.content.decode()
    empty = client.post(
        "/staff/knowledge/new/",
        {"workgroup": electricity.pk, "kind": "faq", "title": "空", "body": "<script>x</script>"},
    )
    assert empty.status_code == 200 and "data-error-summary" in empty.content.decode()
    assert not Article.objects.exists()
    ok = client.post(
        "/staff/knowledge/new/",
        {"workgroup": electricity.pk, "kind": "faq", "title": "常见问题", "body": "<p>答</p>"},
    )
    assert ok.status_code == 302
    article = Article.objects.get()
    assert article.author == staff("ndrc") and article.organization.code == "ndrc"


def test_staff_of_another_workgroup_cannot_write_its_articles(reference, staff, write):
    article = write("供电方案答复", "<p>十个工作日内答复。</p>")
    water = client_for(staff("zs-water"))  # the water operator: no member of electricity's
    assert water.get(f"/staff/knowledge/{article.uuid}/").status_code == 200  # reads
    assert water.get(f"/staff/knowledge/{article.uuid}/edit/").status_code == 404
    electricity = Workgroup.objects.get(code="electricity")
    response = water.post(
        "/staff/knowledge/new/",
        {"workgroup": electricity.pk, "kind": "faq", "title": "越权", "body": "<p>x</p>"},
    )
    assert response.status_code == 200  # the workgroup is not among its choices
    assert not Article.objects.filter(title="越权").exists()


def test_applicants_and_visitors_never_see_the_knowledge_base(
    client, reference, staff, write, applicant
):
    article = write("内部流程", "<p>内部</p>")
    for url in (
        "/staff/knowledge/",
        f"/staff/knowledge/{article.uuid}/",
        "/staff/knowledge/new/",
        "/staff/training/",
    ):
        assert client_for(applicant).get(url).status_code == 404, url
        assert client.get(url).status_code == 302, url  # to the sign-in page


def test_the_case_page_shows_the_know_how_of_its_utility_and_stage(
    reference, staff, write, submit, operator_staff
):
    write("受理阶段的核验要点", "<p>核对证照。</p>", stage="submitted")
    write("通用：如何联系业主", "<p>先电话。</p>")
    write("施工阶段的协调", "<p>外线施工。</p>", stage="constructing")
    write("用水受理", "<p>水</p>", utility="water", author="water-bureau", stage="submitted")
    combined = submit(["electricity", "water"])
    client = client_for(staff("ndrc"))
    url = f"/staff/cases/{combined.uuid}/"
    html = client.get(url).content.decode()
    box = html[html.index('data-know-how="electricity:submitted"') :]
    box = box[: box.index("</aside>")]
    assert "受理阶段的核验要点" in box and "通用：如何联系业主" in box
    assert "施工阶段的协调" not in box and "用水受理" not in box
    # The box costs the same queries whatever the number of articles.
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    for n in range(5):
        write(f"更多经验{n}", "<p>x</p>", stage="submitted")
    with CaptureQueriesContext(connection) as after:
        client.get(url)
    assert len(after.captured_queries) == len(before.captured_queries)


def test_a_decision_links_its_meeting_of_the_same_workgroup(reference, staff, write):
    from coordination.models import Meeting
    from coordination.services import MeetingInput, meeting_schedule

    lead = staff("ndrc")
    meeting = meeting_schedule(
        actor=lead,
        data=MeetingInput(
            "获得电力第五次联动协调会议",
            timezone.now() + dt.timedelta(days=3),
            "市发展和改革局会议室",
            Workgroup.objects.get(code="electricity"),
            [],
        ),
    )
    client = client_for(lead)
    electricity = Workgroup.objects.get(code="electricity")
    water = Workgroup.objects.get(code="water")
    post = {"kind": "decision", "title": "会议决定", "body": "<p>并联审批</p>"}
    wrong = client.post(
        "/staff/knowledge/new/", {**post, "workgroup": water.pk, "meeting": meeting.pk}
    )
    assert (
        wrong.status_code == 200
        and "another workgroup" in str(wrong.context["form"].errors)
        or "其他工作小组" in str(wrong.context["form"].errors)
    )
    ok = client.post(
        "/staff/knowledge/new/", {**post, "workgroup": electricity.pk, "meeting": meeting.pk}
    )
    assert ok.status_code == 302
    article = Article.objects.get()
    assert article.meeting == Meeting.objects.get()
    html = client.get(f"/en/staff/knowledge/{article.uuid}/").content.decode()
    assert f'href="/en/staff/meetings/{meeting.uuid}/"' in html


def test_the_knowledge_list_costs_the_same_queries_whatever_its_length(reference, staff, write):
    client = client_for(staff("ndrc"))
    write("第一篇", "<p>报装</p>")
    client.get("/staff/knowledge/")  # the working-day calendar's cache warmed
    with CaptureQueriesContext(connection) as one:
        assert client.get("/staff/knowledge/", {"q": "报装"}).status_code == 200
    for n in range(6):
        write(f"报装经验{n}", "<p>报装</p>", utility="water", author="water-bureau")
    with CaptureQueriesContext(connection) as seven:
        html = client.get("/staff/knowledge/", {"q": "报装"}).content.decode()
    assert html.count("data-article=") == 7
    assert len(seven.captured_queries) == len(one.captured_queries)
    english = client.get("/en/staff/knowledge/").content.decode()
    assert "Knowledge base" in english and "Write an article" in english
    assert "知识库" in client.get("/staff/knowledge/").content.decode()

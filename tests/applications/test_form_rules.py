"""One registry record per rule between fields: the hint shown before submitting, the data the
page's script reads and the server's check come from it and agree. Selects never answer for
the applicant. The commitment wording is versioned and a commitment keeps the version signed."""

import datetime as dt
from decimal import Decimal

import pytest
from django import forms
from django.utils import timezone, translation

from applications.forms import details_form
from applications.models import Commitment
from applications.registry import UTILITIES, FieldRule, clean_details, rule_hints
from applications.selectors.commitments import commitment_text_current
from applications.services import commitment_text_publish, commitment_text_seed
from core.forms import error_links
from tests.factories import DETAILS

RULES = [(u, rule) for u, spec in UTILITIES.items() for rule in spec.details_form.rules]


def _breaking(utility: str, rule: FieldRule) -> dict:
    """Complete details that break `rule` and nothing else."""
    data = dict(DETAILS[utility], **{rule.when_field: rule.when_values[0]})
    if rule.kind == "required":
        data.pop(rule.field, None)
    elif rule.kind == "max":
        data[rule.field] = str(rule.limit + 1)
    else:
        data[rule.field] = rule.value
        if utility == "electricity":
            data["capacity_kva"] = "100"
    return data


def test_the_registry_holds_the_rules_between_fields():
    assert {(u, r.field) for u, r in RULES} == {
        ("electricity", "capacity_kva"),
        ("electricity", "supply_mode"),
        ("network", "bandwidth_mbps"),
    }


@pytest.mark.parametrize(("utility", "rule"), RULES, ids=[f"{u}.{r.field}" for u, r in RULES])
def test_a_broken_rule_is_an_error_on_its_field_with_its_message(utility, rule):
    form = UTILITIES[utility].details_form(data=_breaking(utility, rule))
    assert not form.is_valid()
    assert form.errors[rule.field] == [str(rule.message)]


@pytest.mark.parametrize(("utility", "rule"), RULES, ids=[f"{u}.{r.field}" for u, r in RULES])
def test_a_rule_does_not_apply_when_the_other_field_says_otherwise(utility, rule):
    data = _breaking(utility, rule)
    other = [
        value
        for value, _label in UTILITIES[utility].details_form.base_fields[rule.when_field].choices
        if value and value not in rule.when_values
    ]
    data[rule.when_field] = other[-1]
    form = UTILITIES[utility].details_form(data=data)
    assert rule.field not in form.errors


@pytest.mark.parametrize(("utility", "rule"), RULES, ids=[f"{u}.{r.field}" for u, r in RULES])
def test_the_hint_and_the_script_data_come_from_the_same_rule(utility, rule):
    form = details_form(utility)
    bound = form[rule.field]
    with translation.override("en"):
        hint = rule.hint(UTILITIES[utility].details_form)
        assert hint in str(details_form(utility).fields[rule.field].help_text)
        when_label = str(UTILITIES[utility].details_form.base_fields[rule.when_field].label)
        assert when_label in hint
    data = bound.field.widget.attrs["data-rules"]
    assert f'"when": "{utility}-{rule.when_field}"' in data
    assert all(f'"{value}"' in data for value in rule.when_values)


def test_hints_read_in_both_languages():
    rule = rule_hints("network")["bandwidth_mbps"][0]
    with translation.override("en"):
        assert rule.hint(UTILITIES["network"].details_form) == (
            "Required when Network service is Broadband or Dedicated line."
        )
    with translation.override("zh-hans"):
        assert rule.hint(UTILITIES["network"].details_form) == "网络业务类型为宽带或专线时必填。"
    with translation.override("en"):
        low = rule_hints("electricity")["capacity_kva"][0].hint(
            UTILITIES["electricity"].details_form
        )
    assert low == "At most 200 when Voltage level is 220 V or 380 V."


def test_every_select_of_the_details_forms_starts_empty_and_must_be_answered():
    for utility, spec in UTILITIES.items():
        for name, form_field in spec.details_form.base_fields.items():
            if type(form_field.widget) is not forms.Select:
                continue
            assert form_field.choices[0][0] == "", f"{utility}.{name}"
            assert form_field.required
            form = spec.details_form(data=dict(DETAILS[utility], **{name: ""}))
            assert not form.is_valid()
            with translation.override("en"):
                assert form.errors[name] == ["Choose one of the options."]


def test_skipping_the_electricity_selects_never_makes_a_household_on_220_v():
    raw = {"capacity_kva": "630"}
    with pytest.raises(Exception) as caught:
        clean_details("electricity", raw)
    assert set(caught.value.message_dict) == {"category", "voltage_level", "supply_mode"}


def test_error_links_point_at_each_fields_first_control():
    form = details_form("network", data={"network-service_type": "broadband"})
    assert not form.is_valid()
    links = {link.href: link.text for link in error_links(form, section="Network")}
    assert "#id_network-bandwidth_mbps" in links
    assert "#id_network-preferred_carriers_0" in links  # a group of tick boxes
    assert links["#id_network-access_points"].startswith("Network · ")


# --- commitment wording versions ---------------------------------------------------------


@pytest.mark.django_db
def test_the_first_wording_is_the_one_in_force(reference):
    wording = commitment_text_current()
    assert wording.version == 1 and wording.code == "document"
    with translation.override("en"):
        assert wording.statement("Planning permit") == (
            "We undertake that the information given is true and that we will provide the "
            "Planning permit before construction starts, accepting the consequences if we do not."
        )
        assert wording.due_point.startswith("Before the outside-line works start")
    with translation.override("zh-hans"):
        assert "建设工程规划许可证" in wording.statement("建设工程规划许可证")
        assert wording.consequences.startswith("未按期提供的")
    assert commitment_text_seed() == wording  # idempotent


@pytest.mark.django_db
def test_a_new_version_applies_from_its_date_and_signed_ones_keep_theirs(reference, submit):
    first = commitment_text_current()
    signed = submit(["water"], commit_where_allowed=True)
    assert {c.wording_id for c in signed.commitments.all()} == {first.pk}

    later = commitment_text_publish(
        code=first.code,
        text_zh="新{document}",
        text_en="New {document}",
        due_point_zh="开工前",
        due_point_en="Before works",
        consequences_zh="暂停",
        consequences_en="Held",
        effective_from=timezone.now() + dt.timedelta(days=7),
    )
    assert later.version == 2
    assert commitment_text_current() == first  # not in force yet
    assert commitment_text_current(at=timezone.now() + dt.timedelta(days=8)) == later
    assert set(Commitment.objects.values_list("wording__version", flat=True)) == {1}


def test_rule_limits_are_decimals():
    assert rule_hints("electricity")["capacity_kva"][0].limit == Decimal("200")


@pytest.mark.django_db
def test_an_administrator_adds_a_wording_as_the_next_version_and_never_edits_a_signed_one(
    reference, submit, client, django_user_model
):
    signed = submit(["water"], commit_where_allowed=True)
    first = signed.commitments.first().wording
    admin_user = django_user_model.objects.create_superuser("root", "root@example.cn", "pw-12345")
    client.force_login(admin_user)
    response = client.post(
        "/admin/applications/commitmenttext/add/",
        {
            "code": first.code,
            "text_zh": "新{document}",
            "text_en": "New {document}",
            "due_point_zh": "开工前",
            "due_point_en": "Before works",
            "consequences_zh": "暂停施工",
            "consequences_en": "Works are held",
            "effective_from_0": "2026-01-01",
            "effective_from_1": "00:00:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert commitment_text_current().version == first.version + 1
    change = f"/admin/applications/commitmenttext/{first.pk}/change/"
    assert client.get(change).status_code == 200  # shown, read-only
    assert client.post(change, {"text_en": "rewritten"}).status_code == 403
    first.refresh_from_db()
    assert first.text_en.startswith("We undertake")

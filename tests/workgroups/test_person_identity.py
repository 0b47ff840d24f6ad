"""A person applying for their own home gives an ID-card number: checked by its check
character, stored encrypted, shown masked."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from tests.factories import company, member_of
from workgroups.identity import person_id_number_set, person_identity_of
from workgroups.models import PersonIdentity
from workgroups.registration import applicant_person_register
from workgroups.validators import (
    mask_resident_id,
    resident_id_check_character,
    validate_resident_id,
)

pytestmark = pytest.mark.django_db

VALID = "11010519491231002X"  # GB 11643's published example
ALSO_VALID = "440101199003071234"[:17] + resident_id_check_character("44010119900307123")


def test_the_check_character_is_checked():
    validate_resident_id(VALID)
    validate_resident_id(ALSO_VALID)
    wrong = VALID[:17] + ("1" if VALID[17] != "1" else "2")
    for bad in (wrong, VALID[:17], "A" * 18, "110105194913310021"):
        with pytest.raises(ValidationError):
            validate_resident_id(bad)


def test_masked_keeps_only_the_first_three_and_last_four():
    assert mask_resident_id("110105199001011234") == "110***********1234"
    assert mask_resident_id(VALID) == "110***********002X"


@pytest.fixture
def person(reference):
    user = applicant_person_register(
        full_name="李小梅", mobile="13800138111", email="li@example.cn", password="Zs-portal-2026"
    )
    return user, user.memberships.get().organization


def test_stored_encrypted_never_as_the_number(person):
    user, org = person
    person_id_number_set(actor=user, organization=org, id_number=" 11010519491231002x ")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id_number FROM workgroups_personidentity WHERE organization_id = %s", [org.pk]
        )
        raw = cursor.fetchone()[0]
    assert VALID not in raw and "1231002" not in raw
    assert raw.startswith("gAAAA")  # a Fernet token
    assert PersonIdentity.objects.get(organization=org).id_number == VALID
    assert person_identity_of(org).masked_id_number == "110***********002X"


def test_a_wrong_number_is_a_field_error(person):
    user, org = person
    with pytest.raises(ValidationError) as caught:
        person_id_number_set(actor=user, organization=org, id_number="110105194912310021")
    assert "id_number" in caught.value.message_dict
    assert not PersonIdentity.objects.exists()


def test_companies_and_strangers_give_none(person, reference):
    user, org = person
    firm = company("firm-co", "中山市某某公司")
    from workgroups.identity import company_identity_start

    company_identity_start(organization=firm, credit_code="")
    boss = member_of(firm, username="boss")
    with pytest.raises(PermissionDenied):
        person_id_number_set(actor=boss, organization=firm, id_number=VALID)
    with pytest.raises(PermissionDenied):
        person_id_number_set(actor=boss, organization=org, id_number=VALID)


def test_the_page_shows_it_masked_only(client, person):
    user, org = person
    client.force_login(user)
    bad = client.post("/en/company/id-number/", {"id_number": "110105194912310021"})
    assert bad.status_code == 200
    assert "check character does not match" in bad.content.decode()
    saved = client.post("/en/company/id-number/", {"id_number": VALID})
    assert saved.status_code == 302
    for prefix in ("", "/en"):
        html = client.get(f"{prefix}/company/").content.decode()
        assert "110***********002X" in html
        assert VALID not in html and VALID.lower() not in html

"""Data migrations of the workgroups app."""

import importlib

from django.apps import apps
from django.contrib.auth.models import Group

from tests.factories import company, member_of
from workgroups.constants import NetworkCarrier
from workgroups.models import Organization


def test_role_groups_are_deleted_and_organisation_groups_stay(reference):
    org = company()
    person = member_of(org)
    person.groups.add(Group.objects.create(name="role:applicant"))
    Group.objects.create(name="role:operator")

    migration = importlib.import_module("workgroups.migrations.0003_delete_role_groups")
    migration.delete_role_groups(apps, None)

    assert not Group.objects.filter(name__startswith="role:").exists()
    assert set(person.groups.values_list("name", flat=True)) == {org.group.name}
    assert Group.objects.filter(name__startswith="org:").count() > 1


def test_the_carrier_migration_marks_the_reference_operators_and_keeps_what_staff_set(reference):
    migration = importlib.import_module("workgroups.migrations.0005_operator_carriers")
    Organization.objects.update(carrier="")
    Organization.objects.filter(code="mobile-zs").update(carrier=NetworkCarrier.UNICOM)
    migration.mark_carriers(apps, None)
    carriers = dict(Organization.objects.exclude(carrier="").values_list("code", "carrier"))
    assert carriers == {
        "telecom-zs": NetworkCarrier.TELECOM,
        "mobile-zs": NetworkCarrier.UNICOM,
        "unicom-zs": NetworkCarrier.UNICOM,
        "tower-zs": NetworkCarrier.TOWER,
    }

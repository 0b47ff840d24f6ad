"""Data migrations of the workgroups app."""

import importlib

from django.apps import apps
from django.contrib.auth.models import Group

from tests.factories import company, member_of


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

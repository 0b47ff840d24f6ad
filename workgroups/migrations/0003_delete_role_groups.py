"""The `role:*` groups granted no permission that any code checks: what a person may do comes
from their organisation's group and the reference data, so the groups go."""

from django.db import migrations


def delete_role_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name__startswith="role:").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("workgroups", "0002_idempotency_record"),
    ]

    operations = [migrations.RunPython(delete_role_groups, migrations.RunPython.noop)]

"""The network operators of the reference data say which carrier they are: a network request is
routed by that field. Rows staff already marked keep their value."""

from django.db import migrations

CARRIERS = {
    "telecom-zs": "telecom",
    "mobile-zs": "mobile",
    "unicom-zs": "unicom",
    "tower-zs": "tower",
}


def mark_carriers(apps, schema_editor):
    Organization = apps.get_model("workgroups", "Organization")
    for code, carrier in CARRIERS.items():
        Organization.objects.filter(code=code, carrier="").update(carrier=carrier)


class Migration(migrations.Migration):
    dependencies = [("workgroups", "0004_organization_carrier")]

    operations = [migrations.RunPython(mark_carriers, migrations.RunPython.noop)]

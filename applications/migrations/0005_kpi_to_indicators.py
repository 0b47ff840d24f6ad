from django.db import migrations


class Migration(migrations.Migration):
    """The rollup models belong to the indicators app: they leave this app's state only, their
    tables stay (indicators.0001_initial takes them over under the same names)."""

    dependencies = [
        ('applications', '0004_lead_review_permission'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='KpiRefresh'),
                migrations.DeleteModel(name='KpiRollup'),
            ],
            database_operations=[],
        ),
    ]

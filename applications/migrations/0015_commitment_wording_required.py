# Every commitment names the wording it was signed under (0010 stamped the earlier ones).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0014_commitment_text"),
    ]

    operations = [
        migrations.AlterField(
            model_name="commitment",
            name="wording",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="commitments",
                to="applications.commitmenttext",
                verbose_name="wording signed",
            ),
        ),
    ]

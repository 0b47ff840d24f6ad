import uuid

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("applications", "0017_commitments_due_points_of_signed_ones")]

    operations = [
        migrations.AlterField(
            model_name="commitment",
            name="uuid",
            field=models.UUIDField(
                default=uuid.uuid4, editable=False, unique=True, verbose_name="public id"
            ),
        ),
    ]

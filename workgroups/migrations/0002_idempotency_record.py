# IdempotencyRecord joins workgroups on its existing table: a state change only, no data moves.

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('workgroups', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='IdempotencyRecord',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('scope', models.CharField(max_length=60, verbose_name='scope')),
                        ('key', models.CharField(max_length=255, verbose_name='idempotency key')),
                        ('method', models.CharField(max_length=10, verbose_name='method')),
                        ('path', models.CharField(max_length=500, verbose_name='path')),
                        ('request_hash', models.CharField(max_length=64, verbose_name='request SHA-256')),
                        ('status_code', models.PositiveSmallIntegerField(default=0, verbose_name='response status')),
                        ('response_body', models.JSONField(blank=True, null=True, verbose_name='response body')),
                        ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name='created at')),
                        ('organization', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='workgroups.organization', verbose_name='organisation')),
                    ],
                    options={
                        'verbose_name': 'idempotency record',
                        'verbose_name_plural': 'idempotency records',
                        'db_table': 'applications_idempotencyrecord',
                        'constraints': [models.UniqueConstraint(fields=('scope', 'key'), name='idempotency_scope_key_unique')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]

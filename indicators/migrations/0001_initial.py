from django.db import migrations, models


class Migration(migrations.Migration):
    """Takes over the rollup tables that applications.0003_kpi_rollup created, in state only:
    the tables and their rows stay as they are."""

    initial = True

    dependencies = [
        ('applications', '0005_kpi_to_indicators'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='KpiRefresh',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('refreshed_at', models.DateTimeField(verbose_name='refreshed at')),
                        ('seconds', models.FloatField(verbose_name='seconds taken')),
                    ],
                    options={
                        'verbose_name': 'indicator refresh',
                        'verbose_name_plural': 'indicator refreshes',
                        'db_table': 'applications_kpirefresh',
                    },
                ),
                migrations.CreateModel(
                    name='KpiRollup',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('month', models.DateField(verbose_name='month')),
                        ('utility', models.CharField(blank=True, max_length=20, verbose_name='utility')),
                        ('workgroup_id', models.IntegerField(null=True, verbose_name='workgroup')),
                        ('operator_id', models.IntegerField(null=True, verbose_name='operator')),
                        ('measure', models.CharField(max_length=40, verbose_name='measure')),
                        ('value', models.DecimalField(decimal_places=2, max_digits=14, null=True, verbose_name='value')),
                        ('n', models.IntegerField(verbose_name='count')),
                        ('on_time', models.IntegerField(default=0, verbose_name='left in time')),
                    ],
                    options={
                        'verbose_name': 'indicator rollup cell',
                        'verbose_name_plural': 'indicator rollup cells',
                        'db_table': 'applications_kpirollup',
                        'indexes': [models.Index(fields=['measure', 'month'], name='kpirollup_measure_month')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]

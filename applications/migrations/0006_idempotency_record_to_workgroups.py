# IdempotencyRecord's state goes to workgroups and its table stays: no data moves. Its content type
# follows, so permissions and admin log entries keep pointing at it.

from django.db import migrations


def _relabel(apps, schema_editor, *, old, new):
    ContentType = apps.get_model('contenttypes', 'ContentType')
    if not ContentType.objects.filter(app_label=new, model='idempotencyrecord').exists():
        ContentType.objects.filter(app_label=old, model='idempotencyrecord').update(app_label=new)


def to_workgroups(apps, schema_editor):
    _relabel(apps, schema_editor, old='applications', new='workgroups')


def to_applications(apps, schema_editor):
    _relabel(apps, schema_editor, old='workgroups', new='applications')


class Migration(migrations.Migration):

    dependencies = [
        ('applications', '0005_kpi_to_indicators'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('workgroups', '0002_idempotency_record'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='IdempotencyRecord')],
            database_operations=[],
        ),
        migrations.RunPython(to_workgroups, to_applications),
    ]

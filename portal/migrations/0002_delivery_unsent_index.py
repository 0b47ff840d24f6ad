"""An index for the metrics' outbox query (portal/observability/queries.py unsent_deliveries):
the rows not delivered yet are a handful, the delivered ones millions, so the scrape reads only
the handful. Kept with the query that needs it rather than in notifications' own migrations."""

from django.db import migrations

INDEX = "portal_obs_delivery_unsent"


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0001_periodic_task_run"),
        ("notifications", "0004_notice_and_delivery_status_fsm"),
    ]

    operations = [
        migrations.RunSQL(
            sql=(
                f"CREATE INDEX IF NOT EXISTS {INDEX} ON notifications_delivery "
                "(status, channel, endpoint_id) WHERE status <> 'sent'"
            ),
            reverse_sql=f"DROP INDEX IF EXISTS {INDEX}",
        ),
    ]

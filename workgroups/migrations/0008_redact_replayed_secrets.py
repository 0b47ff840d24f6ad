"""Redact the signing secrets that idempotent replays kept in plaintext.

Until now the replay store (IdempotencyRecord.response_body) held the whole first answer of a
webhook registration, the secret generated for the caller included. New records keep it as
`"secret": null, "secret_redacted": true` (workgroups/api/idempotency.py); this rewrites the
records already stored the same way. Only generated secrets are ever in an answer (a secret the
caller chose is never echoed), so every non-null "secret" there is one. Not reversible: the
redacted values are gone, which is the point.
"""

from django.db import migrations


def redact_replayed_secrets(apps, schema_editor):
    IdempotencyRecord = apps.get_model("workgroups", "IdempotencyRecord")
    holding = IdempotencyRecord.objects.filter(response_body__has_key="secret")
    for record in holding.iterator():
        body = record.response_body
        if isinstance(body, dict) and body.get("secret") is not None:
            record.response_body = {**body, "secret": None, "secret_redacted": True}
            record.save(update_fields=["response_body"])


class Migration(migrations.Migration):
    # The table is still the one applications created (workgroups 0002 took over its state only).
    dependencies = [
        ("workgroups", "0007_seed_calendar"),
        ("applications", "0006_idempotency_record_to_workgroups"),
    ]

    operations = [migrations.RunPython(redact_replayed_secrets, migrations.RunPython.noop)]

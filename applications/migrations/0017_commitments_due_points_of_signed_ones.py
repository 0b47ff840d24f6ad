"""Commitments signed before their due points existed get them (data only)."""

import uuid

from django.db import migrations


# The registry's rules when this migration was written (applications/registry.py
# COMMITMENT_RULES), frozen: document -> (verifying agency code, due stage, breach action).
RULES = {
    "property_right": ("natural-resources", "constructing", "stop"),
    "planning_permit": ("natural-resources", "constructing", "pause"),
    "construction_permit": ("housing", "connected", "pause"),
}
# The documents each utility needs, as the registry had them (commitments only for the three).
NEEDED_BY = {
    "property_right": ["electricity", "water", "gas", "network", "cable_tv"],
    "planning_permit": ["electricity", "water", "gas"],
    "construction_permit": ["electricity", "water"],
}


def fill_commitments(apps, schema_editor):
    """Give every commitment signed before its public id, due point, agency and rule; count
    the unverified commitments each application relies on (none was ever verified)."""
    Commitment = apps.get_model("applications", "Commitment")
    Organization = apps.get_model("workgroups", "Organization")
    ServiceApplication = apps.get_model("applications", "ServiceApplication")
    agencies = dict(Organization.objects.values_list("code", "pk"))
    for commitment in Commitment.objects.all():
        agency, stage, action = RULES.get(commitment.doc_type, ("", "", "pause"))
        commitment.uuid = uuid.uuid4()
        commitment.verifier_id = agencies.get(agency)
        commitment.due_stage = stage
        commitment.on_breach = action
        commitment.save(update_fields=["uuid", "verifier", "due_stage", "on_breach"])
        for sa in ServiceApplication.objects.filter(
            combined_id=commitment.combined_id,
            utility__in=NEEDED_BY.get(commitment.doc_type, []),
        ).exclude(status="draft"):
            sa.unverified_commitments += 1
            sa.save(update_fields=["unverified_commitments"])



class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0016_commitments_followed_through"),
        ("workgroups", "0012_person_identity"),
    ]

    operations = [migrations.RunPython(fill_commitments, migrations.RunPython.noop)]

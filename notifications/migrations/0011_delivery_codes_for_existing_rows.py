"""Best effort: inbox rows written before message codes get one where their payload says
enough (case state changes and case escalations); every other row keeps its stored Chinese
text, which the inbox shows as it is."""

from django.db import migrations

CASE_EVENTS = ("service_application.state_changed", "work_item.assigned", "permit.issued")


def forwards(apps, schema_editor):
    Delivery = apps.get_model("notifications", "Delivery")
    ServiceApplication = apps.get_model("applications", "ServiceApplication")
    rows = Delivery.objects.filter(code="", channel="in_app").filter(
        event_type__in=(*CASE_EVENTS, "escalation.changed")
    )
    batch = []
    cases = {}
    for row in rows.iterator(chunk_size=2000):
        payload = row.payload or {}
        item = payload.get("work_item")
        if not item:
            continue
        if item not in cases:
            cases[item] = (
                ServiceApplication.objects.filter(uuid=item)
                .values_list("combined__uuid", "combined__reference", "utility")
                .first()
            )
        case = cases[item]
        if case is None:
            continue
        request, reference, utility = case
        common = {"reference": reference, "request": str(request), "item": item, "utility": utility}
        if row.event_type in CASE_EVENTS and payload.get("to"):
            comment = payload.get("comment") or ""
            # Lines of the stored text other than the comment (a reason, a fee quote) are kept
            # as typed: their words are not known any more.
            notes = [line for line in row.body.splitlines() if line and line != comment]
            row.code = "case.state_changed"
            row.params = {**common, "status": payload["to"], "comment": comment, "notes": notes}
        elif row.event_type == "escalation.changed" and payload.get("stage"):
            row.code = "case.escalation"
            row.params = {
                **common,
                "tier": payload.get("tier", 1),
                "stage": payload["stage"],
                "note": payload.get("note") or "",
            }
        else:
            continue
        batch.append(row)
        if len(batch) >= 1000:
            Delivery.objects.bulk_update(batch, ["code", "params"])
            batch = []
    if batch:
        Delivery.objects.bulk_update(batch, ["code", "params"])


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0010_delivery_message_code"),
        ("applications", "0009_project_claims"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

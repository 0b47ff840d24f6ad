from django.db import models
from django_fsm import FSMModelMixin, transition

from core.fsm import StateField
from core.workflow import permitted


class Ticket(FSMModelMixin, models.Model):
    """A test ticket: open -> done, and back with `reopen`."""

    status = StateField(default="open", protected=True)
    note = models.TextField(blank=True)
    history = models.JSONField(default=list)

    class Meta:
        app_label = "workflow_app"
        permissions = [("work_ticket", "Can work the ticket")]

    def __str__(self) -> str:
        return f"ticket {self.pk}"

    @transition(field=status, source="open", target="done", permission=permitted("finish"))
    def finish(self, *, note: str) -> None:
        self.note = note

    @transition(field=status, source="done", target="open", permission=permitted("reopen"))
    def reopen(self) -> None:
        pass

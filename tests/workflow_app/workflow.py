from django import forms

from core.workflow import Machine, PermissionSource, Step, Transition, register

from .models import Ticket


class NoteInput(forms.Form):
    note = forms.CharField(min_length=2)


class TicketMachine(Machine[Ticket]):
    model = Ticket

    def visible(self, user, obj: Ticket, perms: PermissionSource) -> bool:
        return perms.has("workflow_app.work_ticket", obj) or user.is_superuser

    def record(self, obj: Ticket, transition: Transition, step: Step) -> None:
        obj.history = [*obj.history, [transition.name, step.from_state, str(transition.history)]]
        obj.save()


TICKET = register(
    TicketMachine(
        [
            Transition(
                "finish", "Finish", "Finished", ("workflow_app.work_ticket",), input_form=NoteInput
            ),
            Transition("reopen", "Reopen", "Reopened", ("workflow_app.work_ticket",)),
        ]
    )
)

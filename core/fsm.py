"""The project's state field: django-fsm-2's `FSMField`, cheap to render in migrations.

django-fsm-2 (4.2.4) connects every `FSMField` it sees to `class_prepared`, historical models
included. Migrations render thousands of historical models, each adding a receiver that every
later `class_prepared` then calls: `migrate` on an empty database spent 70 of its 165 seconds
there. Historical models (module `__fake__`) never run transitions, so their field lets go.
"""

from typing import Any

from django.db.models.signals import class_prepared
from django_fsm import FSMField

HISTORICAL_MODULE = "__fake__"  # what django.db.migrations.state.ModelState.render names it


class StateField(FSMField):
    def contribute_to_class(
        self, cls: Any, name: str, private_only: bool = False, **kwargs: Any
    ) -> None:
        super().contribute_to_class(cls, name, private_only=private_only, **kwargs)
        if cls.__module__ == HISTORICAL_MODULE:
            class_prepared.disconnect(self._collect_transitions)

"""The one workflow kernel: each state machine is a table of transitions and one way to apply them.

An app describes each of its state machines once (its `workflow.py`): one `Transition` record per
name says who may perform it, how it is labelled, which input it takes, whether only the system
performs it, whether it counts as an applicant step and which notice it raises. A `Machine` binds
such a table to its model (how to lock a row, who may see it, how a move is recorded). Views, the
API, the admin and tasks only adapt `apply` and `available`; none lists transitions itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar, cast

from django import forms
from django.db import models, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django_fsm import can_proceed
from guardian.core import ObjectPermissionChecker

from .errors import IllegalTransition, NotFound, PermissionDenied, ValidationError

M = TypeVar("M", bound=models.Model)
Label = str | Promise


@dataclass(frozen=True)
class Transition:
    """One transition of one state machine, as every door (web, API, admin, task) sees it."""

    name: str
    button: Label
    history: Label
    # Object permissions ("app.codename") any one of which allows a person to perform it;
    # none means only the system performs it (a permit outcome, a sweep).
    permissions: tuple[str, ...] = ()
    input_form: type[forms.Form] | None = None
    applicant_step: bool = False
    # What the notifications layer raises for the fact this transition records ("" = its
    # default notice; "none" = nobody is told).
    notice: str = ""

    @property
    def system_only(self) -> bool:
        return not self.permissions


class PermissionSource:
    """The caller's object permissions, read once (guardian's checker, which callers may prefetch
    for many objects) so that checking every transition costs no query per name."""

    def __init__(self, user: Any, checker: Any | None = None) -> None:
        self.user = user
        self.checker = checker if checker is not None else ObjectPermissionChecker(user)

    def has(self, perm: str, obj: models.Model) -> bool:
        if self.user is None or not self.user.is_active:
            return False
        return bool(self.checker.has_perm(perm.split(".", 1)[-1], obj))


class Machine(Generic[M]):
    """A transition table bound to its model. Subclasses say how to lock, show and record."""

    model: ClassVar[type[models.Model]]
    state_field: ClassVar[str] = "status"
    not_found: ClassVar[Label] = "Not found."
    forbidden: ClassVar[Label] = "You may not perform this action."
    unknown: ClassVar[Label] = "Unknown transition: %s"
    unknown_field: ClassVar[str] = "transition"
    # Relations the locked row is read with (what the transition and its notices use).
    lock_related: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self, transitions: Iterable[Transition], *, events: Iterable[Transition] = ()
    ) -> None:
        self.transitions: dict[str, Transition] = {t.name: t for t in transitions}
        # Facts the history records beside the moves (a permit issued), never performed.
        self.events: dict[str, Transition] = {t.name: t for t in events}

    def __getitem__(self, name: str) -> Transition:
        return self.transitions[name]

    def __contains__(self, name: object) -> bool:
        return name in self.transitions

    def names(self, *, where: Callable[[Transition], bool] | None = None) -> list[str]:
        return [n for n, t in self.transitions.items() if where is None or where(t)]

    def entry(self, name: str) -> Transition | None:
        """The record of a transition or event by name, for labels and notices."""
        return self.transitions.get(name) or self.events.get(name)

    def history_label(self, name: str) -> str:
        """How a history row names a recorded transition (the name itself once the table no
        longer holds it)."""
        entry = self.entry(name)
        return str(entry.history) if entry is not None else name

    def notice_of(self, name: str) -> str:
        """Which notice a recorded transition raises ("" for none)."""
        entry = self.entry(name)
        return entry.notice if entry is not None else ""

    def missing(self) -> NotFound:
        return NotFound(str(self.not_found))

    def get(self, name: str, *, by_person: bool = False) -> Transition:
        """The transition called `name`; to a person, a system-only one does not exist (400)."""
        transition = self.transitions.get(name)
        if transition is None or (by_person and transition.system_only):
            raise ValidationError({self.unknown_field: str(self.unknown) % name})
        return transition

    # Who may: one rule for the FSM's `permission=`, the kernel's 403 and every button list.

    def may(self, user: Any, name: str, obj: M, *, perms: PermissionSource | None = None) -> bool:
        transition = self.transitions.get(name)
        if transition is None or transition.system_only or user is None:
            return False
        perms = perms or PermissionSource(user)
        return any(perms.has(perm, obj) for perm in transition.permissions)

    def available(self, user: Any, obj: M, *, perms: PermissionSource | None = None) -> list[str]:
        """Names of the transitions `user` may perform on `obj` right now, in table order."""
        perms = perms or PermissionSource(user)
        return [
            name
            for name in self.transitions
            if self.may(user, name, obj, perms=perms) and can_proceed(getattr(obj, name))
        ]

    # The model-specific steps of `apply`.

    def lock(self, obj: M) -> M:
        """The row again, locked for the transaction (of two callers one waits, then sees the
        state the other left)."""
        rows = self.model._default_manager.select_for_update(of=("self",))
        if self.lock_related:
            rows = rows.select_related(*self.lock_related)
        row = rows.filter(pk=obj.pk).first()
        if row is None:
            raise self.missing()
        return cast(M, row)

    def visible(self, user: Any, obj: M, perms: PermissionSource) -> bool:
        """Whether `user` may know the object exists (else 404, never 403)."""
        return True

    def refusal(self, transition: Transition, obj: M) -> str:
        """Why the transition is not possible in the object's current state (409)."""
        return _("“%(transition)s” is not possible now.") % {"transition": transition.button}

    def form(
        self, name: str, obj: M, *, data: Any = None, prefix: str | None = None
    ) -> forms.Form | None:
        """The transition's input form for `obj` (None when it takes no input)."""
        transition = self.transitions[name]
        if transition.input_form is None:
            return None
        return transition.input_form(data=data, prefix=prefix, **self.form_kwargs(transition, obj))

    def clean(self, transition: Transition, obj: M, data: dict) -> dict:
        """Validated keyword arguments of the transition method, or field-keyed errors."""
        form = self.form(transition.name, obj, data=data)
        if form is None:
            return {}
        if not form.is_valid():
            raise ValidationError(form.errors.as_data())
        return form.cleaned_data

    def form_kwargs(self, transition: Transition, obj: M) -> dict:
        return {}

    def record(self, obj: M, transition: Transition, step: Step) -> None:
        """Save the moved object and its audit row (in the caller's transaction)."""
        obj.save()

    def record_many(self, moved: Sequence[tuple[M, Step]], transition: Transition) -> None:
        for obj, step in moved:
            self.record(obj, transition, step)


@dataclass
class Step:
    """One applied transition: what the recorder needs to write its audit row."""

    from_state: str
    actor: Any
    data: dict
    comment: str
    now: dt.datetime
    extra: dict = field(default_factory=dict)


def _state(machine: Machine, obj: models.Model) -> str:
    return str(getattr(obj, machine.state_field))


def _check(
    machine: Machine[M], transition: Transition, obj: M, actor: Any, perms: PermissionSource | None
) -> None:
    """The checks of `apply`; the FSM's own `permission=` is `permitted()`, the same rule."""
    if actor is None:
        if not transition.system_only:
            raise PermissionDenied(_("Only a person may perform this action."))
    else:
        perms = perms or PermissionSource(actor)
        if not machine.visible(actor, obj, perms):
            raise machine.missing()
        if not machine.may(actor, transition.name, obj, perms=perms):
            raise PermissionDenied(str(machine.forbidden))
    if not can_proceed(getattr(obj, transition.name)):
        raise IllegalTransition(machine.refusal(transition, obj))


@transaction.atomic
def apply(
    machine: Machine[M],
    obj: M,
    name: str,
    *,
    actor: Any,
    data: dict | None = None,
    comment: str = "",
    now: dt.datetime | None = None,
    locked: bool = False,
    perms: PermissionSource | None = None,
) -> M:
    """Perform transition `name` on `obj` as `actor` (None: the system) and record it.

    `perms` answers for an actor whose permissions are not guardian's (someone holding a
    private link); by default the actor's object permissions are read.
    The row is locked first (unless the caller already holds its lock: `locked`), so of two
    concurrent callers exactly one moves it. Checks run in
    the order a caller can act on: unknown name (400), unseen (404), not permitted (403), not
    possible now (409), bad input (400).
    """
    transition = machine.get(name, by_person=actor is not None)
    obj = obj if locked else machine.lock(obj)
    _check(machine, transition, obj, actor, perms)
    cleaned = machine.clean(transition, obj, data or {})
    step = Step(_state(machine, obj), actor, cleaned, comment, now or timezone.now())
    getattr(obj, name)(**cleaned)
    machine.record(obj, transition, step)
    return obj


def apply_many(
    machine: Machine[M],
    objs: Sequence[M],
    name: str,
    *,
    actor: Any,
    perms: PermissionSource | None = None,
    now: dt.datetime | None = None,
    data: dict | None = None,
    extra: dict | None = None,
) -> list[M]:
    """The same transition, with the same input, on rows the caller has just created or locked,
    with a number of queries that does not grow with their number (the caller holds the
    transaction and prefetches `perms` for the rows)."""
    transition = machine.get(name, by_person=actor is not None)
    if actor is not None and perms is None:
        perms = PermissionSource(actor)
    now = now or timezone.now()
    moved = []
    for obj in objs:
        _check(machine, transition, obj, actor, perms)
        cleaned = machine.clean(transition, obj, data or {})
        step = Step(_state(machine, obj), actor, cleaned, "", now, dict(extra or {}))
        getattr(obj, name)(**cleaned)
        moved.append((obj, step))
    machine.record_many(moved, transition)
    return list(objs)


_MACHINES: dict[type[models.Model], Machine] = {}


def register(machine: Machine[M]) -> Machine[M]:
    """Make `machine` the one that `permitted()` and `machine_for()` answer for its model."""
    _MACHINES[machine.model] = machine
    return machine


def machine_for(obj_or_model: models.Model | type[models.Model]) -> Machine:
    model = obj_or_model if isinstance(obj_or_model, type) else type(obj_or_model)
    return _MACHINES[model]


def permitted(name: str) -> Callable[[models.Model, Any], bool]:
    """The FSM `permission=` of a transition method: whatever its machine's table says."""

    def check(instance: models.Model, user: Any) -> bool:
        return machine_for(instance).may(user, name, instance)

    check.__name__ = f"permitted_{name}"
    return check

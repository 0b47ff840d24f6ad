"""The submitter's private link to a demand: for people who submitted without an account.

The link carries the demand's public id and a token: an HMAC (the site's secret key) of the
public id and a random nonce stored with the demand. It is unguessable, stored nowhere (a copy
of the database alone does not open any demand), the same whenever it is computed (the
confirmation page, the e-mails the notifications engine writes), and opens exactly one demand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac

from core.workflow import PermissionSource

from .models import Demand
from .permissions import SUBMITTER, VIEW_DEMAND

_SALT = "coordination.demand-private-link"


def demand_access_token(demand: Demand) -> str:
    return salted_hmac(
        _SALT, f"{demand.uuid}:{demand.access_nonce}", algorithm="sha256"
    ).hexdigest()


def demand_access_valid(demand: Demand, token: str) -> bool:
    return bool(token) and constant_time_compare(demand_access_token(demand), token)


def demand_private_path(demand: Demand) -> str:
    """The link's path (the caller adds the site's address)."""
    return reverse(
        "applications:demand_private",
        kwargs={"uuid": demand.uuid, "token": demand_access_token(demand)},
    )


@dataclass(frozen=True)
class LinkHolder:
    """Whoever opened the private link: the submitter without an account. The workflow kernel
    takes it as the actor; the history names them by the contact name."""

    name: str
    is_active: bool = True
    is_authenticated: bool = False
    is_superuser: bool = False
    pk: None = None

    def __str__(self) -> str:
        return self.name


class LinkPermissions(PermissionSource):
    """What the private link allows: to read its demand and act as its submitter, nothing
    else (no guardian row stands behind it)."""

    def __init__(self, demand: Demand, holder: LinkHolder) -> None:
        self.user: Any = holder
        self.demand_pk = demand.pk

    def has(self, perm: str, obj: models.Model) -> bool:
        return (
            isinstance(obj, Demand)
            and obj.pk == self.demand_pk
            and perm in (VIEW_DEMAND, SUBMITTER)
        )

"""Direct foreign-key object permissions (guardian) for demands."""

from django.db import models
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from .demands import Demand


class DemandUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Demand, on_delete=models.CASCADE)


class DemandGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Demand, on_delete=models.CASCADE)

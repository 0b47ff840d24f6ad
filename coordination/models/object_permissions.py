"""Direct foreign-key object permissions (guardian) for demands and meetings."""

from django.db import models
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from .demands import Demand
from .meetings import Meeting


class DemandUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Demand, on_delete=models.CASCADE)


class DemandGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Demand, on_delete=models.CASCADE)


class MeetingUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Meeting, on_delete=models.CASCADE)


class MeetingGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Meeting, on_delete=models.CASCADE)

"""Direct foreign-key object permissions (guardian) for the hot models."""

from django.db import models
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from .documents import Document
from .joint_works import JointWorksPlan
from .permits import PermitRequest
from .requests import CombinedApplication, Project
from .service import ServiceApplication


class ProjectUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Project, on_delete=models.CASCADE)


class ProjectGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Project, on_delete=models.CASCADE)


class CombinedApplicationUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(CombinedApplication, on_delete=models.CASCADE)


class CombinedApplicationGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(CombinedApplication, on_delete=models.CASCADE)


class ServiceApplicationUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(ServiceApplication, on_delete=models.CASCADE)


class ServiceApplicationGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(ServiceApplication, on_delete=models.CASCADE)


class PermitRequestUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(PermitRequest, on_delete=models.CASCADE)


class PermitRequestGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(PermitRequest, on_delete=models.CASCADE)


class DocumentUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Document, on_delete=models.CASCADE)


class DocumentGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Document, on_delete=models.CASCADE)


class JointWorksPlanUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(JointWorksPlan, on_delete=models.CASCADE)


class JointWorksPlanGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(JointWorksPlan, on_delete=models.CASCADE)

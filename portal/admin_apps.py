"""django.contrib.admin with the portal's admin site (portal/admin_site.py); its own module, as
an apps module may declare only one default AppConfig."""

from django.contrib.admin.apps import AdminConfig


class PortalAdminConfig(AdminConfig):
    default_site = "portal.admin_site.PortalAdminSite"

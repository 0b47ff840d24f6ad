"""The Django admin as the portal's "system administration" (系统管理): the portal's name,
colours and favicon (templates/admin/base_site.html), for administrators only. Staff without
admin rights work on the staff site, so a signed-in visitor the admin would refuse is sent
there instead of to an admin sign-in form that is not theirs."""

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class PortalAdminSite(admin.AdminSite):
    site_header = _("Zhongshan Utility Connection Portal: system administration")
    site_title = _("Zhongshan Utility Connection Portal")
    index_title = _("System administration")

    def login(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        if request.user.is_authenticated and not self.has_permission(request):
            messages.info(
                request,
                gettext(
                    "System administration is for the portal's administrators. "
                    "Your work is on the staff site."
                ),
            )
            return redirect("staff:home")
        return super().login(request, extra_context)

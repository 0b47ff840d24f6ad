from django.apps import AppConfig
from django.core.signals import request_finished
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class WorkgroupsConfig(AppConfig):
    name = "workgroups"
    verbose_name = _("Organisations and workgroups")

    def ready(self) -> None:
        """Cached API tokens are dropped when the rows they depend on change; reads a request
        left unwritten reach the access log when it finishes; the header's rows version cached
        pages."""
        from core.page_cache import register_layout_reads

        from .access_log import access_records_write_leftover
        from .api_tokens import forget_cached_token, forget_cached_tokens_of
        from .models import ApiToken, Organization, User
        from .selectors import signed_in_rows

        register_layout_reads(signed_in_rows)

        post_save.connect(forget_cached_token, sender=ApiToken, dispatch_uid="api_token_saved")
        post_delete.connect(forget_cached_token, sender=ApiToken, dispatch_uid="api_token_deleted")
        for model in (Organization, User):
            uid = f"api_tokens_of_{model.__name__}"
            post_save.connect(forget_cached_tokens_of, sender=model, dispatch_uid=uid)
        request_finished.connect(
            access_records_write_leftover, dispatch_uid="access_records_write_leftover"
        )

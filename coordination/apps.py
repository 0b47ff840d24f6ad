from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoordinationConfig(AppConfig):
    name = "coordination"
    verbose_name = _("Workgroup coordination")

    def ready(self) -> None:
        # The transition tables register their machines, which the models' FSM permissions and
        # the workflow kernel look up.
        # The applicant's tracking page shows a rated utility's follow-up (回访).
        # The staff case page shows a case's referrals up; the operator's work item lists them.
        from applications.extensions import (
            register_case_escalations,
            register_case_panel,
            register_tracking_panel,
            register_tracking_reads,
        )

        from . import workflow  # noqa: F401
        from .selectors.staff import case_escalations
        from .selectors.submitter import follow_up_rows_of_cases
        from .views.follow_ups import tracking_panels
        from .views.guides import guide_tracking_panels
        from .views.knowledge import know_how_panels
        from .views.referrals import case_panels

        register_tracking_panel(tracking_panels)
        register_tracking_reads(follow_up_rows_of_cases)
        register_tracking_panel(guide_tracking_panels)
        register_case_panel(case_panels)
        register_case_panel(know_how_panels)
        register_case_escalations(case_escalations)

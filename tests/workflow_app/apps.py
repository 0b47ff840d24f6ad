from django.apps import AppConfig


class WorkflowAppConfig(AppConfig):
    name = "tests.workflow_app"
    label = "workflow_app"

    def ready(self) -> None:
        from . import workflow  # noqa: F401

from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = "Committee reports"

    def ready(self) -> None:
        # The Celery tasks registered in every process, the site's included:
        # `reporting.services` sends the render job by its name.
        from reporting import tasks  # noqa: F401

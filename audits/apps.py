from django.apps import AppConfig


class AuditsConfig(AppConfig):
    name = "audits"
    verbose_name = "Audits and dip samples"

    def ready(self) -> None:
        # plans shows measures' latest results on the action page but may not import
        # audits (the layers in pyproject.toml): audits hands its reader over instead.
        from audits.selectors import latest_results
        from plans.selectors import latest_results_reader

        latest_results_reader(latest_results)

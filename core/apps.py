from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Installed for its templates (the form partials every app includes); its models
    are abstract, so it has no tables and no migrations."""

    name = "core"
    verbose_name = "Shared parts"

    def ready(self):
        from core import pg_timestamps

        pg_timestamps.connect()

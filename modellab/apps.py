from django.apps import AppConfig


class ModellabConfig(AppConfig):
    name = "modellab"
    verbose_name = "Model lab"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from modellab import signals  # noqa: F401  (connects the worker-start sweep)

from django.apps import AppConfig


class ModellabConfig(AppConfig):
    name = "modellab"
    verbose_name = "Model lab"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from courses.modes import register_mode_state
        from modellab import signals  # noqa: F401  (connects the worker-start sweep)
        from modellab.selectors import lesson_lab_state

        register_mode_state("lab", lesson_lab_state)

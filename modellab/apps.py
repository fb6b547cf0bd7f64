"""The lab app's configuration: the worker-start sweep, deleted rows' files removed, the Lab mode's state line and course-page column, the lesson file's `lab:` and `measured:` sections."""

from django.apps import AppConfig


class ModellabConfig(AppConfig):
    name = "modellab"
    verbose_name = "Model lab"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from courses.content import register_section
        from courses.modes import register_mode_state
        from modellab import file_cleanup, signals  # noqa: F401  (connect the files' removal, the worker-start sweep)
        from modellab.lesson_content import save_lab, save_measured, validate_lab, validate_measured
        from courses.progress import register_progress_column
        from modellab.selectors import lesson_lab_state, lessons_lab_runs

        register_mode_state("lab", lesson_lab_state)
        register_progress_column("lab", "Lab runs", lessons_lab_runs)
        register_section("lab", validate=validate_lab, save=save_lab)
        register_section("measured", validate=validate_measured, save=save_measured)
